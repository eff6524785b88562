/**
 * The `http` profile: an instrumented HTTP service scraped at `/metrics` (job `http`, instance
 * `<host>:<port>`). One driver, `load`, sets the request rate; faults raise the error ratio and the
 * latency, or take the service down (no answer, `up` 0; counters from 0 when it is back).
 */
import type { TextSink } from "../../exposition/render";
import type { BuildEnv, TickContext } from "../../generators/types";
import type { GeneratorSpec } from "../../model/specs";
import { Random } from "../../util/random";
import { ExporterSeries } from "../exporter";
import { HostFaults } from "../fault-schedule";
import { DriverSet } from "../host";
import type { HttpProfileSpec } from "../specs";
import type { ExporterRuntime } from "../types";
import { HTTP_FAMILIES } from "./families";
import { type HttpEffects, type HttpFaultSpec, type HttpLayout, type HttpRoute, httpEffectsAt } from "./layout";
import { HttpState } from "./model";

/** A calm service's day: busiest in the afternoon. */
export const HTTP_DEFAULT_LOAD: GeneratorSpec = { type: "sum", of: [{ type: "diurnal", min: 0.1, max: 0.7, peak: 15 }, { type: "ou", mean: 0, stddev: 0.03, reversion: 120_000 }] };

export function httpSeriesPerHost(layout: HttpLayout): number {
  return new ExporterSeries(HTTP_FAMILIES, layout).seriesCount;
}

export class HttpExporter implements ExporterRuntime {
  private state: HttpState;
  private series: ExporterSeries<HttpLayout, HttpState>;
  private readonly drivers: DriverSet<"load">;
  private readonly random: Random;
  /** The faults' effects at each tick (event faults: from their events). */
  private readonly faults: HostFaults<HttpFaultSpec, HttpRoute[], HttpEffects>;
  private down = false;

  constructor(
    private readonly spec: HttpProfileSpec,
    env: BuildEnv,
  ) {
    this.state = new HttpState(spec.layout);
    this.series = new ExporterSeries(HTTP_FAMILIES, spec.layout);
    this.random = new Random(env.seed("http.model"));
    this.drivers = new DriverSet("http", ["load"], spec.drivers, { load: HTTP_DEFAULT_LOAD }, env);
    // After the generators: the fault listeners subscribe last.
    this.faults = new HostFaults(spec.faults, spec.layout.routes, httpEffectsAt, env);
  }

  get up(): boolean {
    return !this.down;
  }

  get seriesCount(): number {
    return this.series.seriesCount;
  }

  sample(t: number, dt: number, ctx: TickContext): void {
    const fx = this.faults.at(t);
    if (fx.down !== this.down) {
      this.down = fx.down;
      if (!fx.down) {
        // Back: a new process, every counter from 0.
        this.state = new HttpState(this.spec.layout);
        this.series = new ExporterSeries(HTTP_FAMILIES, this.spec.layout);
        dt = 0;
      }
    }
    // The load generator moves on while the service is down.
    const { load } = this.drivers.read(t, ctx);
    if (this.down) return;
    this.state.advance(dt, load, fx, this.random);
    this.series.sample(this.state, dt);
  }

  renderTo(out: TextSink): number {
    return this.down ? 0 : this.series.renderTo(out);
  }

  valueOf(name: string, labels?: Record<string, string>): number | undefined {
    return this.series.valueOf(name, labels);
  }
}
