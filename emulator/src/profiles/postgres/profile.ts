/**
 * The `postgres` profile: a postgres_exporter in front of an emulated PostgreSQL server. The
 * exporter always answers its scrape; while the server is down (a `down` fault) only its own
 * series do (pg_up 0, pg_exporter_last_scrape_error 1), as the real one does. When the server comes
 * back, or crashes and restarts (`restart`), the postmaster start time moves and every cumulative
 * statistic starts from 0.
 */
import type { TextSink } from "../../exposition/render";
import type { BuildEnv, TickContext } from "../../generators/types";
import type { GeneratorSpec } from "../../model/specs";
import { Random } from "../../util/random";
import { ExporterSeries } from "../exporter";
import { HostFaults } from "../fault-schedule";
import { DriverSet, wallSeconds } from "../host";
import type { PostgresProfileSpec } from "../specs";
import type { ExporterRuntime } from "../types";
import { EXPORTER_FAMILIES, serverFamilies } from "./families";
import { type PgEffects, type PgFaultSpec, type PgPartNames, pgEffectsAt } from "./faults";
import { type PgLayout, type PgParsedLayout, resolvePgLayout } from "./layout";
import { type PgDrivers, PgState, advancePg } from "./model";

export type PgDriverName = keyof PgDrivers;
export const PG_DRIVER_NAMES: PgDriverName[] = ["load", "writes"];

/** A calm database's day: busiest in the afternoon, a third of the transactions writing. */
export const PG_DEFAULT_DRIVERS: Record<PgDriverName, GeneratorSpec> = {
  load: { type: "sum", of: [{ type: "diurnal", min: 0.12, max: 0.6, peak: 14 }, { type: "ou", mean: 0, stddev: 0.03, reversion: 300_000 }] },
  writes: { type: "ou", mean: 0.3, stddev: 0.03, reversion: 600_000 },
};

export function postgresSeriesPerHost(layout: PgParsedLayout): number {
  const L = resolvePgLayout(layout);
  return new ExporterSeries(EXPORTER_FAMILIES, L).seriesCount + new ExporterSeries(serverFamilies(L), L).seriesCount;
}

export class PostgresExporter implements ExporterRuntime {
  readonly layout: PgLayout;
  private readonly own: ExporterSeries<PgLayout, PgState>;
  private server: ExporterSeries<PgLayout, PgState>;
  private readonly state: PgState;
  private readonly drivers: DriverSet<PgDriverName>;
  private readonly random: Random;
  /** The faults' effects at each tick (event faults: from their events). */
  private readonly faults: HostFaults<PgFaultSpec, PgPartNames, PgEffects>;
  private restartedAt: number | undefined;
  private fresh = true;

  constructor(
    spec: PostgresProfileSpec,
    env: BuildEnv,
    private readonly epochMs: number,
  ) {
    const L = (this.layout = resolvePgLayout(spec.layout));
    this.state = new PgState(L);
    this.own = new ExporterSeries(EXPORTER_FAMILIES, L);
    this.server = new ExporterSeries(serverFamilies(L), L);
    this.random = new Random(env.seed("postgres.model"));
    this.drivers = new DriverSet("postgres", PG_DRIVER_NAMES, spec.drivers, PG_DEFAULT_DRIVERS, env);
    const parts: PgPartNames = { databases: L.databases.map((d) => d.name), tables: L.tables.map((t) => t.name), slots: L.slots.map((s) => s.name) };
    this.state.startTime = wallSeconds(epochMs, env.now, L.uptimeDays);
    this.state.exporterStart = this.state.startTime + 9;
    this.state.startedAt = env.now;
    // After the generators: the fault listeners subscribe last.
    this.faults = new HostFaults(spec.faults, parts, pgEffectsAt, env);
  }

  /** The exporter answers even while the server is down. */
  get up(): boolean {
    return true;
  }

  get seriesCount(): number {
    return this.own.seriesCount + this.server.seriesCount;
  }

  sample(t: number, dt: number, ctx: TickContext): void {
    const s = this.state;
    const fx = this.faults.at(t);
    if (fx.restartedAt !== this.restartedAt) {
      this.restartedAt = fx.restartedAt;
      // The server (re)started: a new postmaster start time, its statistics from 0.
      this.server = new ExporterSeries(serverFamilies(this.layout), this.layout);
      s.crashReset();
      s.startTime = wallSeconds(this.epochMs, fx.restartedAt!);
      s.startedAt = fx.restartedAt!;
      this.fresh = true;
    }
    const drivers = this.drivers.read(t, ctx);
    s.up = !fx.down;
    if (fx.down) {
      s.t = t;
      s.scrapes += 1;
      s.scrapeError = true;
      s.drivers = drivers;
      this.own.sample(s, dt);
      return;
    }
    advancePg(s, t, dt, drivers, fx, this.random, this.epochMs);
    this.own.sample(s, dt);
    this.server.sample(s, this.fresh ? 0 : dt);
    this.fresh = false;
  }

  renderTo(out: TextSink): number {
    return (this.state.up ? this.server.renderTo(out) : 0) + this.own.renderTo(out);
  }

  valueOf(name: string, labels?: Record<string, string>): number | undefined {
    const own = this.own.valueOf(name, labels);
    if (own !== undefined) return own;
    return this.state.up ? this.server.valueOf(name, labels) : undefined;
  }
}
