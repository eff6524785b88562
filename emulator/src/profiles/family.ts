/**
 * An exporter's metric family as data: its exact name, exposition type and label names (facts of
 * the exporter), a help text of our own, the label values of each of its series on a given host,
 * and how a series moves: a gauge reads the model's state, a counter integrates a per-second rate
 * of it. Counters of events (everything but seconds) expose whole numbers, as real ones do.
 */

export type ExpositionType = "gauge" | "counter" | "untyped" | "histogram";

export interface FamilySpec<L, S> {
  readonly name: string;
  readonly type: ExpositionType;
  readonly help: string;
  /** Label names in exposition order; empty for a single unlabelled series. */
  readonly labels: readonly string[];
  /** Label values of each series on a host of this layout, in the order of `labels` (absent: one series, no labels). */
  series?(layout: L): readonly (readonly string[])[];
  /**
   * The metric name of each series, parallel to `series` (absent: `name` for all). A histogram's
   * family is one HELP/TYPE block whose series are `<name>_bucket`, `<name>_sum` and `<name>_count`;
   * a row shorter than `labels` leaves the labels past its end out (`le` on `_sum` and `_count`).
   */
  names?(layout: L): readonly string[];
  /** A gauge's value of series i. */
  value?(state: S, i: number): number;
  /** A counter's (or monotonic untyped value's) increase per second of series i. */
  rate?(state: S, i: number): number;
}

/** A gauge: its value read from the state. */
export function gauge<L, S>(
  name: string,
  help: string,
  value: (state: S, i: number) => number,
  labels: readonly string[] = [],
  series?: (layout: L) => readonly (readonly string[])[],
  type: ExpositionType = "gauge",
): FamilySpec<L, S> {
  return { name, type, help, labels, series, value };
}

/** A counter: it grows by rate x elapsed seconds from 0 at the exporter's (re)start. */
export function counter<L, S>(
  name: string,
  help: string,
  rate: (state: S, i: number) => number,
  labels: readonly string[] = [],
  series?: (layout: L) => readonly (readonly string[])[],
  type: ExpositionType = "counter",
): FamilySpec<L, S> {
  return { name, type, help, labels, series, rate };
}

/** Whether a counter's total is exposed with decimals (times) or as a whole number (events, bytes). */
export function isFractional(name: string): boolean {
  return /seconds/.test(name);
}
