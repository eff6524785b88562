/**
 * The stack, live, on the real servers: Pushgateway, Prometheus and Alertmanager from Debian on free
 * loopback ports with the rendered configuration (only addresses rewritten), and the emulator run the
 * way its container is, with its scenario time compressed. Grafana is not packaged in Debian and is
 * left out: its files are proven by structure in tests/config/grafana.test.ts, and every query of its
 * dashboards runs here.
 */
import * as path from "path";
import { renderAlertmanagerConfig } from "../../config/alertmanager";
import { emulatorEnvironment } from "../../config/emulator";
import { dashboardQueries, dashboardVariables, expandVariables, renderDashboards } from "../../config/grafana";
import { healthUrl } from "../../config/health";
import { RULE_FILE, renderPrometheusConfig, SCRAPE_JOBS } from "../../config/prometheus";
import { renderAlertRules } from "../../config/rules";
import { parseSettings, type ServiceName } from "../../config/settings";
import { removeAll, writeFiles } from "../config/files";
import {
  describeWith,
  eventually,
  freePort,
  type ManagedProcess,
  type RunningServer,
  startAlertmanager,
  startPrometheus,
  startPushgateway,
  stopAllServers,
  waitForUrl,
} from "../support/servers";
import { startEmulator } from "./emulator-process";
import { alertmanagerAlerts, instantQuery, type Sample } from "./prometheus-api";

const STACK = "e2e";
/**
 * Scenario time runs SPEED times faster: the default scenario's first peak (60 s of scenario time, lasting
 * 4 min) starts 10 s after the emulator and lasts 40 s of wall time. Alert `for` values are wall time, so they
 * are shortened to a few seconds, well inside the peak.
 */
const SPEED = 6;
const settings = parseSettings(
  {
    prometheus: { scrapeInterval: "1s", evaluationInterval: "1s" },
    alertmanager: { groupWait: "1s" },
    emulator: { pushInterval: "1s", speed: SPEED },
    alerts: {
      cpuHigh: { for: "3s" },
      cpuCritical: { for: "2s" },
      memoryHigh: { for: "4s" },
      serviceDownFor: "3s",
      pushFailureFor: "3s",
    },
  },
  "tests/e2e/stack.test.ts",
);
/** Grafana's $__rate_interval for a 1 s scrape interval at this test's time range. */
const RATE_INTERVAL = "15s";
const DEFAULT_HOSTS = ["balancer-01", "db-01", "worker-01", "worker-02", "worker-03", "worker-04"];

describeWith(["prometheus", "pushgateway", "alertmanager"])("the stack live on the real servers", () => {
  let pushgateway: RunningServer;
  let prometheus: RunningServer;
  let alertmanager: RunningServer;
  let emulator: ManagedProcess;
  let emulatorPort: number;

  const query = (expr: string) => instantQuery(prometheus.url, expr);
  const nonEmpty = (samples: Sample[]) => (samples.length > 0 ? samples : undefined);
  /** Alerts of that name (and labels) that Alertmanager holds in one of `states`, once there is one. */
  const inAlertmanager = (alertname: string, match: Record<string, string> = {}, states = ["active"]) =>
    eventually(
      async () => {
        const found = (await alertmanagerAlerts(alertmanager.url)).filter(
          (a) => a.labels.alertname === alertname && states.includes(a.status.state) && Object.entries(match).every(([k, v]) => a.labels[k] === v),
        );
        return found.length ? found : undefined;
      },
      30000,
      () => `${alertname} ${JSON.stringify(match)} never reached Alertmanager as ${states.join("/")}\nemulator output:\n${emulator.output()}`,
    );

  beforeAll(async () => {
    [pushgateway, alertmanager] = await Promise.all([
      startPushgateway({ persistenceFile: path.join(writeFiles({}), "pushgateway.db") }),
      startAlertmanager({ configFile: path.join(writeFiles({ "alertmanager.yml": renderAlertmanagerConfig(settings) }), "alertmanager.yml") }),
    ]);
    const prometheusPort = await freePort();
    emulatorPort = await freePort();
    const dir = writeFiles({
      "prometheus.yml": renderPrometheusConfig({
        settings,
        stack: STACK,
        targets: {
          prometheus: `127.0.0.1:${prometheusPort}`,
          pushgateway: `127.0.0.1:${pushgateway.port}`,
          emulator: `127.0.0.1:${emulatorPort}`,
          alertmanager: `127.0.0.1:${alertmanager.port}`,
        },
        ruleFiles: [RULE_FILE],
      }),
      [RULE_FILE]: renderAlertRules(settings),
    });
    prometheus = await startPrometheus({ port: prometheusPort, configFile: path.join(dir, "prometheus.yml") });

    const environment = emulatorEnvironment({ settings, project: "promemu", stack: STACK, pushgatewayUrl: "http://pushgateway:9091" });
    emulator = startEmulator({ ...environment, PROMEMU_PUSHGATEWAY_URL: pushgateway.url, PROMEMU_LISTEN: `127.0.0.1:${emulatorPort}` });
    await waitForUrl(healthUrl("emulator", "127.0.0.1", emulatorPort), 20000, () => `emulator output:\n${emulator.output()}`);
  }, 90000);

  afterAll(async () => {
    await emulator?.stop();
    await stopAllServers();
    removeAll();
  });

  it("answers every container health check URL on the real servers (Grafana excepted: not in Debian)", async () => {
    const ports: [ServiceName, number][] = [
      ["pushgateway", pushgateway.port],
      ["prometheus", prometheus.port],
      ["alertmanager", alertmanager.port],
      ["emulator", emulatorPort],
    ];
    for (const [service, port] of ports) {
      const res = await fetch(healthUrl(service, "127.0.0.1", port), { signal: AbortSignal.timeout(5000) });
      expect({ service, status: res.status }).toEqual({ service, status: 200 });
    }
  });

  it("loaded the rendered rules and scrapes every configured target", async () => {
    const rules = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as { data: { groups: { rules: unknown[] }[] } };
    expect(rules.data.groups.flatMap((g) => g.rules)).toHaveLength(8);
    const up = await eventually(
      async () => {
        const samples = await query("up == 1");
        return samples.length === 4 ? samples : undefined;
      },
      20000,
      () => "not every target up",
    );
    expect(up.map((s) => s.metric.job).sort()).toEqual([SCRAPE_JOBS.alertmanager, SCRAPE_JOBS.emulator, SCRAPE_JOBS.prometheus, SCRAPE_JOBS.pushgateway]);
  });

  it("answers the seed's example queries with the default scenario's hosts, each series once", async () => {
    for (const expr of ["cpu_usage_percent", 'memory_usage_percent{host="worker-01"}', "heavy_task_active", "db_connections"]) {
      const samples = await eventually(() => query(expr).then(nonEmpty), 20000, () => `${expr} returned no data`);
      for (const sample of samples) {
        expect(sample.metric).toMatchObject({ job: "promemu", environment: "sandbox" });
        expect(Object.keys(sample.metric)).toEqual(expect.arrayContaining(["host", "role", "address"]));
      }
    }
    const hosts = (await query("cpu_usage_percent")).map((s) => s.metric.host).sort();
    expect(hosts).toEqual(DEFAULT_HOSTS);
    expect((await query('memory_usage_percent{host="worker-01"}')).map((s) => s.metric.role)).toEqual(["worker"]);
  });

  it("delivers HeavyTaskActive to Alertmanager during the first peak, and the peak fires the CPU and memory alerts", async () => {
    const [heavy] = await inAlertmanager("HeavyTaskActive");
    expect(heavy.labels).toMatchObject({ host: "balancer-01", role: "balancer", severity: "info", component: "workload", stack: STACK });
    expect(heavy.annotations.summary).toBe("Heavy task running on balancer-01");

    // The workers peak at 95.6-98 %: CriticalCPUUsage fires, and Alertmanager's inhibit rule holds back
    // the same host's HighCPUUsage, which it still receives.
    const [critical] = await inAlertmanager("CriticalCPUUsage", { role: "worker" });
    expect(critical.annotations.description).toMatch(/^CPU usage of worker-0\d \(role worker\) has been above 95% for 2s: 9\d\.\d% now\.$/);
    const [high] = await inAlertmanager("HighCPUUsage", { host: critical.labels.host }, ["suppressed"]);
    expect(high.status.inhibitedBy).toEqual([critical.fingerprint]);
    expect(high.annotations.description).toMatch(/has been above 80% for 3s/);

    await inAlertmanager("HighMemoryUsage", { role: "worker" });
  }, 60000);

  it("has data for every panel query and every variable of both dashboards (variables set to All)", async () => {
    for (const dashboard of renderDashboards(settings)) {
      const variables = dashboardVariables(dashboard);
      const expand = (expr: string) => expandVariables(expr, variables, { __rate_interval: RATE_INTERVAL });
      for (const variable of variables) {
        // label_values(<selector>, <label>) lists the label's values among the selector's series.
        const [, selector, label] = /^label_values\((.+), (\w+)\)$/.exec(variable.query)!;
        const expr = `count by (${label}) (${expand(selector)})`;
        await eventually(() => query(expr).then(nonEmpty), 20000, () => `${dashboard.uid} variable $${variable.name}: ${expr} returned no data`);
      }
      const empty: string[] = [];
      await eventually(
        async () => {
          empty.length = 0;
          for (const panelQuery of dashboardQueries(dashboard)) {
            const expr = expand(panelQuery.expr);
            if ((await query(expr)).length === 0) empty.push(`${panelQuery.panelTitle} [${panelQuery.refId}]: ${expr}`);
          }
          return empty.length === 0 ? true : undefined;
        },
        30000,
        () => `${dashboard.uid} panels without data:\n  ${empty.join("\n  ")}`,
      );
    }
  }, 90000);

  it("fires PushgatewayDown once the Pushgateway process is stopped, while the emulator counts failed pushes and stays up", async () => {
    await pushgateway.stop();
    const [down] = await inAlertmanager("PushgatewayDown");
    expect(down.labels).toMatchObject({ job: SCRAPE_JOBS.pushgateway, instance: `127.0.0.1:${pushgateway.port}`, severity: "critical", stack: STACK });
    expect((await query(`up{job="${SCRAPE_JOBS.pushgateway}"}`)).map((s) => s.value[1])).toEqual(["0"]);

    const failures = await eventually(
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${emulatorPort}/metrics`)).text();
        const line = text.split("\n").find((l) => l.startsWith('promemu_pushes_total{result="failure"}'));
        const count = line ? Number(line.split(" ").pop()) : 0;
        return count > 0 ? count : undefined;
      },
      15000,
      () => `the emulator reported no failed push\n${emulator.output()}`,
    );
    expect(failures).toBeGreaterThan(0);
    expect((await fetch(healthUrl("emulator", "127.0.0.1", emulatorPort))).status).toBe(200);
    expect(emulator.process.exitCode).toBeNull();
  }, 60000);
});
