/**
 * What the exporter profiles share on a host at run time: the latent drivers read from the
 * scenario's generators (or the profile's defaults) at each tick, and the emulated wall clock's
 * start times (a boot or a postmaster start, a restart).
 */
import { buildGenerator } from "../generators/build";
import type { BuildEnv, Generator, TickContext } from "../generators/types";
import type { GeneratorSpec } from "../model/specs";

/** A profile's drivers, each from its generator spec or the profile's default (key `<prefix>.<name>`). */
export class DriverSet<N extends string> {
  private readonly generators: [N, Generator][];
  /** The values of the last read (the same object at every tick). */
  readonly current: Record<N, number>;

  constructor(prefix: string, names: readonly N[], specs: Partial<Record<N, GeneratorSpec>>, defaults: Record<N, GeneratorSpec>, env: BuildEnv) {
    this.generators = names.map((name) => [name, buildGenerator(specs[name] ?? defaults[name], env, `${prefix}.${name}`)]);
    this.current = Object.fromEntries(names.map((name) => [name, 0])) as Record<N, number>;
  }

  /** Reads every driver at scenario time t (ms), in the order of its names. */
  read(t: number, ctx: TickContext): Record<N, number> {
    for (const [name, generator] of this.generators) this.current[name] = generator.value(t, ctx);
    return this.current;
  }
}

/** The emulated wall clock (whole seconds since the epoch) at scenario time t (ms), `uptimeDays` before it. */
export function wallSeconds(epochMs: number, t: number, uptimeDays = 0): number {
  return Math.round((epochMs + t) / 1000 - uptimeDays * 86_400);
}
