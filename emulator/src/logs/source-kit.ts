/**
 * What the log sources share: how a source sees its host (read-only values of its metrics, its
 * events, its seed), the increase of a counter between two ticks (as Prometheus' increase() reads
 * it: a drop is a restart from 0), and lines spread over a tick's interval in time order.
 */
import type { Listener } from "../events/bus";
import type { ExporterRuntime } from "../profiles/types";
import type { ExporterSpec } from "../profiles/specs";
import type { RandomStream } from "../util/random";
import type { LogEventFilter } from "./schema";
import type { LogSink, LogStream } from "./types";

/** A host as its log sources see it. */
export interface LogHost {
  readonly name: string;
  readonly role: string;
  readonly address: string;
  /** The emulated wall clock (ms since the epoch) at scenario time 0: lines carry emulated wall time. */
  readonly epochMs: number;
  readonly exporterSpec?: ExporterSpec;
  /** The exporter while the host runs (read at each tick). */
  exporter(): ExporterRuntime | undefined;
  /** A plain metric's current value (gauges and counters), by name. */
  metric(name: string): number | undefined;
  seed(key: string): number;
  subscribe(filter: LogEventFilter, listener: Listener, tag?: number): void;
  readonly sink: LogSink;
  readonly stream: LogStream;
}

/** The increase of one counter between reads; the first read (and a value that is not there) counts 0. */
export class CounterWatch {
  private last = NaN;
  constructor(private readonly read: () => number | undefined) {}

  /** Whole events since the previous call. */
  delta(): number {
    const value = this.read();
    if (value === undefined) return 0;
    const last = this.last;
    this.last = value;
    if (last !== last) return 0;
    return Math.max(0, Math.round(value < last ? value : value - last));
  }
}

/** A gauge's previous value, to see its edges. */
export class EdgeWatch {
  private last: number | undefined;
  constructor(private readonly read: () => number | undefined) {}

  /** [previous, current]; previous is undefined at the first read. */
  next(): [number | undefined, number | undefined] {
    const value = this.read();
    const last = this.last;
    this.last = value;
    return [last, value];
  }
}

/** n times in (from, t], ascending, whole milliseconds. */
export function spreadTimes(from: number, t: number, n: number, random: RandomStream): number[] {
  const times = new Array<number>(n);
  const span = t - from;
  for (let i = 0; i < n; i++) times[i] = span <= 1 ? t : from + 1 + Math.floor(random.next() * span);
  return times.sort((a, b) => a - b);
}

/** A draw from a Poisson distribution of the given mean (Knuth's method below 30, normal above). */
export function poisson(mean: number, random: RandomStream): number {
  if (mean <= 0) return 0;
  if (mean > 30) {
    const u = Math.max(1e-12, random.next());
    const v = random.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random.next();
  while (p > limit) {
    k++;
    p *= random.next();
  }
  return k;
}

/** An integer in [min, max]. */
export function between(min: number, max: number, random: RandomStream): number {
  return min + Math.floor(random.next() * (max - min + 1));
}

export function pick<T>(items: readonly T[], random: RandomStream): T {
  return items[Math.floor(random.next() * items.length)];
}
