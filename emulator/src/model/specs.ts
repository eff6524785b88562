/**
 * The specs a validated scenario hands on (generators, metrics, event filters, ticks), as the compiler,
 * the engine, the generators and the profiles read them: types only, at the bottom of the import graph,
 * so that none of those has to import the scenario schema (scenario/schema.ts, which builds them with zod and
 * imports the profiles' schemas). The schema declares its parsers as producing exactly these.
 */

/** Which events a subscriber hears: a bare name, or a name narrowed to one source host and/or role. */
export interface EventFilter {
  event: string;
  source?: string;
  role?: string;
}

/** A value over scenario time; `switch`, `event` and `sum` nest others. */
export type GeneratorSpec =
  | { type: "constant"; value: number }
  | { type: "uniform"; min: number; max: number }
  | { type: "normal"; mean: number; stddev: number }
  | { type: "sine"; min: number; max: number; period: number; phase: number }
  | { type: "toggle"; period: number; on: number; offset: number; low: number; high: number; events?: { rise?: string; fall?: string } }
  | { type: "steps"; choices: { value: number; weight: number }[]; hold?: number }
  | { type: "trend"; start: number; min: number; max: number; direction: "up" | "down" | "hold"; rate: number; per: number; noise: number }
  | { type: "uptime"; offset: number }
  | { type: "derived"; from: string; scale: number; offset: number; percentOf?: number }
  | { type: "event"; initial: number; on: (EventFilter & { value: number })[] }
  | { type: "switch"; base: GeneratorSpec; generator: GeneratorSpec; on: EventFilter; for?: number; until?: EventFilter }
  | { type: "ou"; mean: number; stddev: number; reversion: number; start?: number }
  | { type: "diurnal"; min: number; max: number; peak: number }
  | { type: "load"; min: number; max: number }
  | { type: "sum"; of: GeneratorSpec[] };

export type GeneratorType = GeneratorSpec["type"];

export type Distribution =
  | { type: "lognormal"; median: number; sigma: number }
  | { type: "normal"; mean: number; stddev: number }
  | { type: "uniform"; min: number; max: number }
  | { type: "exponential"; mean: number };

export type MetricSpec =
  | { type: "gauge"; help?: string; generator: GeneratorSpec; min?: number; max?: number; decimals?: number }
  | { type: "counter"; help?: string; rate: GeneratorSpec; decimals?: number }
  | { type: "histogram"; help?: string; buckets: number[]; observations: { rate: GeneratorSpec; distribution: Distribution } };

export interface TickSpec {
  interval: number;
  jitter: number;
}
