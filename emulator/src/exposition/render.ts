/** Writes hosts' current values as one exposition body, family by family (each family's TYPE line once). */
import type { HostRuntime } from "../engine/host";

export interface Rendered {
  readonly text: string;
  /** Sample lines in the body. */
  readonly series: number;
}

export function renderHosts(headers: readonly string[], hosts: readonly HostRuntime[]): Rendered {
  // Pieces joined once: a 20,000-line body as one flat string, without a rope of intermediate ones.
  const parts: string[] = [];
  let series = 0;
  for (let f = 0; f < headers.length; f++) {
    let started = false;
    for (let h = 0; h < hosts.length; h++) {
      const host = hosts[h];
      if (!host.active) continue;
      const metric = host.byFamily[f];
      if (metric === undefined) continue;
      if (!started) {
        parts.push(headers[f]);
        started = true;
      }
      metric.renderInto(parts);
      series += metric.samples;
    }
  }
  return { text: parts.join(""), series };
}
