/**
 * Proof on the real servers that the community PostgreSQL rules run unchanged on the postgres profile:
 *  - live: the pinned Prometheus discovers fleet-calm's PostgreSQL and HTTP hosts through /sd/postgres
 *    and /sd/http, scrapes them as job="postgres", instance="<host>:9187" (job="http", "<host>:8080"),
 *    with awesome-prometheus-alerts' PostgreSQL rules loaded: none fires;
 *  - offline: fleet-calm's afternoon played on the injected clock and backfilled with promtool: no
 *    rule fires over three hours; fleet-faults' PostgreSQL hosts likewise: every fault fires the
 *    alerts it is annotated with, on its host, and nothing else fires.
 * The rule file is read from ../shared/community (never copied); without it the suite is skipped
 * with a notice, and under CI=true that is a failure.
 */
import * as path from "path";
import type { OfflineServer } from "../../emulator/src/check/offline";
import { query } from "../../emulator/src/check/prometheus";
import { type AlertRule, evaluateAlert, metricNames, readRuleFile } from "../../emulator/src/check/rules";
import type { CompiledScenario } from "../../emulator/src/model/types";
import { baseSettings } from "../../emulator/src/profiles/postgres/model";
import { resolvePgLayout, pgLayoutSchema } from "../../emulator/src/profiles/postgres/layout";
import { loadScenario } from "../../emulator/src/scenario/loader";
import { stopAllServers, type RunningServer } from "../support/servers";
import { COMMUNITY, annotatedAlerts, backfilled, compareFired, describeWithCommunity, startLiveFleet, type LiveFleet } from "./community-harness";

const PG_RULES = path.join(COMMUNITY, "awesome-prometheus-alerts/postgresql-postgres-exporter.yml");

/**
 * Rules that cannot fire on postgres_exporter's data, emulated or real (docs/exporter-profiles.md):
 * custom-query metrics the exporter does not expose by default, and expressions whose label
 * matching never pairs their two sides.
 */
const LEFT_OUT: Record<string, string> = {
  PostgresqlTableNotAutoVacuumed: "compares per-table counters with pg_settings_autovacuum_vacuum_threshold without on(): the label sets never match",
  PostgresqlTableNotAutoAnalyzed: "compares per-table counters with pg_settings_autovacuum_analyze_threshold without on(): the label sets never match",
  PostgresqlUnusedReplicationSlot: "`and` between pg_replication_slots_active{slot_name,...} and pg_replication_is_replica without on(): never matches",
  PostgresqlTooManyLocksAcquired: "divides sum by (instance) by a product that keeps job: the label sets never match",
  PostgresqlLowXidConsumption: "pg_txid_current needs a custom query",
  PostgresqlSslCompressionActive: "pg_stat_ssl_compression needs a custom query (and PostgreSQL < 14)",
  "PostgresqlBloatIndexHigh(>80%)": "pg_bloat_* needs a custom query",
  "PostgresqlBloatTableHigh(>80%)": "pg_bloat_* needs a custom query",
  PostgresqlInvalidIndex: "pg_general_index_info_* needs a custom query",
};

/** What a backfill must hold for the rules: their metric names, and every pg_settings_* (PostgresqlConfigurationChanged reads them by regex). */
function ruleNames(alerts: AlertRule[]): Set<string> {
  const names = new Set(alerts.flatMap((a) => metricNames(a.expr)));
  for (const name of baseSettings(resolvePgLayout(pgLayoutSchema.parse({}))).keys()) names.add(`pg_settings_${name}`);
  return names;
}

const STEP_S = 20;

/** A scenario played over `durationS`, sampled every STEP_S, backfilled and served; close() it after. */
function backfilledFor(scenario: CompiledScenario, durationS: number, names: Set<string>): Promise<OfflineServer> {
  return backfilled(scenario, { durationMs: durationS * 1000, stepMs: STEP_S * 1000, evaluateFromMs: 0, historyStepMs: STEP_S * 1000, names });
}

/** Alert name per host it fired on; an alert without `instance` (sum by datname) goes to the one host with that database. */
async function firedByHost(server: { url: string }, alerts: AlertRule[], scenario: CompiledScenario, from: number, to: number): Promise<Map<string, Set<string>>> {
  const owners = new Map<string, string[]>();
  for (const h of scenario.hosts) {
    const spec = h.shape.exporter;
    if (spec?.profile !== "postgres") continue;
    for (const db of spec.layout.databases) owners.set(db.name, [...(owners.get(db.name) ?? []), h.name]);
  }
  const fired = new Map<string, Set<string>>();
  for (const rule of alerts) {
    const outcome = await evaluateAlert(server.url, rule, from, to, STEP_S);
    for (const { labels } of outcome.fired) {
      const byDb = labels.datname ? owners.get(labels.datname) : undefined;
      const host = labels.instance ? labels.instance.replace(/:\d+$/, "") : byDb?.length === 1 ? byDb[0] : `(fleet, datname ${labels.datname ?? "?"})`;
      if (!fired.has(host)) fired.set(host, new Set());
      fired.get(host)!.add(rule.alert);
    }
  }
  return fired;
}

describeWithCommunity([PG_RULES])("community PostgreSQL monitoring on the postgres profile", () => {
  afterAll(() => stopAllServers());

  it("every rule of the file is either emulated or listed as left out", () => {
    const { alerts } = readRuleFile(PG_RULES);
    expect(alerts.length).toBe(20);
    const { scenario } = loadScenario("fleet-faults", []);
    const annotated = new Set(scenario.hosts.flatMap((h) => (h.shape.exporter?.profile === "postgres" ? h.shape.exporter.faults.flatMap((f) => f.alerts) : [])));
    const unaccounted = alerts.map((a) => a.alert).filter((a) => !annotated.has(a) && !(a in LEFT_OUT));
    expect(unaccounted).toEqual([]);
    expect([...annotated].filter((a) => a in LEFT_OUT)).toEqual([]);
    console.log(`PostgreSQL rules: ${annotated.size} of ${alerts.length} triggered by fleet-faults, ${Object.keys(LEFT_OUT).length} left out`);
  });

  describe("live: fleet-calm scraped as exporters", () => {
    let fleet: LiveFleet;
    let prometheus: RunningServer;

    beforeAll(async () => {
      fleet = await startLiveFleet(["postgres", "http"], PG_RULES, "count(up == 1)", 4);
      prometheus = fleet.prometheus;
    }, 90_000);

    afterAll(async () => {
      await fleet?.emulator.stop();
    });

    it("shows each PostgreSQL host as job postgres, instance <host>:9187, and each API as job http, <host>:8080", async () => {
      const pg = (await query(prometheus.url, "pg_up")).map((s) => `${s.metric.job} ${s.metric.instance} ${s.value[1]}`).sort();
      expect(pg).toEqual(["postgres pg-01:9187 1", "postgres pg-02:9187 1"]);
      const replicas = (await query(prometheus.url, "pg_replication_is_replica == 1")).map((s) => s.metric.instance);
      expect(replicas).toEqual(["pg-02:9187"]);
      const api = (await query(prometheus.url, 'sum by (job, instance) (rate(http_requests_total[5s])) > 0')).map((s) => `${s.metric.job} ${s.metric.instance}`).sort();
      expect(api).toEqual(["http api-01:8080", "http api-02:8080"]);
      const series = Number((await query(prometheus.url, 'count({job="postgres", instance="pg-01:9187"})'))[0].value[1]);
      console.log(`series per postgres host (pg-01, primary, 1 database, 4 tables, 1 replica): ${series}`);
      expect(series).toBeGreaterThan(300);
    });

    it("no awesome-prometheus-alerts PostgreSQL rule fires", async () => {
      const rules = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as { data: { groups: { rules: unknown[] }[] } };
      expect(rules.data.groups.flatMap((g) => g.rules).length).toBe(readRuleFile(PG_RULES).alerts.length);
      const alerts = await query(prometheus.url, "ALERTS");
      expect(alerts.map((a) => `${a.metric.alertname} ${a.metric.instance} ${a.metric.alertstate}`)).toEqual([]);
    });
  });

  describe("offline: fleet-calm over three hours", () => {
    it("fires no PostgreSQL rule", async () => {
      const { alerts } = readRuleFile(PG_RULES);
      const { scenario } = loadScenario("fleet-calm", ["scrape.interval=20s"]);
      const durationS = 3 * 3600;
      const prometheus = await backfilledFor(scenario, durationS, ruleNames(alerts));
      try {
        const { start } = prometheus;
        const fired = await firedByHost(prometheus, alerts, scenario, start + 600, start + durationS);
        expect([...fired].map(([host, names]) => `${host}: ${[...names].join(", ")}`)).toEqual([]);
      } finally {
        await prometheus.close();
      }
    }, 180_000);
  });

  describe("offline: fleet-faults played in seconds and backfilled", () => {
    const FAULTS_AT_S = 30 * 60;
    const DURATION_S = FAULTS_AT_S + 2 * 3600;
    let prometheus: OfflineServer;
    let start: number;
    let scenario: CompiledScenario;

    beforeAll(async () => {
      ({ scenario } = loadScenario("fleet-faults", ["faults.at=30m"]));
      prometheus = await backfilledFor(scenario, DURATION_S, ruleNames(readRuleFile(PG_RULES).alerts));
      start = prometheus.start;
    }, 180_000);

    afterAll(async () => {
      await prometheus?.close();
    });

    it("every fault fires the alerts it is annotated with, on its host, and nothing fires on the calm host", async () => {
      const { alerts } = readRuleFile(PG_RULES);
      const fired = await firedByHost(prometheus, alerts, scenario, start + 600, start + DURATION_S);
      const { missing, unexpected } = compareFired("fleet-faults, awesome-prometheus-alerts PostgreSQL rules", annotatedAlerts(scenario, "postgres"), fired);
      expect(missing).toEqual([]);
      expect(unexpected).toEqual([]);
    }, 120_000);

    it("the rules left out for their label matching get nothing, while each of their sides has data", async () => {
      const at = start + DURATION_S;
      const count = async (expr: string) => (await query(prometheus.url, `${expr}`, at)).length;
      const tables = "(pg_stat_user_tables_n_tup_del + pg_stat_user_tables_n_tup_upd + pg_stat_user_tables_n_tup_hot_upd)";
      for (const setting of ["pg_settings_autovacuum_vacuum_threshold", "pg_settings_autovacuum_analyze_threshold"]) {
        expect(await count(`${tables} > ${setting}`)).toBe(0);
        expect(await count(`${tables} > on (instance, job) group_left ${setting}`)).toBeGreaterThan(0);
      }
      const locks = "(pg_settings_max_locks_per_transaction * pg_settings_max_connections)";
      expect(await count(`(sum by (instance) (pg_locks_count)) / ${locks}`)).toBe(0);
      expect(await count(`(sum by (instance, job) (pg_locks_count)) / ${locks}`)).toBeGreaterThan(0);
    });

    it("the inactive slot is in the data; only PostgresqlUnusedReplicationSlot's label matching keeps it from firing", async () => {
      const end = start + DURATION_S;
      const rule = readRuleFile(PG_RULES).alerts.find((a) => a.alert === "PostgresqlUnusedReplicationSlot")!;
      expect((await evaluateAlert(prometheus.url, rule, end - 600, end, STEP_S)).fired).toEqual([]);
      const fixed = { ...rule, expr: "(pg_replication_slots_active == 0) and on (instance, job) (pg_replication_is_replica == 0)" };
      const outcome = await evaluateAlert(prometheus.url, fixed, end - 600, end, STEP_S);
      expect(outcome.fired.map((f) => f.labels.instance)).toEqual(["pg-slot-inactive-01:9187"]);
    });
  });
});
