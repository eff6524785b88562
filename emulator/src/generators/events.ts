/** Generators driven by events: a value set by the last event heard, and a switch to another generator. */
import type { EmulatorEvent, Listener } from "../events/bus";
import type { EventFilter } from "../model/specs";
import type { BuildEnv, Generator, TickContext } from "./types";

/** Holds the value attached to the last matching event (e.g. 1 on peak_start, 0 on peak_end). */
export class EventValue implements Generator, Listener {
  private current: number;

  constructor(
    initial: number,
    private readonly on: readonly (EventFilter & { value: number })[],
    env: BuildEnv,
  ) {
    this.current = initial;
    for (let i = 0; i < on.length; i++) env.subscribe(on[i], this, i);
  }

  onEvent(_event: EmulatorEvent, tag: number): void {
    this.current = this.on[tag].value;
  }

  value(): number {
    return this.current;
  }
}

const ON = 0;
const UNTIL = 1;

/** A whole number of milliseconds as a small integer (times computed in floating point otherwise arrive as heap numbers). */
function small(t: number): number {
  return t === (t | 0) ? t | 0 : t;
}

/**
 * Plays `base`, except from a matching `on` event for `for` (and/or until an `until` event), when it
 * plays `generator` instead. Each keeps its own state; the idle one is simply not asked.
 */
export class Switch implements Generator, Listener {
  /**
   * The window in which `generator` plays: from `from` (-1: no event yet) until `until` (-1: no end).
   * -1 rather than Infinity: whole-millisecond times then stay small integers that V8 stores in the
   * object itself, where Infinity would make each field a separate heap number (two per switch and host).
   */
  private from = -1;
  private until = -1;

  constructor(
    private readonly base: Generator,
    private readonly alternate: Generator,
    on: EventFilter,
    /** Undefined: until an `until` event only. */
    private readonly duration: number | undefined,
    until: EventFilter | undefined,
    env: BuildEnv,
  ) {
    env.subscribe(on, this, ON);
    if (until) env.subscribe(until, this, UNTIL);
  }

  onEvent(event: EmulatorEvent, tag: number): void {
    if (tag === ON) {
      this.from = small(event.time);
      this.until = this.duration === undefined ? -1 : small(event.time + this.duration);
    } else if (this.playing(event.time)) {
      this.until = small(event.time);
    }
  }

  private playing(t: number): boolean {
    return this.from >= 0 && t >= this.from && (this.until < 0 || t < this.until);
  }

  value(t: number, ctx: TickContext): number {
    return this.playing(t) ? this.alternate.value(t, ctx) : this.base.value(t, ctx);
  }
}
