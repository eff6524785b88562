/**
 * A scenario played on the engine's injected clock and written as OpenMetrics with timestamps: what
 * `promtool tsdb create-blocks-from openmetrics` turns into TSDB blocks. One writer for `promemu
 * backfill` and for the offline mode of `promemu check`.
 *
 * Each sample carries the labels Prometheus stores for it:
 * - an exporter host (fleet-*) as scraped: `job` (the profile's usual job name), `instance`
 *   (`<host>:<port>`), and its `up` series (0 while the exporter is down);
 * - a pushed host (default, hosts-load-with-peaks) as Prometheus stores it after scraping the
 *   Pushgateway with `honor_labels: true`: the pushed labels plus the group's grouping key, `job`,
 *   `promemu_owner` and `promemu_shard` (the Pushgateway's empty `instance` is no label); with
 *   `replicas`, each host under the owner and groups of the replica (`--shard k/n`) that runs it;
 * - a pushed host sent with remote write: its own labels, as the sink sends them. Without `pushed`,
 *   pushed hosts are left out (the offline check only reads exporter hosts).
 *
 * Samples are written time step by time step, so each series' samples are in time order, and are
 * handed to `write` in chunks of about 64 KB: memory does not grow with the range played.
 */
import { Engine, DEFAULT_EPOCH_MS } from "../engine/engine";
import type { HostRuntime } from "../engine/host";
import { labelText } from "../exposition/text";
import type { CompiledScenario } from "../model/types";
import { processShardOf } from "../scenario/shard";
import { OWNER_LABEL, SHARD_LABEL, autoShardCount, shardOf, shardOwner } from "../sinks/grouping";
import { turnTaker } from "../util/turns";
import type { BackfillLogs } from "./logs";

/** How the live run sends pushed hosts: what decides their labels in Prometheus. */
export type PushedLabels =
  | {
      sink: "pushgateway";
      /** The grouping key of the pushes whose scrapes the backfill stands for (as `promemu run` pushes). */
      job: string;
      owner: string;
      /** Groups per emulator; undefined: as `run` chooses from its host count. */
      shards?: number;
      /** Emulators splitting the fleet (`--shard k/n`, owner `<owner>-k-of-n`); default 1. */
      replicas?: number;
    }
  | { sink: "remote-write" };

export interface BackfillOptions {
  seed: number;
  /** Scenario time to play (ms): samples at 0, step, 2 x step, ... while below it (the end is excluded). */
  durationMs: number;
  /** Scenario time of the first sample written (default 0): the engine plays up to it first, writing nothing. */
  startMs?: number;
  /**
   * The engine to play (same scenario, seed and epoch), left where the range ends: a later call with `startMs` at
   * that end goes on from it instead of playing the past again. A new one when absent.
   */
  engine?: Engine;
  /** Time between two samples of a series, as a scrape interval (ms). */
  stepMs: number;
  /** Before this scenario time (ms), samples only every `historyStepMs`: a day of history at little cost. */
  detailFromMs?: number;
  historyStepMs?: number;
  /** Only these metric names (all when absent): keeps the file small when only some rules matter. */
  names?: ReadonlySet<string>;
  /** The wall clock (ms since the epoch) at scenario time 0: the first sample's timestamp. */
  epochMs?: number;
  /** Write pushed hosts too, labelled as scraped from the Pushgateway with this grouping key. */
  pushed?: PushedLabels;
  /**
   * End the file with `# EOF` and call `next()` (which points `write` at the next file) whenever the
   * wall time enters a new multiple of `everyMs` since the epoch: promtool reads its whole input
   * once per 2 h block, so a week in one file costs 84 passes over all of it; in files of a day, a
   * pass covers one day. The writer waits for what `next()` returns (promtool on the finished file).
   */
  split?: { everyMs: number; next: () => void | Promise<void> };
  /**
   * Stops the writing (with the signal's reason) at its next turn: the writer lets the event loop run
   * every 50 ms or so (util/turns.ts), where signal handlers run.
   */
  signal?: AbortSignal;
  /**
   * The hosts' log lines of the same play (backfill/logs.ts): the engine is built with its sink, drained
   * after each step and once more at the end, where the engine plays on to `durationMs` (the last tick's
   * lines fall before it). Not with `engine` (which was built without it).
   */
  logs?: BackfillLogs;
  /** false: play the steps without writing a sample (a backfill of logs alone); `write` gets nothing. Default true. */
  metrics?: boolean;
}

const CHUNK = 64 * 1024;

/** Calls `write` with OpenMetrics text, chunk by chunk, ending with `# EOF`; resolves to the number of samples written. */
export async function writeBackfill(scenario: CompiledScenario, options: BackfillOptions, write: (chunk: string) => void): Promise<number> {
  const pause = turnTaker(options.signal);
  const epochMs = options.epochMs ?? DEFAULT_EPOCH_MS;
  if (!(options.stepMs > 0)) throw new Error(`backfill step must be above 0 (got ${options.stepMs})`);
  const logs = options.logs;
  if (logs && options.engine) throw new Error("backfill logs need an engine built with their sink: give logs or engine, not both");
  const engine = options.engine ?? new Engine(scenario, { seed: options.seed, epochMs, logs: logs && { sink: logs.sink, job: logs.job } });
  const metrics = options.metrics ?? true;
  const exporters = metrics ? engine.hosts.filter((h) => h.def.shape.exporter) : [];
  const pushed = options.pushed && metrics ? engine.hosts.filter((h) => !h.def.shape.exporter) : [];
  // Each pushed host's label text with its grouping key in front, built once.
  const pushedLabels = new Map<HostRuntime, string>();
  if (options.pushed?.sink === "pushgateway") {
    const { job, owner, replicas = 1 } = options.pushed;
    // Each replica picks its group count from its own hosts, as `promemu run --shard k/n` does.
    const replicaOf = (host: HostRuntime) => (replicas > 1 ? processShardOf(host.name, replicas) : 1);
    const hostsPerReplica = new Map<number, number>();
    for (const host of pushed) hostsPerReplica.set(replicaOf(host), (hostsPerReplica.get(replicaOf(host)) ?? 0) + 1);
    for (const host of pushed) {
      const replica = replicaOf(host);
      const shards = options.pushed.shards ?? autoShardCount(hostsPerReplica.get(replica)!);
      const key = labelText([
        ["job", job],
        [OWNER_LABEL, shardOwner(owner, replica, replicas)],
        [SHARD_LABEL, String(shardOf(host.name, shards))],
      ]);
      pushedLabels.set(host, host.labels ? `${key},${host.labels}` : key);
    }
  } else if (options.pushed?.sink === "remote-write") {
    for (const host of pushed) pushedLabels.set(host, host.labels);
  }

  let buffer = "";
  let samples = 0;
  let stamp = "";
  // Series write their line in pieces, the newline last and alone: the timestamp goes in front of it.
  const stamped = {
    write: (text: string) => {
      if (text === "\n") {
        buffer += stamp;
        samples++;
        if (buffer.length >= CHUNK) {
          write(buffer);
          buffer = "";
        }
      } else buffer += text;
    },
  };
  const names = options.names;
  const detailFrom = options.detailFromMs ?? 0;
  const historyStep = options.historyStepMs ?? options.stepMs;
  const split = options.split;
  let part = split ? Math.floor((epochMs + (options.startMs ?? 0)) / split.everyMs) : 0;
  for (let t = options.startMs ?? 0; t < options.durationMs; t += t < detailFrom ? historyStep : options.stepMs) {
    if (split && metrics && Math.floor((epochMs + t) / split.everyMs) !== part) {
      part = Math.floor((epochMs + t) / split.everyMs);
      write(buffer + "# EOF\n");
      buffer = "";
      await split.next();
    }
    await pause();
    engine.advanceTo(t);
    stamp = ` ${((epochMs + t) / 1000).toFixed(3)}\n`;
    for (const host of pushed) {
      if (!host.active) continue;
      const labels = pushedLabels.get(host)!;
      for (const series of host.series) {
        if (names && !names.has(series.def.name)) continue;
        series.renderTo(stamped, labels);
      }
    }
    for (const host of exporters) {
      const exporter = host.exporter;
      if (!exporter) continue;
      const spec = host.def.shape.exporter!;
      const extra = `job="${spec.profile}",instance="${host.name}:${spec.port}"`;
      // The series a scrape adds: up is 0 while the exporter is down (a reboot), as Prometheus records it.
      if (!names || names.has("up")) {
        buffer += `up{${extra}} ${exporter.up ? 1 : 0}${stamp}`;
        samples++;
      }
      if (!exporter.up) continue;
      const parts: string[] = [];
      exporter.renderTo({ write: (text) => parts.push(text) });
      for (const line of parts.join("").split("\n")) {
        if (!line || line.startsWith("#")) continue;
        const space = line.lastIndexOf(" ");
        const series = line.slice(0, space);
        const brace = series.indexOf("{");
        const name = brace < 0 ? series : series.slice(0, brace);
        if (names && !names.has(name)) continue;
        const labelled = brace < 0 ? `${name}{${extra}}` : `${name}{${extra},${series.slice(brace + 1)}`;
        buffer += labelled + " " + line.slice(space + 1) + stamp;
        samples++;
      }
    }
    if (buffer.length >= CHUNK) {
      write(buffer);
      buffer = "";
    }
    await logs?.played(t, false);
  }
  if (logs) {
    engine.advanceTo(options.durationMs);
    await logs.played(options.durationMs, true);
  }
  if (metrics) write(buffer + "# EOF\n");
  return samples;
}
