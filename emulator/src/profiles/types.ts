/** What the engine needs of an exporter running on a host, whatever its profile. */
import type { TextSink } from "../exposition/render";
import type { TickContext } from "../generators/types";

export interface ExporterRuntime {
  /** False while the emulated host is down (a scrape then gets no answer, so `up` is 0). */
  readonly up: boolean;
  readonly seriesCount: number;
  /** Advances to scenario time t (ms), dt seconds after the host's previous tick. */
  sample(t: number, dt: number, ctx: TickContext): void;
  /** Writes the exporter's whole exposition; returns the sample lines written. */
  renderTo(out: TextSink): number;
  valueOf(name: string, labels?: Record<string, string>): number | undefined;
}
