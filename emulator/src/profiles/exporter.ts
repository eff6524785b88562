/**
 * One exporter on one emulated host at run time: the series of every family of its profile, with
 * their exposition prefixes built once, gauges read from the model's state and counters integrated
 * from its rates at each tick. Rendering writes one exporter's whole exposition (what a scrape of
 * that exporter answers), family by family.
 */
import { escapeHelp, escapeLabelValue, formatValue } from "../exposition/text";
import type { TextSink } from "../exposition/render";
import { type FamilySpec, isFractional } from "./family";

interface FamilyRuntime<S> {
  readonly spec: FamilySpec<unknown, S>;
  readonly header: string;
  readonly prefixes: readonly string[];
  readonly values: Float64Array;
  /** Counters only: the unrounded running totals. */
  readonly totals?: Float64Array;
  readonly whole: boolean;
}

export class ExporterSeries<L, S> {
  private readonly families: FamilyRuntime<S>[];
  readonly seriesCount: number;

  constructor(families: readonly FamilySpec<L, S>[], layout: L) {
    let count = 0;
    this.families = families.map((spec) => {
      const rows = spec.series ? spec.series(layout) : [[]];
      const names = spec.names?.(layout);
      const prefixes = rows.map((values, i) => {
        const name = names?.[i] ?? spec.name;
        const pairs = spec.labels.flatMap((label, k) => (k < values.length || !names ? [`${label}="${escapeLabelValue(values[k] ?? "")}"`] : []));
        return pairs.length === 0 ? `${name} ` : `${name}{${pairs.join(",")}} `;
      });
      count += prefixes.length;
      const isCounter = spec.rate !== undefined;
      return {
        spec: spec as FamilySpec<unknown, S>,
        header: `# HELP ${spec.name} ${escapeHelp(spec.help)}\n# TYPE ${spec.name} ${spec.type}\n`,
        prefixes,
        values: new Float64Array(prefixes.length),
        totals: isCounter ? new Float64Array(prefixes.length) : undefined,
        whole: isCounter && !isFractional(spec.name),
      };
    });
    this.seriesCount = count;
  }

  /** Reads gauges from the state and adds rate x dt (seconds) to counters; negative rates add nothing. */
  sample(state: S, dt: number): void {
    for (const family of this.families) {
      const { spec, values, totals, whole } = family;
      if (totals) {
        for (let i = 0; i < values.length; i++) {
          const rate = spec.rate!(state, i);
          if (rate > 0 && dt > 0) totals[i] += rate * dt;
          values[i] = whole ? Math.floor(totals[i]) : totals[i];
        }
      } else {
        for (let i = 0; i < values.length; i++) values[i] = spec.value!(state, i);
      }
    }
  }

  renderTo(out: TextSink): number {
    let lines = 0;
    for (const { header, prefixes, values } of this.families) {
      if (prefixes.length === 0) continue;
      out.write(header);
      for (let i = 0; i < prefixes.length; i++) {
        out.write(prefixes[i]);
        out.write(formatValue(values[i]));
        out.write("\n");
      }
      lines += prefixes.length;
    }
    return lines;
  }

  /** The current value of one series, by family name and label values (tests and checks). */
  valueOf(name: string, labels: Record<string, string> = {}): number | undefined {
    const named = (p: string) => p.startsWith(`${name}{`) || p.startsWith(`${name} `);
    const family = this.families.find((f) => f.spec.name === name) ?? this.families.find((f) => f.spec.names && f.prefixes.some(named));
    if (!family) return undefined;
    const wanted = family.spec.labels.map((l) => (l in labels ? `${l}="${escapeLabelValue(labels[l])}"` : undefined));
    const i = family.prefixes.findIndex((p) => named(p) && wanted.every((w) => w === undefined || p.includes(w)));
    return i < 0 ? undefined : family.values[i];
  }
}
