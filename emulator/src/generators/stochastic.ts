/** Generators with a random state that evolves between ticks. Each keeps its own last time, so gaps of any length are handled. */
import { Random, RandomStream } from "../util/random";
import type { Generator } from "./types";

/** Weighted discrete values (e.g. 4, 8 or 16 workers); with `hold`, a drawn value stays at least that long. */
export class Steps extends RandomStream implements Generator {
  private readonly cumulative: number[];
  private readonly total: number;
  private current = 0;
  private holdUntil = -Infinity;

  constructor(
    private readonly choices: readonly { value: number; weight: number }[],
    private readonly hold: number | undefined,
    seed: number,
  ) {
    super(seed);
    let sum = 0;
    this.cumulative = choices.map((c) => (sum += c.weight));
    this.total = sum;
  }

  value(t: number): number {
    if (t < this.holdUntil) return this.current;
    const draw = this.next() * this.total;
    let i = 0;
    while (i < this.cumulative.length - 1 && draw >= this.cumulative[i]) i++;
    this.current = this.choices[i].value;
    if (this.hold !== undefined) this.holdUntil = t + this.hold;
    return this.current;
  }
}

export interface TrendShape {
  start: number;
  min: number;
  max: number;
  direction: "up" | "down" | "hold";
  /** Drift in units per `per`. */
  rate: number;
  per: number;
  /** Standard deviation of the change over one `per`. */
  noise: number;
}

/**
 * A random walk with drift. Up and down trends stop at their bound (clamped); a hold trend reflects
 * off the bounds instead, which keeps it unbiased: clamping would pile values up at the edges.
 */
export class Trend extends Random implements Generator {
  private x: number;
  /** NaN before the first value (a number field, not undefined: see Random.spare). */
  private last = NaN;
  private readonly drift: number;

  constructor(
    private readonly shape: TrendShape,
    seed: number,
  ) {
    super(seed);
    this.x = shape.start;
    this.drift = shape.direction === "up" ? shape.rate : shape.direction === "down" ? -shape.rate : 0;
  }

  value(t: number): number {
    if (t > this.last) {
      const steps = (t - this.last) / this.shape.per;
      const next = this.x + this.drift * steps + this.shape.noise * Math.sqrt(steps) * this.normal();
      this.x = this.shape.direction === "hold" ? reflect(next, this.shape.min, this.shape.max) : Math.min(this.shape.max, Math.max(this.shape.min, next));
    }
    this.last = t;
    return this.x;
  }
}

/** Folds x back into [min, max] as a ball bouncing between two walls. */
export function reflect(x: number, min: number, max: number): number {
  const width = max - min;
  if (width === 0) return min;
  let offset = (x - min) % (2 * width);
  if (offset < 0) offset += 2 * width;
  return offset <= width ? min + offset : max - (offset - width);
}

/**
 * Ornstein-Uhlenbeck noise: pulled back towards `mean` with time constant `reversion`, with `stddev`
 * as its long-run spread. Uses the exact transition, so any gap between ticks gives the right law.
 */
export class OrnsteinUhlenbeck extends Random implements Generator {
  private x: number;
  private last = NaN;

  constructor(
    private readonly mean: number,
    private readonly stddev: number,
    private readonly reversion: number,
    start: number | undefined,
    seed: number,
  ) {
    super(seed);
    this.x = start ?? mean;
  }

  value(t: number): number {
    if (t > this.last) {
      const decay = Math.exp(-(t - this.last) / this.reversion);
      this.x = this.mean + (this.x - this.mean) * decay + this.stddev * Math.sqrt(1 - decay * decay) * this.normal();
    }
    this.last = t;
    return this.x;
  }
}
