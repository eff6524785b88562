/**
 * Grafana is not packaged in Debian, so its files are proven by structure: the keys Grafana's provisioning
 * documentation names, and dashboards whose panels, positions, datasource references and variables are sound.
 * The queries themselves run on a real Prometheus in tests/e2e.
 */
import * as yaml from "js-yaml";
import {
  ALERTMANAGER_DATASOURCE_UID,
  DASHBOARD_SCHEMA_VERSION,
  dashboardQueries,
  dashboardVariables,
  DATASOURCE_UID,
  LOGS_DATASOURCE_UID,
  expandVariables,
  fitSchemaVersion,
  GRAFANA_SCHEMA_LINE,
  HEALTH_DASHBOARD_UID,
  MAIN_DASHBOARD_UID,
  MATCH_ALL,
  OWN_DASHBOARD_UIDS,
  type RenderedDashboard,
  renderDashboards,
  renderGrafanaDashboardProvider,
  renderGrafanaDatasources,
} from "../../config/grafana";
import { parseSettings } from "../../config/settings";
import { loadUserFiles } from "../../config/user-files";
import { describeWith, runTool } from "../support/servers";
import { removeAll, writeFiles } from "./files";

interface Datasource {
  name: string;
  uid: string;
  type: string;
  access: string;
  url: string;
  isDefault: boolean;
  jsonData: Record<string, unknown>;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  collapsed?: boolean;
  panels?: Panel[];
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource: { type: string; uid: string } }[];
  fieldConfig?: { defaults: { thresholds?: { steps: { value: number | null; color: string }[] } } };
}
interface Dashboard {
  uid: string;
  schemaVersion: number;
  title: string;
  refresh: string;
  panels: Panel[];
  templating: { list: { name: string; query: string; includeAll: boolean; allValue: string; multi: boolean; datasource: { uid: string } }[] };
}

const settings = parseSettings({}, "test");
const dashboards = renderDashboards(settings);
const parsed = (d: RenderedDashboard) => JSON.parse(d.json) as Dashboard;
const byUid = (uid: string, from = dashboards) => from.find((d) => d.uid === uid)!;
const contentPanels = (d: Dashboard) => d.panels.filter((p) => p.type !== "row");
const exprs = (d: RenderedDashboard) => dashboardQueries(d).map((q) => q.expr);

/** Every object under `value` that has a `datasource` key, with the path it was found at. */
function datasourceRefs(value: unknown, where = "$"): { where: string; ref: unknown }[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => datasourceRefs(item, `${where}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === "datasource" ? [{ where: `${where}.${key}`, ref: child }] : datasourceRefs(child, `${where}.${key}`),
  );
}

describe("Grafana datasource provisioning", () => {
  const load = (args: Parameters<typeof renderGrafanaDatasources>[0]) =>
    yaml.load(renderGrafanaDatasources(args)) as { apiVersion: number; datasources: Datasource[] };

  it("provisions Prometheus as the default datasource under the uid every panel uses", () => {
    const file = load({ prometheusUrl: "http://prometheus:9090", scrapeInterval: "15s" });
    expect(file.apiVersion).toBe(1);
    expect(file.datasources).toHaveLength(1);
    expect(file.datasources[0]).toMatchObject({
      uid: DATASOURCE_UID,
      type: "prometheus",
      access: "proxy",
      url: "http://prometheus:9090",
      isDefault: true,
      jsonData: { timeInterval: "15s" },
    });
  });

  it("adds Prometheus' Alertmanager as a second, non-default datasource when there is one", () => {
    const file = load({ prometheusUrl: "http://prometheus:9090", alertmanagerUrl: "http://alertmanager:9093" });
    expect(file.datasources.filter((d) => d.isDefault)).toHaveLength(1);
    const alertmanager = file.datasources.find((d) => d.type === "alertmanager");
    expect(alertmanager).toMatchObject({
      uid: ALERTMANAGER_DATASOURCE_UID,
      access: "proxy",
      url: "http://alertmanager:9093",
      isDefault: false,
      jsonData: { implementation: "prometheus" },
    });
    expect(file.datasources[0].jsonData.alertmanagerUid).toBe(ALERTMANAGER_DATASOURCE_UID);
    expect(new Set(file.datasources.map((d) => d.uid)).size).toBe(2);
  });
});

describe("Grafana dashboard provider", () => {
  it("loads the dashboards folder into one named Grafana folder", () => {
    const file = yaml.load(renderGrafanaDashboardProvider("/etc/grafana/dashboards")) as {
      apiVersion: number;
      providers: { name: string; type: string; folder: string; disableDeletion: boolean; options: { path: string; foldersFromFilesStructure: boolean } }[];
    };
    expect(file.apiVersion).toBe(1);
    expect(file.providers).toHaveLength(1);
    const [provider] = file.providers;
    expect(provider).toMatchObject({ type: "file", folder: "promemu", disableDeletion: true, options: { path: "/etc/grafana/dashboards" } });
    // Grafana refuses a provider with both a folder name and foldersFromFilesStructure.
    expect(provider.options.foldersFromFilesStructure).toBe(false);
  });

  it("adds a provider of its own for the user's extra dashboards, in the extra folder, as read-only as the stack's", () => {
    const file = yaml.load(renderGrafanaDashboardProvider("/etc/grafana/dashboards", "/etc/grafana/dashboards-extra")) as {
      providers: { name: string; folder: string; disableDeletion: boolean; allowUiUpdates: boolean; options: { path: string; foldersFromFilesStructure: boolean } }[];
    };
    expect(file.providers.map((p) => [p.name, p.folder, p.options.path])).toEqual([
      ["promemu", "promemu", "/etc/grafana/dashboards"],
      ["extra", "extra", "/etc/grafana/dashboards-extra"],
    ]);
    expect(file.providers[1]).toMatchObject({ disableDeletion: true, allowUiUpdates: false, options: { foldersFromFilesStructure: false } });
  });
});

describe("dashboards", () => {
  it("renders the main and health dashboards as JSON files named by uid", () => {
    expect(dashboards.map((d) => [d.uid, d.fileName])).toEqual([
      [MAIN_DASHBOARD_UID, `${MAIN_DASHBOARD_UID}.json`],
      [HEALTH_DASHBOARD_UID, `${HEALTH_DASHBOARD_UID}.json`],
    ]);
    for (const d of dashboards) {
      expect(parsed(d)).toMatchObject({ uid: d.uid, title: d.title, refresh: "30s" });
    }
  });

  it.each(dashboards.map((d) => [d.uid, d]))("%s: unique panel ids and grid positions that fit and do not overlap", (_uid, d) => {
    const panels = parsed(d).panels;
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(p.gridPos.w).toBeGreaterThan(0);
      expect(p.gridPos.h).toBeGreaterThan(0);
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    }
    const overlap = (a: Panel["gridPos"], b: Panel["gridPos"]) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
    const clashes = panels.flatMap((a, i) => panels.slice(i + 1).filter((b) => overlap(a.gridPos, b.gridPos)).map((b) => `${a.title} / ${b.title}`));
    expect(clashes).toEqual([]);
  });

  it.each(dashboards.map((d) => [d.uid, d]))("%s: every panel, query and variable is bound to the Prometheus datasource uid", (_uid, d) => {
    const dashboard = parsed(d);
    const refs = datasourceRefs(dashboard);
    expect(refs.length).toBeGreaterThan(contentPanels(dashboard).length);
    // The log panels (logs.enabled, the default) query the log store's datasource; everything else Prometheus.
    const logs = { type: "victoriametrics-logs-datasource", uid: LOGS_DATASOURCE_UID };
    for (const { where, ref } of refs) expect({ where, ref }).toEqual({ where, ref: (ref as { uid?: string } | undefined)?.uid === LOGS_DATASOURCE_UID ? logs : { type: "prometheus", uid: DATASOURCE_UID } });
    for (const panel of contentPanels(dashboard)) {
      expect(panel.datasource).toBeDefined();
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const target of panel.targets!) expect(target.datasource).toBeDefined();
    }
  });

  it.each(dashboards.map((d) => [d.uid, d]))("%s: rows are plain headers (Grafana ignores panels nested in an open row)", (_uid, d) => {
    for (const row of parsed(d).panels.filter((p) => p.type === "row")) {
      expect(row.collapsed).toBe(false);
      expect(row.panels).toEqual([]);
    }
  });

  it.each(dashboards.map((d) => [d.uid, d]))("%s: queries use only variables the dashboard defines", (_uid, d) => {
    const variables = dashboardVariables(d);
    for (const query of dashboardQueries(d)) {
      const expanded = expandVariables(query.expr, variables, { __rate_interval: "1m" });
      expect(expanded).not.toContain("$");
    }
  });

  it("main dashboard: job, role and host variables with All, chained by label_values", () => {
    const variables = parsed(byUid(MAIN_DASHBOARD_UID)).templating.list;
    expect(variables.map((v) => v.name)).toEqual(["job", "role", "host"]);
    for (const v of variables) {
      expect(v).toMatchObject({ includeAll: true, allValue: MATCH_ALL, multi: true, datasource: { uid: DATASOURCE_UID } });
      expect(v.query).toMatch(new RegExp(`^label_values\\(.+, ${v.name}\\)$`));
    }
    expect(variables[1].query).toContain('job=~"$job"');
    expect(variables[2].query).toContain('job=~"$job", role=~"$role"');
  });

  it("main dashboard: the seed's panels and the Python emulator's metrics", () => {
    const main = byUid(MAIN_DASHBOARD_UID);
    const panels = contentPanels(parsed(main));
    const panel = (title: string) => panels.find((p) => p.title === title)!;
    expect(panel("CPU usage by host").type).toBe("timeseries");
    expect(panel("Memory usage by host").type).toBe("timeseries");
    expect(panel("Heavy task").type).toBe("stat");
    expect(panel("Hosts by role").type).toBe("piechart");
    expect(panel("Hosts by role").targets![0].expr).toMatch(/^count by \(role\)/);
    expect(panel("Database connections").targets![0].expr).toContain("db_connections");
    const throughput = panel("Network throughput").targets!.map((t) => t.expr);
    expect(throughput).toEqual([
      expect.stringMatching(/rate\(network_receive_bytes_total\{.*\}\[\$__rate_interval\]\)/),
      expect.stringMatching(/rate\(network_transmit_bytes_total\{.*\}\[\$__rate_interval\]\)/),
    ]);
    const all = exprs(main).join("\n");
    for (const metric of [
      "disk_usage_percent",
      "disk_io_util_percent",
      "disk_io_ops_per_second",
      "gpu_usage_percent",
      "gpu_memory_usage_percent",
      "network_latency_seconds",
      "network_packet_loss_percent",
      "http_requests_total",
    ]) {
      expect(all).toContain(metric);
    }
    expect(all).toMatch(/histogram_quantile\(0\.95, sum by \(le\) \(rate\(http_request_duration_seconds_bucket/);
    // Every emulated-series query is narrowed by all three variables.
    for (const expr of exprs(main)) expect(expr).toContain('job=~"$job", role=~"$role", host=~"$host"');
  });

  it("main dashboard: the CPU and memory threshold lines follow the alert settings", () => {
    const custom = renderDashboards(parseSettings({ alerts: { cpuHigh: { threshold: 70 }, cpuCritical: { threshold: 90 }, memoryHigh: { threshold: 75 } } }, "test"));
    const panels = contentPanels(parsed(byUid(MAIN_DASHBOARD_UID, custom)));
    const steps = (title: string) => panels.find((p) => p.title === title)!.fieldConfig!.defaults.thresholds!.steps.map((s) => s.value);
    expect(steps("CPU usage by host")).toEqual([null, 70, 90]);
    expect(steps("Memory usage by host")).toEqual([null, 75]);
  });

  it("health dashboard: push results and latency, series counts, scrape durations, targets up, firing alerts", () => {
    const all = exprs(byUid(HEALTH_DASHBOARD_UID)).join("\n");
    expect(all).toMatch(/rate\(promemu_pushes_total\{job="emulator"\}/);
    expect(all).toMatch(/histogram_quantile\(0\.\d+, sum by \(le\) \(rate\(promemu_push_duration_seconds_bucket/);
    for (const metric of ["promemu_last_push_success_timestamp_seconds", "promemu_series", "promemu_hosts_active", "scrape_duration_seconds", "up{", 'ALERTS{alertstate="firing"}']) {
      expect(all).toContain(metric);
    }
  });
});

describe("dashboardQueries / expandVariables", () => {
  it("collects one entry per panel target with its refId", () => {
    const main = byUid(MAIN_DASHBOARD_UID);
    const queries = dashboardQueries(main);
    // Prometheus' targets only: the log panels' LogsQL is for the log store.
    const prometheusTarget = (t: unknown) => (t as { datasource?: { type?: string } }).datasource?.type === "prometheus";
    const targets = contentPanels(parsed(main)).reduce((n, p) => n + p.targets!.filter(prometheusTarget).length, 0);
    expect(queries).toHaveLength(targets);
    const latency = queries.filter((q) => q.panelTitle === "Request latency");
    expect(latency.map((q) => q.refId)).toEqual(["A", "B", "C"]);
  });

  it("substitutes match-all values and built-ins, and refuses unknown variables", () => {
    const variables = dashboardVariables(byUid(MAIN_DASHBOARD_UID));
    expect(expandVariables('rate(x{job=~"$job", host=~"${host}"}[$__rate_interval])', variables, { __rate_interval: "2m" })).toBe(
      'rate(x{job=~".*", host=~".*"}[2m])',
    );
    expect(() => expandVariables('x{zone=~"$zone"}', variables, {})).toThrow(/\$zone/);
  });
});

describe("dashboard schemaVersion (config/grafana/schema-version.ts)", () => {
  afterAll(removeAll);

  it("is Grafana 12.1's newest, 41, and belongs to the Grafana line config/settings.ts pins", () => {
    // Read in Grafana's source: LATEST_VERSION = 41 in apps/dashboard/pkg/migration/schemaversion/migrations.go of the
    // 12.1 line; 42 came with 12.2. Bumping the pinned image means checking the new line's number and changing both.
    expect(DASHBOARD_SCHEMA_VERSION).toBe(41);
    expect(GRAFANA_SCHEMA_LINE).toBe("12.1");
    expect(settings.grafana.image).toMatch(/^grafana\/grafana:12\.1\.\d+$/);
  });

  it.each(dashboards.map((d) => [d.uid, d]))("%s declares the pinned Grafana's schemaVersion, not the SDK's 42", (_uid, d) => {
    expect(parsed(d).schemaVersion).toBe(DASHBOARD_SCHEMA_VERSION);
  });

  it("reads a newer schemaVersion as Grafana 12.1 does (as its own newest) and leaves older or missing ones to Grafana", () => {
    expect(fitSchemaVersion({ uid: "a", schemaVersion: 42 })).toEqual({ value: { uid: "a", schemaVersion: 41 }, newer: 42 });
    expect(fitSchemaVersion({ uid: "a", schemaVersion: "43" })).toEqual({ value: { uid: "a", schemaVersion: 41 }, newer: 43 });
    for (const dashboard of [{ uid: "a", schemaVersion: 41 }, { uid: "a", schemaVersion: 39 }, { uid: "a" }, { uid: "a", schemaVersion: "x" }]) {
      expect(fitSchemaVersion(dashboard)).toEqual({ value: dashboard });
    }
  });

  it("provisions a user's dashboard from a newer Grafana at 41 and says so at preview, naming the file", () => {
    const projectDir = writeFiles({
      "dash/new.json": JSON.stringify({ uid: "from-12-3", title: "new", schemaVersion: 42, panels: [] }),
      "dash/old.json": JSON.stringify({ uid: "from-10-4", title: "old", schemaVersion: 39, panels: [] }),
    });
    const files = loadUserFiles(parseSettings({ grafana: { extraDashboards: ["dash/*.json"] } }, "test"), {
      projectDir,
      source: "Pulumi.test.yaml",
      promtool: null,
      reservedDashboardUids: OWN_DASHBOARD_UIDS,
    });
    const versions = Object.fromEntries(files.dashboards.map((d) => [d.fileName, (JSON.parse(d.content) as Dashboard).schemaVersion]));
    expect(versions).toEqual({ "new.json": 41, "old.json": 39 });
    expect(files.notices).toEqual([
      'promemu:grafana.extraDashboards: dash/new.json declares schemaVersion 42, newer than Grafana 12.1 knows (41); provisioned as 41, which is how Grafana 12.1 reads it anyway (no migration runs), so what needs a later Grafana may not show. Set "schemaVersion": 41 in the file to silence this.',
    ]);
  });
});

describe("main dashboard: log panels beside the metrics they explain (docs/logs.md, In the stack)", () => {
  const overview = (raw: Record<string, unknown>) => parsed(byUid(MAIN_DASHBOARD_UID, renderDashboards(parseSettings(raw, "test"))));
  const fleet = { emulator: { scenario: "fleet-faults" } };
  const logPanels = (d: Dashboard) => d.panels.filter((p) => p.type === "logs");
  /** The panel right of `title` on the same grid line, and of the same height. */
  const beside = (d: Dashboard, title: string) => {
    const panel = d.panels.find((p) => p.title === title)!;
    return d.panels.find((p) => p !== panel && p.gridPos.y === panel.gridPos.y && p.gridPos.x === panel.gridPos.x + panel.gridPos.w && p.gridPos.h === panel.gridPos.h)?.title;
  };
  const PAIRS: [string, string][] = [
    ["Request latency", "Failed and slow requests"],
    ["Memory available", "OOM kills"],
    ["Read-only and failing file systems", "File system lines"],
    ["Failed systemd units", "Unit failures"],
    ["Network errors", "Network adapter lines"],
    ["Deadlocks and recovery conflicts", "PostgreSQL ERROR lines"],
    ["Connections", "PostgreSQL FATAL lines"],
    ["HTTP error rate", "5xx access lines"],
    ["HTTP latency p99", "Slow requests"],
  ];

  it("a scenario with node, postgres and http hosts gets a row of each, every metric with its lines to its right, half the width each", () => {
    for (const backend of ["victorialogs", "loki"]) {
      const d = overview({ ...fleet, logs: { backend } });
      expect(d.panels.filter((p) => p.type === "row").map((p) => p.title)).toEqual(["Workload", "CPU and memory", "Disk and network", "Workers and requests", "Node hosts", "PostgreSQL", "HTTP services"]);
      for (const [metric, logs] of PAIRS) {
        expect([metric, beside(d, metric)]).toEqual([metric, logs]);
        expect(d.panels.find((p) => p.title === metric)!.gridPos.w).toBe(12);
      }
      expect(logPanels(d).map((p) => p.title)).toEqual(["Logs of the selected hosts", ...PAIRS.map(([, logs]) => logs), "Logs of the selected instances"]);
    }
  });

  it("the exporter rows filter by an instance variable over the exporter jobs, which logs carry too", () => {
    const d = overview(fleet);
    const instance = d.templating.list.find((v) => v.name === "instance")!;
    expect(instance).toMatchObject({ query: 'label_values(up{job=~"node|postgres|http"}, instance)', includeAll: true, allValue: MATCH_ALL });
    const exporterTargets = d.panels.filter((p) => PAIRS.slice(1).some((pair) => pair.includes(p.title))).flatMap((p) => p.targets!);
    for (const t of exporterTargets) expect(t.expr).toMatch(/job="(node|postgres|http)", instance=~"\$instance"/);
    // The default scenario has no exporter hosts: no such rows, no instance variable.
    expect(overview({}).templating.list.map((v) => v.name)).toEqual(["job", "role", "host"]);
    expect(overview({}).panels.map((p) => p.title)).not.toContain("Node hosts");
  });

  it("logs.enabled: false leaves no log panel, and the metrics take the whole width", () => {
    const d = overview({ ...fleet, logs: { enabled: false } });
    expect(logPanels(d)).toEqual([]);
    expect(datasourceRefs(d).filter(({ ref }) => (ref as { uid?: string }).uid === LOGS_DATASOURCE_UID)).toEqual([]);
    for (const [metric] of PAIRS) expect([metric, d.panels.find((p) => p.title === metric)!.gridPos.w]).toEqual([metric, 24]);
  });

  it("VictoriaLogs: LogsQL in the plugin's query model (expr, queryType instant)", () => {
    for (const panel of logPanels(overview(fleet))) {
      expect(panel.datasource).toEqual({ type: "victoriametrics-logs-datasource", uid: LOGS_DATASOURCE_UID });
      expect(panel.targets).toEqual([{ refId: "A", datasource: panel.datasource, expr: expect.stringMatching(/^\{[^}]+\}/), queryType: "instant" }]);
      // LogQL's pipes have no place in LogsQL: its filters follow the stream filter, space-separated.
      expect(panel.targets![0].expr).not.toMatch(/\|[=~]|\| json/);
    }
    const expr = (title: string) => logPanels(overview(fleet)).find((p) => p.title === title)!.targets![0].expr;
    expect(expr("5xx access lines")).toBe('{job="http", instance=~"$instance"} status:>=500');
    expect(expr("OOM kills")).toBe('{job="node", instance=~"$instance"} ("invoked oom-killer" or "Out of memory")');
  });

  it("Loki: LogQL in the core datasource's model, every selector with a matcher that refuses the empty value", () => {
    const loki = { ...fleet, logs: { backend: "loki" } };
    const panels = logPanels(overview(loki));
    const variables = dashboardVariables(byUid(MAIN_DASHBOARD_UID, renderDashboards(parseSettings(loki, "test"))));
    expect(panels.length).toBe(PAIRS.length + 2);
    for (const panel of panels) {
      expect(panel.datasource).toEqual({ type: "loki", uid: LOGS_DATASOURCE_UID });
      const target = panel.targets![0] as { expr: string; queryType?: string };
      expect(target.queryType).toBe("range");
      // Loki refuses `{host=~".*"}` ("queries require at least one regexp or equality matcher that does not have an
      // empty-compatible value"); "All" makes every variable `.*`.
      const expr = expandVariables(target.expr, variables, {});
      const selector = /^\{([^}]+)\}/.exec(expr)![1];
      const matchers = selector.split(/,\s*/).map((m) => /^(\w+)(=~|=)"(.*)"$/.exec(m)!);
      expect(matchers.some(([, , op, value]) => !new RegExp(`^(?:${op === "=" ? value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : value})$`).test(""))).toBe(true);
      // After the selector: line filters, then a parser and a label filter that drops lines which are not JSON.
      expect(expr.slice(selector.length + 2)).toMatch(/^(?: \|= "[^"]+"| \|~ "[^"]+")?(?: \| json \| .+ \| __error__="")?$/);
    }
    const expr = (title: string) => panels.find((p) => p.title === title)!.targets![0].expr;
    expect(expr("5xx access lines")).toBe('{job="http", instance=~"$instance"} | json | status >= 500 | __error__=""');
    expect(expr("OOM kills")).toBe('{job="node", instance=~"$instance"} |~ "invoked oom-killer|Out of memory"');
    expect(expr("PostgreSQL FATAL lines")).toBe('{job="postgres", instance=~"$instance"} |= "FATAL:"');
  });
});

describeWith(["promtool"])("main dashboard of a scenario with exporter hosts: PromQL the pinned promtool parses", () => {
  afterAll(removeAll);

  it("every query of the node, PostgreSQL and HTTP rows, variables on All (the live stack runs the default scenario's)", () => {
    const d = byUid(MAIN_DASHBOARD_UID, renderDashboards(parseSettings({ emulator: { scenario: "fleet-faults" } }, "test")));
    const variables = dashboardVariables(d);
    const rules = dashboardQueries(d).map((q, i) => ({ record: `panel_${q.panelId}_${i}`, expr: expandVariables(q.expr, variables, { __rate_interval: "1m" }) }));
    expect(rules.length).toBeGreaterThan(20);
    const dir = writeFiles({ "panels.yml": yaml.dump({ groups: [{ name: "panels", rules }] }) });
    const check = runTool("promtool", ["check", "rules", "panels.yml"], dir);
    expect(check).toMatchObject({ status: 0 });
  });
});
