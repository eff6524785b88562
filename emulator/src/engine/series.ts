/**
 * The runtime of one metric on one host: it samples its generator at each tick and writes its
 * exposition lines as pieces: `name{` (one string per metric, shared by every host), the host's
 * label text (one per host), `} `, the value. A prefix string per series (`name{labels} `) would
 * cost some 100 bytes of every series' memory, and an array per metric and host to hold them.
 */
import { sampler } from "../generators/distribution";
import { buildGenerator } from "../generators/build";
import { Random } from "../util/random";
import type { BuildEnv, Generator, TickContext } from "../generators/types";
import { escapeLabelValue, formatValue } from "../exposition/text";
import type { MetricDef } from "../model/types";
import type { TextSink } from "../exposition/render";

export interface Series {
  readonly def: MetricDef;
  /** The value other metrics derive from (gauges and counters). */
  readonly value: number;
  /** Samples written per tick: 1, or buckets + 3 for a histogram. */
  readonly samples: number;
  /** dt: seconds since the host's previous tick (0 at its first). */
  sample(t: number, dt: number, ctx: TickContext): void;
  /** Writes this series' lines as pieces (see above) under the host's label text: no string per line is built. */
  renderTo(out: TextSink, labels: string): void;
}

/**
 * The text around the host's labels in each line of a metric, built once per metric definition:
 * `opens[j]` before the labels, `closes[j]` after them. One line for gauges and counters; buckets,
 * +Inf, sum and count for histograms. A host's label text is never empty (host, role, address).
 */
export interface LineText {
  readonly opens: readonly string[];
  readonly closes: readonly string[];
}
const lineTexts = new WeakMap<MetricDef, LineText>();

export function lineText(def: MetricDef): LineText {
  let text = lineTexts.get(def);
  if (text) return text;
  const { name, spec } = def;
  if (spec.type !== "histogram") {
    text = { opens: [`${name}{`], closes: ["} "] };
  } else {
    const bounds = [...spec.buckets.map(formatValue), "+Inf"];
    text = {
      opens: [...bounds.map(() => `${name}_bucket{`), `${name}_sum{`, `${name}_count{`],
      closes: [...bounds.map((b) => `,le="${escapeLabelValue(b)}"} `), "} ", "} "],
    };
  }
  lineTexts.set(def, text);
  return text;
}

/** 10^decimals, or 0 for no rounding. */
function roundingFactor(decimals: number | undefined): number {
  return decimals === undefined ? 0 : 10 ** decimals;
}

function round(value: number, factor: number): number {
  return factor === 0 ? value : Math.round(value * factor) / factor;
}

/** What every host's copy of a gauge shares (per-instance number fields each cost a box at 10,000 hosts). */
interface GaugeLimits {
  readonly min: number;
  readonly max: number;
  readonly factor: number;
}
const gaugeLimits = new WeakMap<MetricDef, GaugeLimits>();

/** A gauge or a counter: one line, `name{labels} value`. */
abstract class SingleSeries implements Series {
  value = 0;
  constructor(
    readonly def: MetricDef,
    private readonly open: string,
  ) {}
  get samples(): number {
    return 1;
  }
  abstract sample(t: number, dt: number, ctx: TickContext): void;
  renderTo(out: TextSink, labels: string): void {
    out.write(this.open);
    out.write(labels);
    out.write("} ");
    out.write(formatValue(this.value));
    out.write("\n");
  }
}

class GaugeSeries extends SingleSeries {
  constructor(
    def: MetricDef,
    open: string,
    private readonly generator: Generator,
    private readonly limits: GaugeLimits,
  ) {
    super(def, open);
  }
  sample(t: number, _dt: number, ctx: TickContext): void {
    const raw = this.generator.value(t, ctx);
    const { min, max, factor } = this.limits;
    this.value = round(raw < min ? min : raw > max ? max : raw, factor);
  }
}

/** Starts at 0 and only goes up: each tick adds rate (per second, negatives ignored) x seconds elapsed. */
class CounterSeries extends SingleSeries {
  private total = 0;
  constructor(
    def: MetricDef,
    open: string,
    private readonly rate: Generator,
    private readonly factor: number,
  ) {
    super(def, open);
  }
  sample(t: number, dt: number, ctx: TickContext): void {
    const rate = this.rate.value(t, ctx);
    if (rate > 0) this.total += rate * dt;
    this.value = round(this.total, this.factor);
  }
}

/**
 * Observations drawn afresh every tick (rate x elapsed seconds of them, fractions carried over).
 * Above MAX_DRAWS per tick a sample of that size is drawn and its bucket shares scaled up, so a busy
 * endpoint costs a bounded amount of CPU while keeping integer, cumulative bucket counts.
 */
export const MAX_DRAWS = 2000;

class HistogramSeries implements Series {
  readonly value = 0;
  readonly samples: number;
  private readonly cumulative: Float64Array;
  private readonly tally: Float64Array;
  private readonly fractions: Float64Array;
  private sum = 0;
  private count = 0;
  private pending = 0;

  constructor(
    readonly def: MetricDef,
    private readonly text: LineText,
    private readonly bounds: readonly number[],
    private readonly rate: Generator,
    private readonly draw: () => number,
  ) {
    this.samples = bounds.length + 3;
    this.cumulative = new Float64Array(bounds.length);
    this.tally = new Float64Array(bounds.length + 1);
    this.fractions = new Float64Array(bounds.length + 1);
  }

  sample(t: number, dt: number, ctx: TickContext): void {
    const rate = this.rate.value(t, ctx);
    if (rate > 0) this.pending += rate * dt;
    const n = Math.floor(this.pending);
    if (n === 0) return;
    this.pending -= n;
    const draws = Math.min(n, MAX_DRAWS);
    const { tally, bounds } = this;
    tally.fill(0);
    let sum = 0;
    for (let k = 0; k < draws; k++) {
      const x = this.draw();
      sum += x;
      let j = 0;
      while (j < bounds.length && x > bounds[j]) j++;
      tally[j]++;
    }
    if (draws < n) {
      this.scaleTally(n / draws, n);
      sum *= n / draws;
    }
    let running = 0;
    for (let j = 0; j < bounds.length; j++) {
      running += tally[j];
      this.cumulative[j] += running;
    }
    this.sum += sum;
    this.count += n;
  }

  /** Largest-remainder rounding: integer shares that add up to exactly n. */
  private scaleTally(scale: number, n: number): void {
    const { tally, fractions } = this;
    let assigned = 0;
    for (let j = 0; j < tally.length; j++) {
      const exact = tally[j] * scale;
      tally[j] = Math.floor(exact);
      fractions[j] = exact - tally[j];
      assigned += tally[j];
    }
    for (let rest = n - assigned; rest > 0; rest--) {
      let best = 0;
      for (let j = 1; j < fractions.length; j++) if (fractions[j] > fractions[best]) best = j;
      tally[best]++;
      fractions[best] = -1;
    }
  }

  renderTo(out: TextSink, labels: string): void {
    const { opens, closes } = this.text;
    const { cumulative } = this;
    const last = cumulative.length;
    for (let j = 0; j <= last + 2; j++) {
      out.write(opens[j]);
      out.write(labels);
      out.write(closes[j]);
      out.write(j < last ? String(cumulative[j]) : j === last + 1 ? formatValue(this.sum) : String(this.count));
      out.write("\n");
    }
  }
}

/** Builds the runtime of `def` for a host that is starting. */
export function createSeries(def: MetricDef, env: BuildEnv): Series {
  const { spec, name } = def;
  const text = lineText(def);
  switch (spec.type) {
    case "gauge": {
      let limits = gaugeLimits.get(def);
      if (!limits) gaugeLimits.set(def, (limits = { min: spec.min ?? -Infinity, max: spec.max ?? Infinity, factor: roundingFactor(spec.decimals) }));
      return new GaugeSeries(def, text.opens[0], buildGenerator(spec.generator, env, name), limits);
    }
    case "counter":
      return new CounterSeries(def, text.opens[0], buildGenerator(spec.rate, env, name), roundingFactor(spec.decimals));
    case "histogram":
      return new HistogramSeries(
        def,
        text,
        spec.buckets,
        buildGenerator(spec.observations.rate, env, `${name}.rate`),
        sampler(spec.observations.distribution, new Random(env.seed(`${name}.observations`))),
      );
  }
}
