/**
 * What a generator is and what it may use. Generators are built when their host starts and asked
 * for a value at each of the host's ticks, in scenario time (milliseconds since the scenario began).
 */
import type { Listener } from "../events/bus";
import type { EventFilter, GeneratorSpec } from "../model/specs";

/** Per-host state a tick shares with the generators of that host. */
export interface TickContext {
  /** Scenario time the host (re)started at. */
  startedAt: number;
  /** The host's load factor at this tick, 0..1 once clamped (see the `load` generator). */
  load: number;
  /** This tick's values of the host's metrics so far, by evaluation index (sources come first). */
  readonly values: number[];
}

export interface Generator {
  value(t: number, ctx: TickContext): number;
}

/** The host-side services a generator may use while it is built. */
export interface BuildEnv {
  /** Scenario time at which the host starts (the generators are built then). */
  readonly now: number;
  /** Hours since midnight at scenario time 0. */
  readonly timeOfDay: number;
  /** Seed of a random stream private to this host, metric and place in the generator tree. */
  seed(key: string): number;
  /** Subscriptions end when the host stops; `tag` tells the listener which of its subscriptions matched. */
  subscribe(filter: EventFilter, listener: Listener, tag?: number): void;
  /** Timers are cancelled when the host stops. */
  schedule(at: number, action: () => void): void;
  /** Emits an event from this host. */
  emit(name: string, at: number): void;
  /** Evaluation index of another metric of this host (already checked to exist). */
  metricIndex(name: string): number;
  /** Stateless generators already built for hosts of the same shape (see isStateless). */
  readonly shared: Map<GeneratorSpec, Generator>;
}
