/**
 * Proof on the real servers that community monitoring runs unchanged on the node profile:
 *  - live: the pinned Prometheus discovers fleet-calm's hosts through /sd/node and scrapes each as
 *    job="node", instance="<host>:9100"; Node Exporter Full's panel targets (variables resolved as
 *    Grafana does) return data, and none of awesome-prometheus-alerts' node rules fires (one needs a day of history);
 *  - offline: fleet-faults' calm day and 2h of faults played on the injected clock, backfilled with promtool, and every
 *    node rule evaluated over it: each fault fires the alerts it is annotated with, on its own host.
 * The fixtures are read from ../shared/community (never copied); without them the suite is skipped
 * with a notice, and under CI=true that is a failure.
 */
import * as fs from "fs";
import * as path from "path";
import { checkTargets, panelTargets, resolveVariables, type Variable } from "../../emulator/src/check/dashboard";
import type { OfflineServer } from "../../emulator/src/check/offline";
import { query } from "../../emulator/src/check/prometheus";
import { evaluateAlert, metricNames, readRuleFile } from "../../emulator/src/check/rules";
import { loadScenario } from "../../emulator/src/scenario/loader";
import { stopAllServers, type RunningServer } from "../support/servers";
import { COMMUNITY, annotatedAlerts, backfilled, compareFired, describeWithCommunity, startLiveFleet, type LiveFleet } from "./community-harness";

const DASHBOARD = path.join(COMMUNITY, "grafana-dashboards/node-exporter-full.json");
const NODE_RULES = path.join(COMMUNITY, "awesome-prometheus-alerts/host-and-hardware-node-exporter.yml");

describeWithCommunity([DASHBOARD, NODE_RULES])("community node monitoring on the node profile", () => {
  afterAll(() => stopAllServers());

  describe("live: fleet-calm scraped as exporters", () => {
    let fleet: LiveFleet;
    let prometheus: RunningServer;

    beforeAll(async () => {
      fleet = await startLiveFleet(["node"], NODE_RULES, 'count(up{job="node"} == 1)', 7);
      prometheus = fleet.prometheus;
    }, 90_000);

    afterAll(async () => {
      await fleet?.emulator.stop();
    });

    it("shows each host as job node, instance <host>:9100, as label_values() sees it", async () => {
      const instances = (await query(prometheus.url, "node_uname_info")).map((s) => `${s.metric.job} ${s.metric.instance} ${s.metric.nodename}`).sort();
      expect(instances).toEqual(["batch-01", "db-01", "db-02", "web-01", "web-02", "web-03", "web-04"].map((h) => `node ${h}:9100 ${h}`));
      const series = Number((await query(prometheus.url, 'count by (instance) ({job="node", instance="web-01:9100"})'))[0].value[1]);
      console.log(`series per node host (web-01, 4 cores, medium layout): ${series}`);
      expect(series).toBeGreaterThan(400);
    });

    it("Node Exporter Full: at least 95 % of the panel targets return data", async () => {
      const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, "utf8"));
      const ctx = { rangeSeconds: 300, scrapeSeconds: 1 };
      const { values, problems } = await resolveVariables(prometheus.url, dashboard.templating.list as Variable[], ctx);
      expect(problems).toEqual([]);
      expect(values.get("job")).toEqual(["node"]);
      expect(values.get("node")?.[0]).toMatch(/:9100$/);
      const targets = panelTargets(dashboard);
      const results = await checkTargets(prometheus.url, targets, values, ctx);
      const visible = results.filter((r) => !r.target.hidden);
      const withData = (rs: typeof results) => rs.filter((r) => r.series > 0).length;
      const missing = results.filter((r) => r.series === 0).map((r) => `${r.target.panel} ${r.target.refId}${r.target.hidden ? " (hidden)" : ""}: ${r.error ?? r.query}`);
      console.log(
        `Node Exporter Full: ${withData(visible)}/${visible.length} visible targets with data (${((100 * withData(visible)) / visible.length).toFixed(1)} %), ` +
          `${withData(results)}/${results.length} with hidden ones; without data:\n${missing.join("\n")}`,
      );
      expect(results.filter((r) => r.error)).toEqual([]);
      expect(withData(visible) / visible.length).toBeGreaterThanOrEqual(0.95);
    });

    it("no awesome-prometheus-alerts node rule fires (but the one that needs a day of history)", async () => {
      const rules = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as { data: { groups: { rules: unknown[] }[] } };
      const loaded = rules.data.groups.flatMap((g: { rules: unknown[] }) => g.rules).length;
      expect(loaded).toBe(readRuleFile(NODE_RULES).alerts.length);
      // HostContextSwitchingHigh divides rate(...[15m]) by rate(...[1d]); on a Prometheus younger than a
      // day the second is divided by a whole day all the same, so it fires on every host: the rule's
      // behaviour, not the data's. The offline test below gives it its day of history. Likewise rate()
      // over a window longer than the data (HostHighCpuLoad's 5m) reads low for the first minutes:
      // pending is allowed here, firing is not (its `for` is 10m).
      const alerts = await query(prometheus.url, 'ALERTS{alertname!="HostContextSwitchingHigh", alertstate="firing"}');
      expect(alerts.map((a) => `${a.metric.alertname} ${a.metric.instance} ${a.metric.alertstate}`)).toEqual([]);
    });
  });

  describe("offline: fleet-faults played in seconds and backfilled", () => {
    const STEP_S = 20;
    /** A calm day (sampled every 5 min: HostContextSwitchingHigh compares with the last day), then 2h30m at 20 s. */
    const FAULTS_AT_S = 24.5 * 3600;
    const DETAIL_FROM_S = 24 * 3600;
    const DURATION_S = FAULTS_AT_S + 2 * 3600;
    let prometheus: OfflineServer;
    let start: number;

    beforeAll(async () => {
      const names = new Set(readRuleFile(NODE_RULES).alerts.flatMap((a) => metricNames(a.expr)));
      const { scenario } = loadScenario("fleet-faults", ["faults.at=24h30m"]);
      prometheus = await backfilled(scenario, { durationMs: DURATION_S * 1000, stepMs: STEP_S * 1000, evaluateFromMs: DETAIL_FROM_S * 1000, historyStepMs: 300_000, names });
      start = prometheus.start;
    }, 120_000);

    afterAll(async () => {
      await prometheus?.close();
    });

    it("every fault fires the alerts it is annotated with, on its host, and nothing fires on the calm host", async () => {
      const { alerts } = readRuleFile(NODE_RULES);
      const fired = new Map<string, Set<string>>();
      for (const rule of alerts) {
        const outcome = await evaluateAlert(prometheus.url, rule, start + DETAIL_FROM_S, start + DURATION_S, STEP_S);
        for (const { labels } of outcome.fired) {
          const host = labels.instance.replace(/:9100$/, "");
          if (!fired.has(host)) fired.set(host, new Set());
          fired.get(host)!.add(rule.alert);
        }
      }
      const { scenario } = loadScenario("fleet-faults", ["faults.at=24h30m"]);
      // The node hosts only: fleet-faults' postgres and http hosts are community-postgres.test.ts' business.
      const { missing, unexpected } = compareFired("fleet-faults, awesome-prometheus-alerts node rules", annotatedAlerts(scenario, "node"), fired);
      expect(missing).toEqual([]);
      expect(unexpected).toEqual([]);
    }, 120_000);
  });
});
