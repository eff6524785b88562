/**
 * Drives the engine on the wall clock and pushes its hosts every push interval: scenario time runs
 * `speed` times faster than the wall clock, the push interval stays wall time. Before each push the
 * engine catches up to now, so expired and stopped hosts are already gone from the bodies.
 */
import { Engine } from "./engine/engine";
import type { HostRuntime } from "./engine/host";
import { BufferWriter } from "./exposition/buffer-writer";
import { type TextSink, renderHosts } from "./exposition/render";
import type { CompiledScenario } from "./model/types";
import { shardOf } from "./sinks/grouping";
import { Pusher } from "./sinks/pusher";
import { PushgatewayClient } from "./sinks/pushgateway";
import { Batcher } from "./sinks/remote-write/batcher";
import { RemoteWriteClient } from "./sinks/remote-write/client";
import { RemoteWriteQueue } from "./sinks/remote-write/queue";
import { LogBuffer } from "./logs/buffer";
import type { LokiEncoder, LokiEncoding } from "./sinks/loki/push";
import { type LokiEndpoint, lokiPushSink } from "./sinks/loki/sink";
import type { Telemetry } from "./telemetry";
import { formatDuration } from "./util/duration";
import { turnTaker } from "./util/turns";
import { redactUrl, splitCredentials } from "./util/url";

export interface PushgatewayTarget {
  url: string;
  job: string;
  owner: string;
  timeoutMs: number;
  shards: number;
}

export interface RemoteWriteTarget {
  url: string;
  /** `Basic ...` or `Bearer ...` (never shown); default: credentials of the URL, if any. */
  authorization?: string;
  userAgent: string;
  timeoutMs: number;
  /** Queues, each with at most one request in flight. */
  shards: number;
  maxSamplesPerRequest: number;
  maxPendingSamples: number;
  backoff?: { initialMs: number; maxMs: number };
  /** Sent with every request, e.g. a tenant header. */
  headers?: Record<string, string>;
}

/** Log lines of the scenario's hosts (their `logs` keys) pushed with the Loki push API (docs/logs.md). */
export interface LokiTarget extends Omit<LokiEndpoint, "encoding"> {
  maxLinesPerRequest: number;
  maxPendingLines: number;
  /** protobuf (snappy), json or json-gzip; default protobuf. */
  encoding?: LokiEncoding;
  /** `job` label of plain hosts' streams (the Pushgateway job). */
  job: string;
  backoff?: { initialMs: number; maxMs: number };
}

export interface RunnerOptions {
  scenario: CompiledScenario;
  seed: number;
  /** Scenario milliseconds per wall-clock millisecond. */
  speed: number;
  pushIntervalMs: number;
  /** Scenario time after which the run ends, counted from the start of the live run; undefined runs until stopped. */
  durationMs?: number;
  /**
   * Wall time (ms since the epoch) of scenario time 0; default: the start. Earlier, the engine first
   * plays from there up to now, on its injected clock, so the live run goes on from exactly the
   * state a `promemu backfill --from <the same time>` ended in (same scenario and seed).
   */
  startAtMs?: number;
  /** Absent: pull mode only (GET /emulated). */
  pushgateway?: PushgatewayTarget;
  /** Remote write instead of the Pushgateway. */
  remoteWrite?: RemoteWriteTarget;
  /** The hosts' logs, beside whichever metrics sink. */
  loki?: LokiTarget;
  telemetry: Telemetry;
  log: (line: string) => void;
  /** Wall clock in ms (injected by tests). */
  now?: () => number;
  /** Jitter of retry delays. */
  random?: () => number;
}

export interface RunnerStatus {
  readonly scenarioTimeMs: number;
  readonly durationMs?: number;
  readonly hostsActive: number;
  readonly hostsTotal: number;
  readonly series: number;
  readonly pushesOk: number;
  readonly pushesFailed: number;
  readonly lastPushMs?: number;
  readonly pushgateway: "disabled" | "ok" | "failing" | "waiting";
  readonly remoteWrite?: { readonly state: "ok" | "failing" | "waiting"; readonly sent: number; readonly pending: number; readonly retried: number; readonly failed: number; readonly dropped: number };
  /** Log lines (Loki push): written by the hosts, sent, waiting, ... */
  readonly loki?: { readonly state: "ok" | "failing" | "waiting"; readonly written: number; readonly sent: number; readonly pending: number; readonly retried: number; readonly failed: number; readonly dropped: number };
}

/** One target group of Prometheus' HTTP service discovery. */
export interface ExporterTarget {
  targets: string[];
  labels: Record<string, string>;
}

/** Hosts rendered for remote write between two turns of the event loop: some 16,000 samples, a few tens of ms. */
const SLICE_HOSTS = 1000;

/** Overruns are logged at most once in this long; this long without one ends their streak. */
const OVERRUN_LOG_MS = 60_000;

/** Work per slice of the history played before the live run: small enough that a signal is heard at once. */
const HISTORY_SLICE_MS = 20;

/** Deletes on shutdown get this long each, so that `docker stop`'s 10 s grace period is enough. */
const SHUTDOWN_TIMEOUT_MS = 3_000;

export class Runner {
  readonly engine: Engine;
  private readonly pusher: Pusher | undefined;
  private readonly remoteQueue: RemoteWriteQueue | undefined;
  private readonly batcher: Batcher | undefined;
  private readonly logBuffer: LogBuffer | undefined;
  private readonly lokiQueue: RemoteWriteQueue | undefined;
  private readonly encodeLogs: LokiEncoder | undefined;
  private readonly shardHosts: HostRuntime[][] = [];
  private readonly now: () => number;
  private readonly abort = new AbortController();
  private startedAt = 0;
  /** Scenario time at the start of the live run: the history played first (0 without startAtMs). */
  private offsetMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private cycle: Promise<void> | undefined;
  private cleanedUp = false;
  /** When the last overrun was logged (undefined: not in the current streak). */
  private overrunLoggedAt: number | undefined;
  /** Since when cycles fit their interval; a minute of them ends a streak of overruns. */
  private fittingSince: number | undefined;
  private slot = 0;
  private stopping: Promise<void> | undefined;
  private finished!: () => void;
  /** Resolves once the run has ended (duration reached or stop()) and our groups are removed. */
  readonly done = new Promise<void>((resolve) => (this.finished = resolve));
  private stats = { series: 0, pushesOk: 0, pushesFailed: 0, lastPushMs: undefined as number | undefined, pushed: false };

  constructor(private readonly options: RunnerOptions) {
    this.now = options.now ?? Date.now;
    const loki = options.loki;
    if (loki) this.logBuffer = new LogBuffer();
    this.engine = new Engine(options.scenario, { seed: options.seed, epochMs: options.startAtMs ?? this.now(), logs: this.logBuffer && { sink: this.logBuffer, job: loki!.job } });
    if (loki) {
      const sink = lokiPushSink(
        { ...loki, encoding: loki.encoding ?? "protobuf" },
        {
          maxPendingSamples: loki.maxPendingLines,
          log: options.log,
          backoff: loki.backoff,
          random: options.random,
          now: this.now,
          events: {
            sent: (lines) => options.telemetry.logLines.inc({ result: "sent" }, lines),
            retried: (lines) => options.telemetry.logLines.inc({ result: "retried" }, lines),
            failed: (lines) => options.telemetry.logLines.inc({ result: "failed" }, lines),
            dropped: (lines) => options.telemetry.logLines.inc({ result: "dropped" }, lines),
          },
        },
      );
      this.lokiQueue = sink.queue;
      this.encodeLogs = sink.encode;
    }
    const target = options.pushgateway;
    if (target) {
      this.assignShards(target.shards);
      this.pusher = new Pusher({
        client: new PushgatewayClient({ url: target.url, job: target.job, timeoutMs: target.timeoutMs }),
        owner: target.owner,
        shards: target.shards,
        log: options.log,
        random: options.random,
        now: this.now,
        onAttempt: (ok) => {
          options.telemetry.pushes.inc({ result: ok ? "success" : "failure" });
          if (ok) this.stats.pushesOk++;
          else this.stats.pushesFailed++;
        },
      });
    }
    const remote = options.remoteWrite;
    if (remote) {
      this.assignShards(remote.shards);
      const { telemetry } = options;
      this.batcher = new Batcher(remote.maxSamplesPerRequest);
      this.remoteQueue = new RemoteWriteQueue({
        client: new RemoteWriteClient({ endpoint: splitCredentials(remote.url), authorization: remote.authorization, userAgent: remote.userAgent, timeoutMs: remote.timeoutMs, now: this.now, extraHeaders: remote.headers }),
        shards: remote.shards,
        maxPendingSamples: remote.maxPendingSamples,
        log: options.log,
        backoff: remote.backoff,
        random: options.random,
        now: this.now,
        events: {
          sent: (samples, lag) => {
            telemetry.remoteWriteSamples.inc({ result: "sent" }, samples);
            telemetry.remoteWriteLag.observe(lag);
            telemetry.remoteWriteLastLag.set(lag);
          },
          retried: (samples) => telemetry.remoteWriteSamples.inc({ result: "retried" }, samples),
          failed: (samples) => telemetry.remoteWriteSamples.inc({ result: "failed" }, samples),
          dropped: (samples) => telemetry.remoteWriteSamples.inc({ result: "dropped" }, samples),
          pending: (samples) => telemetry.remoteWritePending.set(samples),
        },
      });
    }
    options.telemetry.hostsTotal.set(this.engine.hosts.length);
  }

  /** Spreads the hosts over `shards` groups (Pushgateway) or queues (remote write) by a hash of their name. */
  private assignShards(shards: number): void {
    for (let i = 0; i < shards; i++) this.shardHosts.push([]);
    for (const host of this.engine.hosts) this.shardHosts[shardOf(host.name, shards)].push(host);
  }

  /** The wall-clock time (ms since the epoch) that scenario time `scenarioMs` of this run corresponds to: remote-write timestamps. */
  wallTimeOf(scenarioMs: number): number {
    return this.startedAt + Math.round((scenarioMs - this.offsetMs) / this.options.speed);
  }

  /** Scenario time now: the history, then wall time since start() times the speed, capped at the duration. */
  scenarioTime(): number {
    const t = this.offsetMs + (this.now() - this.startedAt) * this.options.speed;
    return this.options.durationMs === undefined ? t : Math.min(t, this.offsetMs + this.options.durationMs);
  }

  /** Scenario time played live, since start() (without the history). */
  liveTime(): number {
    return this.scenarioTime() - this.offsetMs;
  }

  /**
   * Starts the run: at once, or, with `startAtMs`, once the history is played (resolves then). The history is
   * played in slices with event-loop turns between them, so that stop() (a signal) ends it within a fraction
   * of a second; `live` tells whether the run got that far.
   */
  start(): Promise<void> {
    this.startedAt = this.now();
    if (this.options.startAtMs === undefined) {
      this.live = true;
      this.runCycle();
      return Promise.resolve();
    }
    this.offsetMs = Math.max(0, this.startedAt - this.options.startAtMs);
    return this.playHistory().then(() => {
      if (this.abort.signal.aborted) return;
      this.live = true;
      this.runCycle();
    });
  }

  /** True once the history (if any) is played and the first cycle started. */
  live = false;

  private async playHistory(): Promise<void> {
    const began = Date.now();
    const pause = turnTaker();
    // Scenario time per slice, doubled or halved to keep each near HISTORY_SLICE_MS of work whatever the fleet.
    let slice = 60_000;
    for (let t = this.engine.now; t < this.offsetMs && !this.abort.signal.aborted; ) {
      const sliceBegan = Date.now();
      t = Math.min(this.offsetMs, t + slice);
      this.engine.advanceTo(t);
      // The history's lines are promemu backfill's to write, not the live push's.
      this.logBuffer?.clear();
      const took = Date.now() - sliceBegan;
      if (took < HISTORY_SLICE_MS / 2) slice *= 2;
      else if (took > HISTORY_SLICE_MS * 2) slice = Math.max(1_000, slice / 2);
      await pause();
    }
    if (this.abort.signal.aborted) return;
    this.options.log(`played ${formatDuration(Math.round(this.offsetMs))} of history since ${new Date(this.options.startAtMs!).toISOString()} in ${((Date.now() - began) / 1000).toFixed(1)} s; live from here`);
  }

  /** Every active host, for a scrape of /emulated (pull mode). */
  renderAll(): Buffer {
    this.catchUp();
    const writer = new BufferWriter();
    const series = renderHosts(this.engine.headers, this.engine.hosts, writer);
    if (!this.pusher && !this.remoteQueue) this.recordSeries(series);
    return writer.bytes();
  }

  /** One exporter host's exposition, as a scrape of `<host>:<port>` answers; undefined while it is stopped or down. */
  renderExporter(hostName: string): Buffer | undefined {
    this.catchUp();
    const exporter = this.exporterHosts().get(hostName)?.exporter;
    if (!exporter || !exporter.up) return undefined;
    const writer = new BufferWriter();
    exporter.renderTo(writer);
    return writer.bytes();
  }

  /** Prometheus HTTP service discovery: a target per exporter host of a profile, scraped through `address` (ours). */
  exporterTargets(profile: string, address: string): ExporterTarget[] {
    return [...this.exporterHosts().values()]
      .filter((host) => host.def.shape.exporter!.profile === profile)
      .map((host) => ({
        targets: [address],
        labels: {
          __metrics_path__: `/hosts/${encodeURIComponent(host.name)}/metrics`,
          instance: `${host.name}:${host.def.shape.exporter!.port}`,
          __meta_promemu_role: host.def.shape.role,
        },
      }));
  }

  private exporterHostIndex: Map<string, HostRuntime> | undefined;
  private exporterHosts(): Map<string, HostRuntime> {
    this.exporterHostIndex ??= new Map(this.engine.hosts.filter((h) => h.def.shape.exporter).map((h) => [h.name, h]));
    return this.exporterHostIndex;
  }

  status(): RunnerStatus {
    this.catchUp();
    const pushgateway = !this.pusher ? "disabled" : this.pusher.failing ? "failing" : this.stats.pushed ? "ok" : "waiting";
    return {
      scenarioTimeMs: this.engine.now,
      durationMs: this.options.durationMs,
      hostsActive: this.countActive(),
      hostsTotal: this.engine.hosts.length,
      series: this.stats.series,
      pushesOk: this.stats.pushesOk,
      pushesFailed: this.stats.pushesFailed,
      lastPushMs: this.stats.lastPushMs,
      pushgateway,
      remoteWrite: this.remoteQueue && {
        state: this.remoteQueue.failing ? "failing" : this.remoteQueue.totals.sent > 0 ? "ok" : "waiting",
        sent: this.remoteQueue.totals.sent,
        pending: this.remoteQueue.pending,
        retried: this.remoteQueue.totals.retried,
        failed: this.remoteQueue.totals.failed,
        dropped: this.remoteQueue.totals.dropped,
      },
      loki: this.lokiQueue && {
        state: this.lokiQueue.failing ? "failing" : this.lokiQueue.totals.sent > 0 ? "ok" : "waiting",
        written: this.logBuffer!.written,
        sent: this.lokiQueue.totals.sent,
        pending: this.lokiQueue.pending,
        retried: this.lokiQueue.totals.retried,
        failed: this.lokiQueue.totals.failed,
        dropped: this.lokiQueue.totals.dropped,
      },
    };
  }

  /** Ends the run: no new cycle, the one in flight aborted, our groups deleted. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearTimeout(this.timer);
      this.abort.abort();
      await this.cycle;
      // Stopped while the history was played: nothing was sent, so there is nothing to flush or remove.
      if (!this.live) return this.finished();
      if (this.lokiQueue) {
        this.catchUp();
        this.flushLogs();
        const left = await this.lokiQueue.close(SHUTDOWN_TIMEOUT_MS);
        if (left > 0) this.options.log(`loki push: ${left} log lines still queued after ${formatDuration(SHUTDOWN_TIMEOUT_MS)}; dropped`);
      }
      if (this.remoteQueue) {
        const left = await this.remoteQueue.close(SHUTDOWN_TIMEOUT_MS);
        if (left > 0) this.options.log(`remote write: ${left} samples still queued after ${formatDuration(SHUTDOWN_TIMEOUT_MS)}; dropped`);
      }
      if (this.pusher) {
        const errors = await this.pusher.removeAll(SHUTDOWN_TIMEOUT_MS);
        if (errors.length === 0) this.options.log(`removed our ${this.pusher.shards} group(s) from ${redactUrl(this.options.pushgateway!.url)}`);
        else this.options.log(`could not remove ${errors.length} of our ${this.pusher.shards} group(s): ${errors[0]}`);
      }
      this.finished();
    })();
    return this.stopping;
  }

  private catchUp(): void {
    // While the history is played in slices, a status line or a scrape sees where it has got to; catching up
    // here would play the rest of the history in one go, deaf to signals.
    if (!this.live) return;
    this.engine.advanceTo(this.scenarioTime());
    this.options.telemetry.hostsActive.set(this.countActive());
  }

  private countActive(): number {
    let active = 0;
    for (const host of this.engine.hosts) if (host.active) active++;
    return active;
  }

  private recordSeries(series: number): void {
    this.stats.series = series;
    this.options.telemetry.series.set(series);
  }

  private runCycle(): void {
    const cycleStart = this.now();
    this.cycle = this.pushOnce(cycleStart)
      .catch((err) => this.options.log(`push cycle failed unexpectedly: ${(err as Error).stack ?? err}`))
      .finally(() => this.scheduleNext());
  }

  /** Queues the lines written since the last cycle, stamped with this run's wall clock. */
  private flushLogs(): void {
    if (!this.lokiQueue || this.logBuffer!.size === 0) return;
    const batches = this.encodeLogs!(this.logBuffer!.take(), this.options.loki!.maxLinesPerRequest, (t) => this.wallTimeOf(t));
    this.lokiQueue.enqueue(0, batches);
  }

  private async pushOnce(cycleStart: number): Promise<void> {
    this.catchUp();
    this.flushLogs();
    if (this.remoteQueue) return this.writeOnce();
    if (!this.pusher) return;
    const signal = this.abort.signal;
    if (!this.cleanedUp) {
      const removed = await this.pusher.cleanup(signal);
      if (removed === undefined) return;
      this.cleanedUp = true;
      if (removed > 0) this.options.log(`removed ${removed} stale group(s) of an earlier run marked ${this.options.pushgateway!.owner}`);
    }
    const render = (shard: number, out: TextSink) => renderHosts(this.engine.headers, this.shardHosts[shard], out);
    const report = await this.pusher.pushCycle(render, cycleStart + this.options.pushIntervalMs, signal);
    if (signal.aborted) return;
    this.recordSeries(report.series);
    this.stats.lastPushMs = report.durationMs;
    this.options.telemetry.pushDuration.observe(report.durationMs / 1000);
    if (report.complete) {
      this.stats.pushed = true;
      this.options.telemetry.lastPushSuccess.set(this.now() / 1000);
    }
  }

  /**
   * Queues one sample of every active series, shard by shard, in slices of SLICE_HOSTS hosts, each
   * stamped with the wall time of the engine's now when it is rendered. Between slices the event
   * loop runs, so the queues' answers are read and their next requests sent while the cycle is
   * still being encoded. With a whole shard per turn (200,000 samples at 100,000 hosts, most of a
   * second), answers waited behind the encoding and, with 8 requests in flight at most, that wait
   * set the pace (docs/emulator.md). Complete batches are queued as soon as they are cut; only a
   * shard's last one is cut short. A scrape of /emulated in between may advance the engine: the
   * later slices then carry that later time, still in order per series.
   */
  private async writeOnce(): Promise<void> {
    const started = this.now();
    const batcher = this.batcher!;
    const queue = this.remoteQueue!;
    let series = 0;
    for (let shard = 0; shard < this.shardHosts.length; shard++) {
      const hosts = this.shardHosts[shard];
      batcher.begin(this.wallTimeOf(this.engine.now));
      for (let from = 0; from < hosts.length; from += SLICE_HOSTS) {
        if (this.abort.signal.aborted) return;
        if (from > 0) batcher.stamp(this.wallTimeOf(this.engine.now));
        series += batcher.write(hosts, from, Math.min(hosts.length, from + SLICE_HOSTS));
        const batches = from + SLICE_HOSTS >= hosts.length ? batcher.finish() : batcher.take();
        if (batches.length > 0) queue.enqueue(shard, batches);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    this.recordSeries(series);
    this.stats.lastPushMs = this.now() - started;
    this.options.telemetry.pushDuration.observe(this.stats.lastPushMs / 1000);
  }

  private scheduleNext(): void {
    if (this.abort.signal.aborted) return;
    if (this.options.durationMs !== undefined && this.liveTime() >= this.options.durationMs) {
      this.options.log(`scenario time ${formatDuration(this.options.durationMs)} reached; stopping`);
      void this.stop();
      return;
    }
    // Cycles keep to slots start + k x interval; one that overran its slot skips the slots it missed.
    const interval = this.options.pushIntervalMs;
    const next = Math.floor((this.now() - this.startedAt) / interval) + 1;
    const overran = next > this.slot + 1;
    // Once per streak of overruns, and at most once a minute: a streak broken by a cycle or two that fit is still one.
    if (overran) {
      if (this.overrunLoggedAt === undefined || this.now() - this.overrunLoggedAt >= OVERRUN_LOG_MS) {
        this.options.log(`a push cycle took longer than the push interval (${formatDuration(interval)}); skipping the intervals it overran`);
        this.overrunLoggedAt = this.now();
      }
      this.fittingSince = undefined;
    } else {
      this.fittingSince ??= this.now();
      if (this.now() - this.fittingSince >= OVERRUN_LOG_MS) this.overrunLoggedAt = undefined;
    }
    this.slot = next;
    this.timer = setTimeout(() => this.runCycle(), Math.max(0, this.startedAt + next * interval - this.now()));
  }
}
