/** The postgres profile: postgres_exporter's families and labels, the consistency a real server keeps, faults. */
import { spawnSync } from "child_process";
import { DEFAULT_EPOCH_MS, Engine } from "../../emulator/src/engine/engine";
import type { ExporterRuntime } from "../../emulator/src/profiles/types";
import { describeWith, findBinary } from "../support/servers";
import { MINUTE, engineFor, exporterOf, exporterValue as v, expectLabelNames, exposition, samples, scenarioError } from "./helpers";

const PG_HOST = (extra = "", layout = "{replicas: [{name: pg-02}]}") => `
timeOfDay: "13:00"
hosts:
  - name: pg-01
    role: db
    exporter:
      profile: postgres
      layout: ${layout}
${extra}
`;

const start = (yaml: string, seed = 3): Engine => engineFor(yaml, seed);
const exporter = (engine: Engine, name = "pg-01"): ExporterRuntime => exporterOf(engine, name);
const sum = (m: Map<string, number>, filter = (_k: string) => true) => [...m].filter(([k]) => filter(k)).reduce((a, [, x]) => a + x, 0);

describe("postgres profile: families and labels", () => {
  it("has postgres_exporter's names, types and label sets", () => {
    const engine = start(PG_HOST());
    engine.advanceTo(MINUTE);
    const text = exposition(exporter(engine));
    const expectLabels = (name: string, labels: string[]) => expectLabelNames(text, name, labels);
    expectLabels("pg_up", []);
    expectLabels("pg_stat_database_xact_commit", ["datid", "datname"]);
    expectLabels("pg_stat_database_deadlocks", ["datid", "datname"]);
    expectLabels("pg_stat_activity_count", ["application_name", "backend_type", "datname", "state", "usename", "wait_event", "wait_event_type"]);
    expectLabels("pg_locks_count", ["datname", "mode"]);
    expectLabels("pg_stat_user_tables_n_dead_tup", ["datname", "relname", "schemaname"]);
    expectLabels("pg_replication_slots_active", ["database", "slot_name"]);
    expectLabels("pg_database_size_bytes", ["datname"]);
    expectLabels("pg_settings_max_connections", []);
    expectLabels("pg_replication_lag_seconds", []);
    expectLabels("pg_postmaster_start_time_seconds", []);
    expect(text).toMatch(/^# TYPE pg_stat_database_xact_commit counter$/m);
    expect(text).toMatch(/^# TYPE pg_stat_activity_count gauge$/m);
    expect(text).toMatch(/^# TYPE pg_stat_user_tables_last_autovacuum gauge$/m);
    // Every database in pg_database, template ones included; datid 0 (shared objects) left out as the exporter does.
    expect([...samples(text, "pg_stat_database_numbackends").keys()].map((k) => /datname="(\w+)"/.exec(k)![1])).toEqual(["app", "postgres", "template1", "template0"]);
    // Each state of the exporter's query for every database: 6 x 4.
    expect(samples(text, "pg_stat_activity_count").size).toBe(24);
    expect(samples(text, "pg_locks_count").size).toBe(9 * 4);
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]);
    expect(new Set(types).size).toBe(types.length);
    const series = text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.slice(0, l.lastIndexOf(" ")));
    expect(new Set(series).size).toBe(series.length);
    expect(exporter(engine).seriesCount).toBe(series.length);
  });
});

describe("postgres profile: consistency", () => {
  it("connections add up to backends and stay below max_connections; counters only grow", () => {
    const engine = start(PG_HOST(`      faults:\n        - {fault: too_many_connections, at: 20m, for: 10m}`));
    let previous: Map<string, number> | undefined;
    for (let m = 1; m <= 40; m++) {
      engine.advanceTo(m * MINUTE);
      const e = exporter(engine);
      const text = exposition(e);
      const activity = samples(text, "pg_stat_activity_count");
      const max = v(e, "pg_settings_max_connections");
      const backends = samples(text, "pg_stat_database_numbackends");
      expect(sum(backends)).toBeLessThanOrEqual(max);
      // numbackends = the database's client connections, + the exporter's own on the database it connects to.
      expect(v(e, "pg_stat_database_numbackends", { datname: "app" })).toBe(sum(activity, (k) => k.includes('datname="app"')) + 1);
      expect(v(e, "pg_stat_database_numbackends", { datname: "template0" })).toBe(0);
      if (m >= 21 && m < 30) expect(sum(activity)).toBeGreaterThan(0.8 * max);
      if (m < 20 || m > 31) expect(sum(activity)).toBeLessThan(0.5 * max);
      const counters = new Map<string, number>();
      for (const name of ["pg_stat_database_xact_commit", "pg_stat_database_xact_rollback", "pg_stat_database_tup_updated", "pg_stat_user_tables_n_tup_upd", "pg_stat_user_tables_autovacuum_count", "pg_stat_bgwriter_buffers_alloc_total"]) {
        for (const [k, x] of samples(text, name)) counters.set(name + k, x);
      }
      if (previous) for (const [k, x] of counters) expect(x).toBeGreaterThanOrEqual(previous.get(k)!);
      previous = counters;
    }
  });

  it("commits + rollbacks follow the load, dead tuples stay below the autovacuum threshold, which stamps last_autovacuum", () => {
    const engine = start(PG_HOST());
    engine.advanceTo(10 * MINUTE);
    const e = exporter(engine);
    const c0 = v(e, "pg_stat_database_xact_commit", { datname: "app" });
    const r0 = v(e, "pg_stat_database_xact_rollback", { datname: "app" });
    engine.advanceTo(70 * MINUTE);
    const commits = v(e, "pg_stat_database_xact_commit", { datname: "app" }) - c0;
    const rollbacks = v(e, "pg_stat_database_xact_rollback", { datname: "app" }) - r0;
    // Around 13:00 the default load is near its peak share of 600 tps: hundreds per second.
    expect(commits / 3600).toBeGreaterThan(150);
    expect(rollbacks / (commits + rollbacks)).toBeLessThan(0.02);
    const text = exposition(e);
    const threshold = v(e, "pg_settings_autovacuum_vacuum_threshold");
    const factor = v(e, "pg_settings_autovacuum_vacuum_scale_factor");
    const now = (DEFAULT_EPOCH_MS + 70 * MINUTE) / 1000;
    for (const [key, dead] of samples(text, "pg_stat_user_tables_n_dead_tup")) {
      const live = samples(text, "pg_stat_user_tables_n_live_tup").get(key)!;
      expect(dead).toBeLessThanOrEqual(threshold + factor * live + 1);
      expect(dead / (dead + live)).toBeLessThan(0.1);
      const last = samples(text, "pg_stat_user_tables_last_autovacuum").get(key)!;
      expect(now - last).toBeLessThan(4 * 3600);
    }
    expect(sum(samples(text, "pg_stat_user_tables_autovacuum_count"))).toBeGreaterThan(0);
    // Settings are constant; the rules compare them with 5 minutes ago.
    expect(v(e, "pg_settings_shared_buffers_bytes")).toBe(4 * 2 ** 30);
    expect(v(e, "pg_replication_is_replica")).toBe(0);
    expect(v(e, "pg_replication_slots_active", { slot_name: "pg_02" })).toBe(1);
  });
});

describe("postgres profile: faults", () => {
  it("down: the exporter still answers, pg_up 0 and a scrape error; back: restarted, statistics from 0", () => {
    const engine = start(PG_HOST(`      faults:\n        - {fault: down, at: 20m, for: 5m}`));
    engine.advanceTo(19 * MINUTE);
    const e = exporter(engine);
    const started = v(e, "pg_postmaster_start_time_seconds");
    const commits = v(e, "pg_stat_database_xact_commit", { datname: "app" });
    engine.advanceTo(22 * MINUTE);
    expect(e.up).toBe(true);
    const text = exposition(e);
    expect(v(e, "pg_up")).toBe(0);
    expect(v(e, "pg_exporter_last_scrape_error")).toBe(1);
    expect(text).not.toContain("pg_stat_database_xact_commit");
    expect(samples(text, "pg_scrape_collector_success").size).toBeGreaterThan(10);
    engine.advanceTo(26 * MINUTE);
    expect(v(e, "pg_up")).toBe(1);
    expect(v(e, "pg_exporter_last_scrape_error")).toBe(0);
    expect(v(e, "pg_postmaster_start_time_seconds") - started).toBeGreaterThan(20 * 86_400);
    expect(v(e, "pg_stat_database_xact_commit", { datname: "app" })).toBeLessThan(commits);
    expect(v(e, "pg_exporter_scrapes_total")).toBeGreaterThan(100);
  });

  it("deadlocks, rollbacks, dead tuples, a setting, replication lag move the series their rules read", () => {
    const engine = start(
      PG_HOST(`      faults:
        - {fault: deadlocks, at: 10m, for: 10m}
        - {fault: rollback_rate, at: 10m, for: 10m}
        - {fault: dead_tuples, at: 10m, target: sessions}
        - {fault: config_change, at: 10m, target: work_mem_bytes, level: 4}
        - {fault: slot_inactive, at: 10m}`),
    );
    engine.advanceTo(9 * MINUTE);
    const workMem = v(exporter(engine), "pg_settings_work_mem_bytes");
    engine.advanceTo(10 * MINUTE);
    const e = exporter(engine);
    const d0 = v(e, "pg_stat_database_deadlocks", { datname: "app" });
    const c0 = v(e, "pg_stat_database_xact_commit", { datname: "app" });
    const r0 = v(e, "pg_stat_database_xact_rollback", { datname: "app" });
    const vac = v(e, "pg_stat_user_tables_last_autovacuum", { relname: "sessions" });
    engine.advanceTo(20 * MINUTE);
    expect(v(e, "pg_stat_database_deadlocks", { datname: "app" }) - d0).toBeGreaterThan(250);
    const rollbacks = v(e, "pg_stat_database_xact_rollback", { datname: "app" }) - r0;
    expect(rollbacks / (rollbacks + v(e, "pg_stat_database_xact_commit", { datname: "app" }) - c0)).toBeGreaterThan(0.05);
    const dead = v(e, "pg_stat_user_tables_n_dead_tup", { relname: "sessions" });
    expect(dead).toBeGreaterThan(10_000);
    expect(dead / (dead + v(e, "pg_stat_user_tables_n_live_tup", { relname: "sessions" }))).toBeGreaterThan(0.1);
    expect(v(e, "pg_stat_user_tables_last_autovacuum", { relname: "sessions" })).toBe(vac);
    expect(workMem).toBe(4 * 2 ** 20);
    expect(v(e, "pg_settings_work_mem_bytes")).toBe(4 * workMem);
    expect(v(e, "pg_replication_slots_active", { slot_name: "pg_02" })).toBe(0);
    expect(v(e, "pg_replication_slots_pg_wal_lsn_diff", { slot_name: "pg_02" })).toBeGreaterThan(1e6);
  });

  it("a replica reports itself, and lags under a fault", () => {
    const engine = start(PG_HOST(`      faults:\n        - {fault: replication_lag, at: 10m, ramp: 5m, level: 60}`, "{role: replica}"));
    engine.advanceTo(9 * MINUTE);
    const e = exporter(engine);
    expect(v(e, "pg_replication_is_replica")).toBe(1);
    expect(v(e, "pg_settings_transaction_read_only")).toBe(1);
    expect(v(e, "pg_replication_lag_seconds")).toBeLessThan(1);
    expect(exposition(e)).not.toContain("pg_replication_slots_active");
    engine.advanceTo(16 * MINUTE);
    expect(v(e, "pg_replication_lag_seconds")).toBe(60);
  });

  it("the same seed plays the same series", () => {
    const [a, b] = [start(PG_HOST(), 5), start(PG_HOST(), 5)];
    for (const engine of [a, b]) engine.advanceTo(10 * MINUTE);
    expect(exposition(exporter(a))).toBe(exposition(exporter(b)));
  });

  it("refuses an unknown fault or a bad layout with the path inside the file", () => {
    expect(scenarioError(`hosts: [{name: a, role: r, exporter: {profile: postgres, faults: [{fault: meltdown, at: 1m}]}}]`)).toMatch(/hosts\[0\]\.exporter\.faults\[0\]\.fault: must be a fault: down, restart/);
    expect(scenarioError(`hosts: [{name: a, role: r, exporter: {profile: postgres, layout: {databases: [{name: App-DB}]}}}]`)).toMatch(/hosts\[0\]\.exporter\.layout\.databases\[0\]\.name: must be a PostgreSQL identifier/);
    expect(scenarioError(`hosts: [{name: a, role: r, exporter: {profile: mysql}}]`)).toMatch(/must be an exporter profile: node, postgres, http/);
  });
});

/** promtool check metrics reads the exposition on stdin. */
function checkMetrics(text: string): string[] {
  const result = spawnSync(findBinary("promtool")!, ["check", "metrics"], { input: text, encoding: "utf8", timeout: 60_000 });
  return `${result.stdout ?? ""}${result.stderr ?? ""}`.split("\n").filter(Boolean);
}

describeWith(["promtool"])("postgres profile: promtool check metrics", () => {
  it("flags only postgres_exporter's own names: counters without _total, gauges and counters ending in _count", () => {
    const engine = start(PG_HOST());
    engine.advanceTo(10 * MINUTE);
    const complaints = checkMetrics(exposition(exporter(engine)));
    const upstream = (c: string) =>
      /^pg_(stat_database|stat_user_tables|statio_user_tables|stat_archiver)_\w+ counter metrics should have "_total" suffix$/.test(c) ||
      /^pg_\w+_count non-histogram and non-summary metrics should not have "_count" suffix$/.test(c);
    console.log(`promtool check metrics on a postgres host: ${complaints.length} messages, all about postgres_exporter's names`);
    expect(complaints.length).toBeGreaterThan(0);
    expect(complaints.filter((c) => !upstream(c))).toEqual([]);
  });
});
