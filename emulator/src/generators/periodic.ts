/** Generators that are functions of scenario time: a sine wave, a day's cycle, a square wave. */
import type { BuildEnv, Generator } from "./types";

const DAY_HOURS = 24;
const HOUR_MS = 3_600_000;

/** A wave between min and max: its middle and half its height. */
abstract class Wave implements Generator {
  protected readonly mid: number;
  protected readonly amplitude: number;
  constructor(min: number, max: number) {
    this.mid = (min + max) / 2;
    this.amplitude = (max - min) / 2;
  }
  abstract value(t: number): number;
}

/** Mid-range at t=0 (phase 0), max at a quarter period, min at three quarters. `phase` is a fraction of the period. */
export class Sine extends Wave {
  constructor(
    min: number,
    max: number,
    private readonly period: number,
    private readonly phase: number,
  ) {
    super(min, max);
  }
  value(t: number): number {
    return this.mid + this.amplitude * Math.sin(2 * Math.PI * (t / this.period + this.phase));
  }
}

/** A day's cycle on the scenario clock: max at the `peak` hour, min twelve hours away. */
export class Diurnal extends Wave {
  constructor(
    min: number,
    max: number,
    private readonly peakHour: number,
    private readonly timeOfDay: number,
  ) {
    super(min, max);
  }
  value(t: number): number {
    const hour = (this.timeOfDay + t / HOUR_MS) % DAY_HOURS;
    return this.mid + this.amplitude * Math.cos((2 * Math.PI * (hour - this.peakHour)) / DAY_HOURS);
  }
}

export interface ToggleShape {
  period: number;
  on: number;
  offset: number;
  low: number;
  high: number;
  events?: { rise?: string; fall?: string };
}

/**
 * A square wave: high during [offset + k*period, offset + k*period + on), low otherwise (and before
 * offset). With `events`, each edge is announced at its exact time, whether or not the host ticks then.
 */
export class Toggle implements Generator {
  constructor(private readonly shape: ToggleShape) {}

  /** Starts announcing edges; a host that starts while the wave is high announces the rise at once. */
  announceEdges(env: BuildEnv): void {
    const { rise, fall } = this.shape.events ?? {};
    if (!rise && !fall) return;
    if (this.isHigh(env.now) && rise) env.emit(rise, env.now);
    const scheduleNext = (after: number) => {
      const edge = this.nextEdge(after);
      env.schedule(edge, () => {
        const name = this.isHigh(edge) ? rise : fall;
        if (name) env.emit(name, edge);
        scheduleNext(edge);
      });
    };
    scheduleNext(env.now);
  }

  isHigh(t: number): boolean {
    const phase = t - this.shape.offset;
    return phase >= 0 && phase % this.shape.period < this.shape.on;
  }

  /** The first edge strictly after t. */
  nextEdge(t: number): number {
    const { offset, period, on } = this.shape;
    if (t < offset) return offset;
    const rise = offset + Math.floor((t - offset) / period) * period;
    return t < rise + on ? rise + on : rise + period;
  }

  value(t: number): number {
    return this.isHigh(t) ? this.shape.high : this.shape.low;
  }
}
