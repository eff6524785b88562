/**
 * A scenario's exporter hosts played on the engine's injected clock, written as OpenMetrics with
 * timestamps: what `promtool tsdb create-blocks-from openmetrics` turns into TSDB blocks, so that a
 * Prometheus can answer queries over hours of emulated data a few seconds after they were played.
 * Each sample carries the labels a scrape would add: `job` (the profile's usual job name) and
 * `instance` (`<host>:<port>`), and each host has its `up` series (0 while its exporter is down).
 */
import { Engine, DEFAULT_EPOCH_MS } from "../engine/engine";
import type { CompiledScenario } from "../model/types";

export interface BackfillOptions {
  seed: number;
  /** Scenario time to play (ms). */
  durationMs: number;
  /** Time between two samples of a series, as a scrape interval (ms). */
  stepMs: number;
  /** Before this scenario time (ms), samples only every `historyStepMs`: a day of history at little cost. */
  detailFromMs?: number;
  historyStepMs?: number;
  /** Only these metric names (all when absent): keeps the file small when only some rules matter. */
  names?: ReadonlySet<string>;
  epochMs?: number;
}

/** Calls `write` with OpenMetrics text, chunk by chunk; returns the number of samples written. */
export function writeBackfill(scenario: CompiledScenario, options: BackfillOptions, write: (chunk: string) => void): number {
  const epochMs = options.epochMs ?? DEFAULT_EPOCH_MS;
  const engine = new Engine(scenario, { seed: options.seed, epochMs });
  const hosts = engine.hosts.filter((h) => h.def.shape.exporter);
  let samples = 0;
  const detailFrom = options.detailFromMs ?? 0;
  const historyStep = options.historyStepMs ?? options.stepMs;
  for (let t = 0; t <= options.durationMs; t += t < detailFrom ? historyStep : options.stepMs) {
    engine.advanceTo(t);
    const stamp = ` ${((epochMs + t) / 1000).toFixed(3)}\n`;
    for (const host of hosts) {
      const exporter = host.exporter;
      if (!exporter) continue;
      const spec = host.def.shape.exporter!;
      const extra = `job="${spec.profile}",instance="${host.name}:${spec.port}"`;
      // The series a scrape adds: up is 0 while the exporter is down (a reboot), as Prometheus records it.
      if (!options.names || options.names.has("up")) {
        write(`up{${extra}} ${exporter.up ? 1 : 0}${stamp}`);
        samples++;
      }
      if (!exporter.up) continue;
      const parts: string[] = [];
      exporter.renderTo({ write: (text) => parts.push(text) });
      const lines: string[] = [];
      for (const line of parts.join("").split("\n")) {
        if (!line || line.startsWith("#")) continue;
        const space = line.lastIndexOf(" ");
        const series = line.slice(0, space);
        const brace = series.indexOf("{");
        const name = brace < 0 ? series : series.slice(0, brace);
        if (options.names && !options.names.has(name)) continue;
        const labelled = brace < 0 ? `${name}{${extra}}` : `${name}{${extra},${series.slice(brace + 1)}`;
        lines.push(labelled + " " + line.slice(space + 1) + stamp.slice(0, -1));
      }
      samples += lines.length;
      if (lines.length) write(lines.join("\n") + "\n");
    }
  }
  write("# EOF\n");
  return samples;
}
