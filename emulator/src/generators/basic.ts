/** Generators without state of their own: they read the clock, the host or other generators. */
import { Random, RandomStream } from "../util/random";
import type { Generator, TickContext } from "./types";

export class Constant implements Generator {
  constructor(private readonly constant: number) {}
  value(): number {
    return this.constant;
  }
}

export class Uniform extends RandomStream implements Generator {
  constructor(
    private readonly min: number,
    private readonly max: number,
    seed: number,
  ) {
    super(seed);
  }
  value(): number {
    return this.min + (this.max - this.min) * this.next();
  }
}

/** Gaussian noise, usually added to a baseline with `sum`. */
export class Normal extends Random implements Generator {
  constructor(
    private readonly mean: number,
    private readonly stddev: number,
    seed: number,
  ) {
    super(seed);
  }
  value(): number {
    return this.mean + this.stddev * this.normal();
  }
}

export class Sum implements Generator {
  constructor(private readonly parts: readonly Generator[]) {}
  value(t: number, ctx: TickContext): number {
    let total = 0;
    for (let i = 0; i < this.parts.length; i++) total += this.parts[i].value(t, ctx);
    return total;
  }
}

/** The common case of a baseline plus noise, without the array. */
export class Sum2 implements Generator {
  constructor(
    private readonly first: Generator,
    private readonly second: Generator,
  ) {}
  value(t: number, ctx: TickContext): number {
    return this.first.value(t, ctx) + this.second.value(t, ctx);
  }
}

/** Maps the host's load factor (clamped to 0..1) onto [min, max], so that several metrics move together. */
export class Load implements Generator {
  constructor(
    private readonly min: number,
    private readonly max: number,
  ) {}
  value(_t: number, ctx: TickContext): number {
    const load = ctx.load < 0 ? 0 : ctx.load > 1 ? 1 : ctx.load;
    return this.min + (this.max - this.min) * load;
  }
}

/** Another metric of the same host this tick: `from * scale + offset`, or its percentage of `percentOf` first. */
export class Derived implements Generator {
  constructor(
    private readonly index: number,
    private readonly scale: number,
    private readonly offset: number,
    private readonly percentOf: number | undefined,
  ) {}
  value(_t: number, ctx: TickContext): number {
    const source = ctx.values[this.index];
    const base = this.percentOf === undefined ? source : (source / this.percentOf) * 100;
    return base * this.scale + this.offset;
  }
}

/** Seconds since the host (re)started, plus an offset for hosts that were "up" before the scenario. */
export class Uptime implements Generator {
  constructor(private readonly offsetSeconds: number) {}
  value(t: number, ctx: TickContext): number {
    return (t - ctx.startedAt) / 1000 + this.offsetSeconds;
  }
}
