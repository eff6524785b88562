/**
 * One emulated host at run time: started (after its delay, or by an event), ticking at its own
 * jittered interval, stopped by its TTL or an event. Stopping drops its series at once, so the next
 * push no longer carries them; a restart begins afresh (counters at 0, uptime at 0).
 */
import { type EventBus, HOST_STARTED, HOST_STOPPED } from "../events/bus";
import { buildGenerator } from "../generators/build";
import type { BuildEnv, Generator, TickContext } from "../generators/types";
import { labelText } from "../exposition/text";
import type { HostDef, HostShape } from "../model/types";
import type { GeneratorSpec } from "../model/specs";
import { Random, RandomStream } from "../util/random";
import { HostEvents } from "./host-events";
import type { Scheduler, Timer } from "./scheduler";
import { type Series, createSeries } from "./series";
import { createExporter } from "../profiles/registry";
import type { ExporterRuntime } from "../profiles/types";
import { createLogSources } from "../logs/host-logs";
import type { LogHost } from "../logs/source-kit";
import type { HostLogSource, LogSink, LogStream } from "../logs/types";

/** What the engine lends each host. */
export interface HostServices {
  readonly scheduler: Scheduler;
  readonly bus: EventBus;
  readonly seed: number;
  readonly timeOfDay: number;
  readonly familyCount: number;
  /** Running total of samples generated (the benchmark's measure). */
  readonly stats: { samples: number };
  /** The emulated wall clock (ms since the Unix epoch) at scenario time 0, for exporters' clocks. */
  readonly epochMs: number;
  /** Where the hosts' log sources write; without it no host builds any (docs/logs.md). */
  readonly logSink?: LogSink;
}

/** What the hosts of one shape share: metric indexes and stateless generators. */
const sharedByShape = new WeakMap<HostShape, { indexes: Map<string, number>; generators: Map<GeneratorSpec, Generator> }>();

export class HostRuntime {
  active = false;
  /** Series in evaluation order while active; empty while stopped. */
  series: Series[] = [];
  /** The same series indexed by family, for rendering family by family. */
  byFamily: (Series | undefined)[] = [];
  readonly labels: string;
  /** The exporter this host runs while active (hosts with an `exporter` profile). */
  exporter: ExporterRuntime | undefined;
  /** The host's log streams (set by the engine when it has a log sink), one per entry of its `logs`. */
  logStreams: readonly LogStream[] = [];
  private logSources: HostLogSource[] = [];

  private epoch = 0;
  private starts = 0;
  private lastTick = 0;
  private samplesPerTick = 0;
  private load: Generator | undefined;
  private ctx: TickContext = { startedAt: 0, load: 0, values: [] };
  /** This run's event subscriptions, ended when the host stops. */
  private events: HostEvents | undefined;
  private readonly tickRandom: RandomStream;
  private readonly tickSpec: { readonly interval: number; readonly jitter: number };

  constructor(
    readonly def: HostDef,
    private readonly services: HostServices,
  ) {
    this.labels = labelText(def.labels);
    this.tickRandom = RandomStream.stream(services.seed, def.name, "tick");
    this.tickSpec = def.shape.tick;
  }

  get name(): string {
    return this.def.name;
  }

  start(t: number): void {
    if (this.active) return;
    const { shape } = this.def;
    this.active = true;
    this.epoch++;
    this.starts++;
    this.buildSeries(t);
    this.byFamily = new Array(this.services.familyCount);
    this.samplesPerTick = 0;
    for (const series of this.series) {
      this.byFamily[series.def.family.index] = series;
      this.samplesPerTick += series.samples;
    }
    this.ctx = { startedAt: t, load: 0, values: new Array<number>(this.series.length).fill(0) };
    this.lastTick = t;
    if (shape.ttl !== undefined) this.later(t + shape.ttl, () => this.stop(t + shape.ttl!));
    this.tick(new TickTimer(this, this.epoch, t));
    this.emit(HOST_STARTED, t);
  }

  /**
   * The generators and series of a run. Kept apart from start() so that no closure of start()'s
   * (the TTL timer) holds the build environment, and with it a context per host, for the whole run.
   */
  private buildSeries(t: number): void {
    const { shape } = this.def;
    this.events = new HostEvents();
    const env = this.environment(t);
    this.load = shape.load ? buildGenerator(shape.load, env, "load") : undefined;
    const series = new Array<Series>(shape.metrics.length);
    for (let i = 0; i < series.length; i++) series[i] = createSeries(shape.metrics[i], env);
    this.series = series;
    this.exporter = shape.exporter ? createExporter(shape.exporter, this.def.name, env, this.services.epochMs) : undefined;
    this.logSources = this.buildLogSources(env);
    // After everything that may subscribe has been built.
    this.events.open(this.services.bus, shape);
  }

  /** Runs a tick of the run `epoch` (a timer of an earlier run does nothing). */
  tickIfCurrent(timer: TickTimer): void {
    if (timer.epoch === this.epoch) this.tick(timer);
  }

  stop(t: number): void {
    if (!this.active) return;
    this.active = false;
    this.epoch++;
    this.events?.close(this.services.bus);
    this.events = undefined;
    this.series = [];
    this.byFamily = [];
    this.load = undefined;
    this.exporter = undefined;
    this.logSources = [];
    this.emit(HOST_STOPPED, t);
  }

  private tick(timer: Timer): void {
    const t = timer.at;
    const { ctx, series } = this;
    const dt = (t - this.lastTick) / 1000;
    ctx.load = this.load ? this.load.value(t, ctx) : 0;
    for (let i = 0; i < series.length; i++) {
      series[i].sample(t, dt, ctx);
      ctx.values[i] = series[i].value;
    }
    if (this.exporter) {
      this.exporter.sample(t, dt, ctx);
      this.services.stats.samples += this.exporter.seriesCount;
    }
    for (const source of this.logSources) source.tick(this.lastTick, t);
    this.lastTick = t;
    this.services.stats.samples += this.samplesPerTick;
    const { interval, jitter } = this.tickSpec;
    this.services.scheduler.reschedule(timer, t + interval + (jitter > 0 ? this.tickRandom.uniform(-jitter, jitter) : 0));
  }

  /** The log sources of this run, reading this run's series and exporter (after them: they subscribe last but for the faults). */
  private buildLogSources(env: BuildEnv): HostLogSource[] {
    const sink = this.services.logSink;
    const specs = this.def.shape.logs;
    if (!sink || !specs || this.logStreams.length === 0) return [];
    const { shape } = this.def;
    const byName = new Map(this.series.map((s) => [s.def.name, s] as const));
    const address = this.def.labels.find(([k]) => k === "address")?.[1] ?? "";
    const hosts = this.logStreams.map(
      (stream): LogHost => ({
        name: this.def.name,
        role: shape.role,
        address,
        epochMs: this.services.epochMs,
        exporterSpec: shape.exporter,
        exporter: () => this.exporter,
        metric: (name) => byName.get(name)?.value,
        seed: env.seed,
        subscribe: env.subscribe,
        sink,
        stream,
      }),
    );
    return createLogSources(specs, hosts, (name) => shape.metrics.find((m) => m.name === name));
  }

  /** A timer that dies with this run of the host. */
  private later(at: number, action: () => void): void {
    const epoch = this.epoch;
    this.services.scheduler.schedule(at, () => {
      if (this.epoch === epoch) action();
    });
  }

  private emit(name: string, at: number): void {
    this.services.bus.emit({ name, source: this.def.name, role: this.def.shape.role, time: at });
  }

  private environment(now: number): BuildEnv {
    const { seed, timeOfDay } = this.services;
    const { shape } = this.def;
    let perShape = sharedByShape.get(shape);
    if (!perShape) sharedByShape.set(shape, (perShape = { indexes: new Map(shape.metrics.map((m, i) => [m.name, i])), generators: new Map() }));
    const { indexes, generators } = perShape;
    const run = String(this.starts);
    return {
      now,
      timeOfDay,
      seed: (key) => Random.seed(seed, this.def.name, run, key),
      subscribe: (filter, listener, tag) => this.events!.add(filter, listener, tag ?? 0),
      schedule: (at, action) => this.later(at, action),
      emit: (name, at) => this.emit(name, at),
      metricIndex: (name) => indexes.get(name)!,
      shared: generators,
    };
  }
}

/** A host's tick timer: rescheduled after every tick, one object per run (no closure, no context). */
class TickTimer implements Timer {
  constructor(
    private readonly host: HostRuntime,
    readonly epoch: number,
    public at: number,
  ) {}

  fire(): void {
    this.host.tickIfCurrent(this);
  }
}
