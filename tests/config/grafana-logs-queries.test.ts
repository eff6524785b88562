/**
 * The log panels' LogsQL on a real VictoriaLogs (v1.52.2, the stack's pin, built by scripts/servers/build.sh): the
 * emulator's CLI pushes the default scenario (the balancer's access and peak lines, the workers' peak lines) and
 * fleet-faults (every fault's syslog, PostgreSQL and access lines) with the Loki push API, then every log panel of
 * the VictoriaLogs dashboards runs as Grafana would send it: it parses, and the panels that show a failure find
 * the lines of a faulty host and none (or far fewer) of a calm one. LogQL cannot be run here (Loki is AGPL): its
 * structure is checked in tests/config/grafana.test.ts.
 */
import { spawn } from "child_process";
import * as path from "path";
import { dashboardLogQueries, dashboardVariables, expandVariables, MAIN_DASHBOARD_UID, renderDashboards } from "../../config/grafana";
import { BUILTIN_SCENARIOS, parseSettings } from "../../config/settings";
import { eventually, stopAllServers } from "../support/servers";
import { describeWithVictoriaLogs, logsCount, startVictoriaLogs, type RunningVictoriaLogs } from "../support/victorialogs";

const CLI = path.join(__dirname, "..", "..", "emulator", "bin", "promemu.js");

/** The overview of each built-in scenario with VictoriaLogs: the log panels differ by the exporter profiles it serves. */
const overviews = BUILTIN_SCENARIOS.map((scenario) => renderDashboards(parseSettings({ emulator: { scenario } }, "test")).find((d) => d.uid === MAIN_DASHBOARD_UID)!);
/** Every distinct log panel (title and query) over those dashboards, with the dashboard's variables. */
const panels = [
  ...new Map(overviews.flatMap((d) => dashboardLogQueries(d).map((q) => [`${q.panelTitle}\t${q.expr}`, { ...q, variables: dashboardVariables(d) }] as const))).values(),
];

/**
 * What each panel must show, by title: the variables set to one host (instance `<host>:<port>` for exporter hosts), a
 * host whose fault writes the panel's lines, and a calm one. `calmAtMost` is a share of the faulty host's count a calm
 * host may have: a calm PostgreSQL has a deadlock now and then and a calm service a few 5xx, each counted by its
 * metrics too. Every log panel needs an entry here, so a new one cannot go untried.
 */
const EXPECTED: Record<string, { variable: "host" | "instance"; faulty: string; calm: string; calmAtMost?: number } | { variable: "host" | "instance"; some: string[] }> = {
  "Logs of the selected hosts": { variable: "host", some: ["balancer-01", "worker-01"] },
  "Failed and slow requests": { variable: "host", faulty: "balancer-01", calm: "worker-01" },
  "OOM kills": { variable: "instance", faulty: "memory-pressure-01:9100", calm: "calm-01:9100" },
  "File system lines": { variable: "instance", faulty: "fs-readonly-01:9100", calm: "calm-01:9100" },
  "Unit failures": { variable: "instance", faulty: "unit-failed-01:9100", calm: "calm-01:9100" },
  "Network adapter lines": { variable: "instance", faulty: "net-errors-01:9100", calm: "calm-01:9100" },
  "PostgreSQL ERROR lines": { variable: "instance", faulty: "pg-deadlocks-01:9187", calm: "pg-calm-01:9187", calmAtMost: 0.1 },
  "PostgreSQL FATAL lines": { variable: "instance", faulty: "pg-connections-01:9187", calm: "pg-calm-01:9187" },
  "5xx access lines": { variable: "instance", faulty: "api-degraded-01:8080", calm: "api-calm-01:8080", calmAtMost: 0.1 },
  "Slow requests": { variable: "instance", faulty: "api-degraded-01:8080", calm: "api-calm-01:8080" },
  "Logs of the selected instances": { variable: "instance", some: ["calm-01:9100", "pg-calm-01:9187", "api-calm-01:8080"] },
};

/** Plays a scenario at 120 times speed, pushing its lines to the store every second. */
async function play(store: RunningVictoriaLogs, scenario: string, duration: string, set: string[] = []): Promise<void> {
  const args = [CLI, "run", "--scenario", scenario, ...set.flatMap((s) => ["--set", s]), "--loki-url", store.pushUrl, "--speed", "120", "--duration", duration, "--push-interval", "1s", "--status-interval", "0"];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  expect({ scenario, code, stderr }).toMatchObject({ code: 0 });
}

/** The panel's query as Grafana sends it with every variable on "All" but `variable`, set to `value`. */
function expanded(panel: (typeof panels)[number], variable?: string, value?: string): string {
  const variables = panel.variables.map((v) => (v.name === variable ? { ...v, allValue: value! } : v));
  return expandVariables(panel.expr, variables, {});
}

describeWithVictoriaLogs()("the log panels' LogsQL on VictoriaLogs", () => {
  let store: RunningVictoriaLogs;

  beforeAll(async () => {
    store = await startVictoriaLogs();
    await Promise.all([play(store, "default", "6m"), play(store, "fleet-faults", "10m", ["faults.at=2m"])]);
    // VictoriaLogs shows what it took after a second or so, and finds a new stream by a stream filter a few seconds
    // after `*` finds its lines: wait until a stream filter over every stream counts what `*` does, twice alike.
    let last = -1;
    await eventually(
      async () => {
        const [all, streams] = [await logsCount(store, "*"), await logsCount(store, '{service_name=~".+"}')];
        const settled = all > 0 && all === streams && all === last;
        last = all;
        return settled ? true : undefined;
      },
      30_000,
      () => "the lines were not all searchable",
      1000,
    );
  }, 120_000);

  afterAll(() => stopAllServers());

  it("covers every log panel, and each of them is one the expectations name", () => {
    expect(panels.every((p) => p.datasourceType === "victoriametrics-logs-datasource")).toBe(true);
    expect([...new Set(panels.map((p) => p.panelTitle))].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(panels.map((p) => [p.panelTitle, p.expr, p]))("%s parses with every variable on All: %s", async (_title, _expr, panel) => {
    await expect(logsCount(store, expanded(panel))).resolves.toBeGreaterThan(0);
  });

  it.each(panels.map((p) => [p.panelTitle, p]))("%s: the lines of a faulty host, none or few of a calm one", async (title, panel) => {
    const expected = EXPECTED[title];
    if ("some" in expected) {
      for (const value of expected.some) expect({ [value]: (await logsCount(store, expanded(panel, expected.variable, value))) > 0 }).toEqual({ [value]: true });
      return;
    }
    const faulty = await logsCount(store, expanded(panel, expected.variable, expected.faulty));
    const calm = await logsCount(store, expanded(panel, expected.variable, expected.calm));
    expect({ faulty, calm, found: faulty > 0, calmFew: calm <= faulty * (expected.calmAtMost ?? 0) }).toMatchObject({ found: true, calmFew: true });
  });
});
