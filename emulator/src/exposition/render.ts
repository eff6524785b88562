/** Writes hosts' current values as one exposition body, family by family (each family's TYPE line once). */

/** Where rendered text goes: a reusable buffer for pushes (BufferWriter), an array for a string. */
export interface TextSink {
  write(text: string): void;
}

/** A series as rendering sees it: its sample lines, written under a host's label text. */
export interface RenderableSeries {
  /** Sample lines renderTo writes. */
  readonly samples: number;
  renderTo(out: TextSink, labels: string): void;
}

/**
 * A host as rendering sees it (the engine's HostRuntime is one). Declared here rather than imported from
 * engine/, so that the exposition format sits below the engine that uses it.
 */
export interface RenderableHost {
  readonly active: boolean;
  /** The inside of its label set (labelText), the same for each of its lines. */
  readonly labels: string;
  /** Its series by family index; undefined for a family it has no series of. */
  readonly byFamily: ReadonlyArray<RenderableSeries | undefined>;
}

export interface Rendered {
  readonly text: string;
  /** Sample lines in the body. */
  readonly series: number;
}

/** Returns the number of sample lines written. */
export function renderHosts(headers: readonly string[], hosts: readonly RenderableHost[], out: TextSink): number {
  let series = 0;
  for (let f = 0; f < headers.length; f++) {
    let started = false;
    for (let h = 0; h < hosts.length; h++) {
      const host = hosts[h];
      if (!host.active) continue;
      const metric = host.byFamily[f];
      if (metric === undefined) continue;
      if (!started) {
        out.write(headers[f]);
        started = true;
      }
      metric.renderTo(out, host.labels);
      series += metric.samples;
    }
  }
  return series;
}

/**
 * The sample lines of renderHosts, without the family headers, host by host instead of family by
 * family, from `hosts[from]` up to `hosts[to]`: for remote write, where lines need no grouping by
 * family. One pass over the hosts rather than one per family touches each host once (at 100,000
 * hosts renderHosts' own loop took a fifth of the emulator's busy CPU profile), and the lines of a
 * host come together, so its encoded labels are looked up once rather than per line. Returns the
 * number of sample lines written.
 */
export function renderSamples(hosts: readonly RenderableHost[], out: TextSink, from = 0, to = hosts.length): number {
  let series = 0;
  for (let h = from; h < to; h++) {
    const host = hosts[h];
    if (!host.active) continue;
    const { byFamily } = host;
    for (let f = 0; f < byFamily.length; f++) {
      const metric = byFamily[f];
      if (metric === undefined) continue;
      metric.renderTo(out, host.labels);
      series += metric.samples;
    }
  }
  return series;
}

/** The same body as one string. */
export function renderText(headers: readonly string[], hosts: readonly RenderableHost[]): Rendered {
  const parts: string[] = [];
  const series = renderHosts(headers, hosts, { write: (text) => parts.push(text) });
  return { text: parts.join(""), series };
}
