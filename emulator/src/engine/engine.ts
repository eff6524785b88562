/**
 * The emulation itself, free of I/O and of the wall clock: `advanceTo(t)` plays every tick, edge,
 * event, start and stop due up to scenario time t, in order. Driven by a real clock it is the
 * workload; driven by a test it plays half an hour in milliseconds, with the same values.
 */
import { EventBus } from "../events/bus";
import { familyHeader } from "../exposition/text";
import type { CompiledScenario } from "../model/types";
import { hostStreams } from "../logs/host-logs";
import type { LogSink, LogStream } from "../logs/types";
import { HostRuntime } from "./host";
import { Scheduler } from "./scheduler";

export interface EngineOptions {
  /** The same seed plays the same series. */
  seed: number;
  /** The emulated wall clock (ms since the Unix epoch) at scenario time 0; exporters' clocks read it. Default: DEFAULT_EPOCH_MS. */
  epochMs?: number;
  /** Where the hosts' log lines go (hosts with a `logs` key); without it no log is made. */
  logs?: { sink: LogSink; /** `job` of plain hosts' streams (default promemu, the Pushgateway job). */ job?: string };
}

/** A fixed start of the emulated clock, so that runs on the injected clock are the same every time: 2026-01-05T00:00:00Z. */
export const DEFAULT_EPOCH_MS = Date.UTC(2026, 0, 5);

export class Engine {
  readonly hosts: readonly HostRuntime[];
  /** `# HELP` and `# TYPE` lines of each family, by family index. */
  readonly headers: readonly string[];
  /** Every host's log streams (empty without options.logs). */
  readonly logStreams: readonly LogStream[];
  private readonly scheduler = new Scheduler();
  private readonly bus = new EventBus();
  private readonly stats = { samples: 0 };

  constructor(
    readonly scenario: CompiledScenario,
    options: EngineOptions,
  ) {
    const services = {
      scheduler: this.scheduler,
      bus: this.bus,
      seed: options.seed,
      timeOfDay: scenario.timeOfDay,
      familyCount: scenario.families.length,
      stats: this.stats,
      epochMs: options.epochMs ?? DEFAULT_EPOCH_MS,
      logSink: options.logs?.sink,
    };
    this.headers = scenario.families.map(familyHeader);
    this.hosts = scenario.hosts.map((def) => new HostRuntime(def, services));
    // Background hosts (another shard's) take part in the schedule and the events only: no logs, not counted.
    const background = (scenario.backgroundHosts ?? []).map((def) => new HostRuntime(def, { ...services, logSink: undefined, stats: { samples: 0 } }));
    const streams: LogStream[] = [];
    if (options.logs) {
      for (const host of this.hosts) {
        host.logStreams = hostStreams(host.def, options.logs.job ?? "promemu", streams.length);
        streams.push(...host.logStreams);
      }
    }
    this.logStreams = streams;
    for (const host of [...this.hosts, ...background]) {
      const { startOn, stopOn, delay } = host.def.shape;
      if (startOn) {
        this.bus.subscribe(startOn, (event) => this.scheduler.schedule(event.time + delay, () => host.start(this.scheduler.now)));
      } else {
        this.scheduler.schedule(delay, () => host.start(this.scheduler.now));
      }
      if (stopOn) this.bus.subscribe(stopOn, (event) => host.stop(event.time));
    }
  }

  /** Scenario time in milliseconds. */
  get now(): number {
    return this.scheduler.now;
  }

  /** Samples generated since the start (a histogram tick counts buckets + 3). */
  get samples(): number {
    return this.stats.samples;
  }

  advanceTo(t: number): void {
    this.scheduler.advanceTo(t);
  }

  activeHosts(): HostRuntime[] {
    return this.hosts.filter((h) => h.active);
  }
}
