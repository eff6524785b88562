/** Writes hosts' current values as one exposition body, family by family (each family's TYPE line once). */
import type { HostRuntime } from "../engine/host";

export interface Rendered {
  readonly text: string;
  /** Sample lines in the body. */
  readonly series: number;
}

export function renderHosts(headers: readonly string[], hosts: readonly HostRuntime[]): Rendered {
  let text = "";
  let series = 0;
  for (let f = 0; f < headers.length; f++) {
    let started = false;
    for (let h = 0; h < hosts.length; h++) {
      const host = hosts[h];
      if (!host.active) continue;
      const metric = host.byFamily[f];
      if (metric === undefined) continue;
      if (!started) {
        text += headers[f];
        started = true;
      }
      text += metric.render();
      series += metric.samples;
    }
  }
  return { text, series };
}
