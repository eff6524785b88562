/** Generators driven by events: a value set by the last event heard, and a switch to another generator. */
import type { EventFilter } from "../scenario/schema";
import type { BuildEnv, Generator, TickContext } from "./types";

/** Holds the value attached to the last matching event (e.g. 1 on peak_start, 0 on peak_end). */
export class EventValue implements Generator {
  private current: number;

  constructor(initial: number, on: readonly (EventFilter & { value: number })[], env: BuildEnv) {
    this.current = initial;
    for (const filter of on) env.subscribe(filter, () => (this.current = filter.value));
  }

  value(): number {
    return this.current;
  }
}

/**
 * Plays `base`, except from a matching `on` event for `for` (and/or until an `until` event), when it
 * plays `generator` instead. Each keeps its own state; the idle one is simply not asked.
 */
export class Switch implements Generator {
  private from = Infinity;
  private until = Infinity;

  constructor(
    private readonly base: Generator,
    private readonly alternate: Generator,
    on: EventFilter,
    duration: number | undefined,
    until: EventFilter | undefined,
    env: BuildEnv,
  ) {
    env.subscribe(on, (event) => {
      this.from = event.time;
      this.until = duration === undefined ? Infinity : event.time + duration;
    });
    if (until) {
      env.subscribe(until, (event) => {
        if (event.time >= this.from && event.time < this.until) this.until = event.time;
      });
    }
  }

  value(t: number, ctx: TickContext): number {
    return t >= this.from && t < this.until ? this.alternate.value(t, ctx) : this.base.value(t, ctx);
  }
}
