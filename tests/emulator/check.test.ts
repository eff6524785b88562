/**
 * `promemu check` as users run it (the built CLI), against the pinned Prometheus:
 *  - online: fleet-calm served by the emulator and scraped every second by a Prometheus that loads a
 *    small fixture rule file and awesome-prometheus-alerts' node rules; a fixture dashboard and Node
 *    Exporter Full (read from ../shared/community, never copied) checked through a basic-auth proxy;
 *  - offline: fleet-faults played in seconds, answering which alerts fire and when;
 *  - bad input and missing programs: the messages and exit codes.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { dependencyLevels } from "../../emulator/src/backfill/rules";
import { query } from "../../emulator/src/check/prometheus";
import { exporterScrapeConfig, serveScenario, type ServedScenario } from "../support/emulator-server";
import { describeWith, eventually, freePort, sleep, startPrometheus, stopAllServers, waitForQueryValue, type RunningServer } from "../support/servers";
import { EMULATOR_BIN } from "./helpers";

const COMMUNITY = path.resolve(__dirname, "../../../shared/community");
const NODE_FULL = path.join(COMMUNITY, "grafana-dashboards/node-exporter-full.json");
const NODE_RULES = path.join(COMMUNITY, "awesome-prometheus-alerts/host-and-hardware-node-exporter.yml");
/** USE-method recording rules written from node_exporter's meanings (three dependency levels), and a dashboard that reads only their series. */
const USE_RULES = path.resolve(__dirname, "fixtures/recording-rules/rules.yml");
const USE_DASHBOARD = path.resolve(__dirname, "fixtures/recording-rules/dashboard.json");

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-check-test-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, content: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
};

/** Loaded by the test Prometheus: its rule manager writes ALERTS. */
const LOADED_RULES = write(
  "loaded.yml",
  `groups:
  - name: fixture
    rules:
      - alert: FixtureFiring
        expr: up{job="node"} == 1
      - alert: FixturePending
        expr: up{job="node"} == 1
        for: 1h
      - alert: FixtureNever
        expr: node_load1 > 1000
      - record: fixture:node_load1:max
        expr: max by (instance) (node_load1)
`,
);
/** Not loaded: evaluated from its expression over the range. */
const OTHER_RULES = write(
  "other.yml",
  `groups:
  - name: other
    rules:
      - alert: FixtureEvaluated
        expr: node_uname_info{nodename="web-01"}
      - record: fixture:nothing
        expr: no_such_metric
`,
);
const DASHBOARD = write(
  "dashboard.json",
  JSON.stringify({
    title: "Fixture",
    templating: {
      list: [
        { name: "job", type: "query", query: "label_values(node_uname_info, job)" },
        { name: "node", type: "query", query: { query: 'label_values(node_uname_info{job="$job"}, instance)' }, multi: true, includeAll: true },
        { name: "mode", type: "custom", query: "idle,user" },
      ],
    },
    panels: [
      { title: "Up", targets: [{ refId: "A", expr: 'up{job="$job", instance=~"$node"}' }] },
      {
        title: "Row",
        type: "row",
        panels: [{ title: "CPU", targets: [{ refId: "A", expr: 'sum by (instance) (rate(node_cpu_seconds_total{instance=~"$node", mode="$mode"}[$__rate_interval]))' }] }],
      },
      { title: "Missing", targets: [{ refId: "A", expr: "no_such_metric" }, { refId: "B", expr: "also_missing", hide: true }] },
      { title: "Logs", targets: [{ refId: "A", expr: '{job="x"}', datasource: { type: "loki", uid: "l" } }] },
    ],
  }),
);

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI, asynchronously (the servers of this process must keep answering meanwhile). */
function promemu(args: string[], env: Record<string, string> = {}): Promise<Result> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PROMEMU_")));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [EMULATOR_BIN, "check", ...args], { env: { ...base, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

const noTrace = (r: Result) => expect(r.stderr).not.toMatch(/\n\s+at /);

describe("promemu check --offline: recording rules in dependency order", () => {
  const rule = (record: string, expr: string) => ({ record, expr });
  const names = (levels: ReturnType<typeof dependencyLevels>) => levels.map((level) => level.map((g) => `${g.name}: ${g.rules.map((r) => r.record).join(" ")}`));

  it("puts each rule one level after the recorded series it reads, keeping groups, intervals and order", () => {
    const levels = dependencyLevels([
      { name: "fleet", interval: "1m", rules: [rule("job:x:avg", "avg(instance:x:rate5m) * on() group_left sum(instance:y:sum)"), rule("job:z", "sum(node_load1)")] },
      { name: "instance", rules: [rule("instance:x:rate5m", "rate(node_x_total[5m])"), rule("instance:y:sum", "count(node_y) + 0 * instance:x:rate5m"), rule("instance:w", "node_w")] },
    ]);
    expect(names(levels)).toEqual([["fleet: job:z", "instance: instance:x:rate5m instance:w"], ["instance: instance:y:sum"], ["fleet: job:x:avg"]]);
    expect(levels[2][0].interval).toBe("1m");
  });

  it("a circle (a rule reading itself or two reading each other) goes after everything else", () => {
    const levels = dependencyLevels([{ name: "g", rules: [rule("a", "b + 1"), rule("b", "a - 1"), rule("c", "c offset 1m or vector(0)"), rule("d", "node_d")] }]);
    expect(names(levels)).toEqual([["g: d"], ["g: a b c"]]);
  });
});

describe("promemu check: bad input", () => {
  it("reports every problem at once, naming the flag or file, exit 2", async () => {
    const broken = write("broken.json", "{ not json");
    const badRules = write("bad.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        for: soon\n        expr: up\n");
    const r = await promemu(["--prometheus-url", "ftp://user:hunter2@p:9090", "--dashboard", broken, "--dashboard", path.join(dir, "absent.json"), "--rules", badRules, "--min-coverage", "120", "--scenario", "fleet-faults"]);
    expect(r.status).toBe(2);
    noTrace(r);
    expect(r.stderr).toContain(`promemu: --dashboard ${broken}: not valid JSON`);
    expect(r.stderr).toContain(`promemu: --dashboard ${path.join(dir, "absent.json")}: cannot read the dashboard (ENOENT)`);
    expect(r.stderr).toContain(`promemu: --rules ${badRules}: groups[0].rules[0].for: must be a duration`);
    expect(r.stderr).toContain('promemu: --min-coverage "120": must be a percentage from 0 to 100');
    expect(r.stderr).toContain("promemu: --scenario is used only with --offline");
    expect(r.stderr).toContain('--prometheus-url "ftp://***@p:9090": the scheme ftp is not supported');
    expect(r.stderr).not.toContain("hunter2");
  });

  it.each([
    [[], "nothing to check: give --dashboard <file> and/or --rules <file>"],
    [["--rules", LOADED_RULES], "give --prometheus-url <url> (PROMEMU_PROMETHEUS_URL) to check a running Prometheus, or --offline"],
    [["--rules", LOADED_RULES, "--offline", "--scenario", "fleet-faults"], "--offline needs --duration"],
    [["--rules", LOADED_RULES, "--offline", "--scenario", "default", "--duration", "1h"], "--scenario default: has no exporter hosts"],
    [["--rules", LOADED_RULES, "--prometheus-url", "http://p:9090", "--from", "yesterday"], '--from "yesterday": must be a time in RFC 3339'],
    [["--rules", LOADED_RULES, "--prometheus-url", "http://p:9090", "--range", "1y", "--step", "1s"], "is more than 11,000 points per series"],
    [["--dashboard", DASHBOARD, "--prometheus-url", "http://p:9090", "--format", "xml"], "argument 'xml' is invalid. Allowed choices are table, json"],
    [["--rules", LOADED_RULES, "--prometheus-url", "http://p:9090", "--min-coverage", "90"], "--min-coverage needs at least one --dashboard"],
  ])("%j", async (args, message) => {
    const r = await promemu(args as string[]);
    expect(r.stderr).toContain(message);
    expect(r.status).toBe(2);
    noTrace(r);
  });

  it("an unreachable Prometheus: exit 3, named without its credentials", async () => {
    const port = await freePort(); // nobody listens there
    const r = await promemu(["--rules", LOADED_RULES, "--prometheus-url", `http://admin:hunter2@127.0.0.1:${port}`]);
    expect(r.stderr).toContain(`promemu: cannot reach Prometheus at http://***@127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
    expect(r.stderr).not.toContain("hunter2");
    expect(r.status).toBe(3);
  });

  it("offline without prometheus/promtool on PATH: exit 3 and what to install", async () => {
    const r = await promemu(["--offline", "--scenario", "fleet-faults", "--duration", "1h", "--rules", LOADED_RULES], { PATH: dir });
    expect(r.stderr).toContain("promemu: the offline mode needs prometheus and promtool on PATH");
    expect(r.stderr).toContain("apt-get install prometheus");
    expect(r.status).toBe(3);
    noTrace(r);
  });
});

describeWith(["prometheus", "promtool"])("promemu check against a real Prometheus", () => {
  let emulator: ServedScenario;
  let prometheus: RunningServer;
  let proxy: http.Server;
  let proxyUrl: string;
  const community = fs.existsSync(NODE_FULL) && fs.existsSync(NODE_RULES);

  beforeAll(async () => {
    emulator = await serveScenario("fleet-calm", ["scrape.interval=1s"]);
    const config = write("prometheus.yml", exporterScrapeConfig(emulator.url, ["node"], [LOADED_RULES, ...(community ? [NODE_RULES] : [])]));
    prometheus = await startPrometheus({ configFile: config });
    // A proxy that wants basic auth (admin:s3cret), in front of the Prometheus.
    const expected = `Basic ${Buffer.from("admin:s3cret").toString("base64")}`;
    proxy = http.createServer((req, res) => {
      if (req.headers.authorization !== expected) {
        res.writeHead(401).end("unauthorized");
        return;
      }
      const upstream = http.request(`${prometheus.url}${req.url}`, { method: req.method, headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== "host" && k !== "authorization")) }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    await waitForQueryValue(prometheus, 'count(up{job="node"} == 1)', "7");
    await eventually(async () => ((await query(prometheus.url, 'ALERTS{alertname="FixtureFiring"}')).length === 7 ? true : undefined), 30_000, () => prometheus.output());
    await sleep(6_000);
  }, 90_000);

  afterAll(async () => {
    await emulator?.stop();
    await new Promise((resolve) => proxy?.close(resolve));
    await stopAllServers();
  });

  const online = (extra: string[]) =>
    promemu(["--prometheus-url", prometheus.url, "--scrape-interval", "1s", "--range", "2m", "--dashboard", DASHBOARD, "--rules", LOADED_RULES, "--rules", OTHER_RULES, ...extra]);

  it("table: each panel target with or without data, each rule's state, the coverage", async () => {
    const r = await online([]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Prometheus ${prometheus.url}, `);
    expect(r.stdout).toContain(`Dashboard "Fixture" (${DASHBOARD}): 2 of 3 panel targets return data (66.7 %)`);
    expect(r.stdout).toMatch(/variables: job=node, node=batch-01:9100\|db-01:9100\|db-02:9100\|\.\.\.\(7\), mode=idle/);
    expect(r.stdout).toMatch(/^yes\s+7\s+Up\s+A\s+up\{job="node", instance=~"\(batch-01:9100\|db-01:9100\|/m);
    expect(r.stdout).toMatch(/^yes\s+7\s+CPU\s+A\s+sum by \(instance\) \(rate\(node_cpu_seconds_total\{instance=~"\(batch-01:9100\|/m);
    expect(r.stdout).toMatch(/^NO\s+0\s+Missing\s+A\s+no_such_metric$/m);
    expect(r.stdout).toMatch(/^NO \(hidden\)\s+0\s+Missing\s+B\s+also_missing$/m);
    expect(r.stdout).not.toContain("Logs");
    expect(r.stdout).toContain("Alert rules: 4: 2 firing, 1 pending (never firing), 1 inactive");
    expect(r.stdout).toMatch(/^firing\s+FixtureFiring\s+0s\s+ALERTS\s+\S+Z\s+batch-01:9100, db-01:9100/m);
    expect(r.stdout).toMatch(/^pending\s+FixturePending\s+1h\s+ALERTS\s+-\s+-$/m);
    expect(r.stdout).toMatch(/^inactive\s+FixtureNever\s+0s\s+ALERTS\s+-\s+-$/m);
    expect(r.stdout).toMatch(/^firing\s+FixtureEvaluated\s+0s\s+evaluated\s+\S+Z\s+web-01:9100$/m);
    expect(r.stdout).toContain("Recording rules: 1 of 2 produce series");
    expect(r.stdout).toMatch(/^7\s+fixture:node_load1:max\s+recorded$/m);
    expect(r.stdout).toMatch(/^0\s+fixture:nothing\s+evaluated$/m);
    expect(r.stdout).toContain("Coverage: 2 of 3 visible panel targets return data (66.7 %)\n");
  });

  it("JSON for scripts, and --min-coverage: exit 1 below it (said on stderr), 0 at or above", async () => {
    const below = await online(["--format", "json", "--min-coverage", "95"]);
    expect(below.status).toBe(1);
    expect(below.stderr).toContain("coverage 66.7 % of panel targets with data is below --min-coverage 95 %");
    const report = JSON.parse(below.stdout);
    expect(report.coverage).toEqual({ targets: 3, withData: 2, percent: (200 / 3), minimum: 95, ok: false });
    // Variables and built-ins as Grafana resolves them: All as a regex alternation, $__rate_interval = 4 x the scrape interval.
    expect(report.dashboards[0].targets[1].query).toMatch(/^sum by \(instance\) \(rate\(node_cpu_seconds_total\{instance=~"\(batch-01:9100\|db-01:9100\|.*\|web-04:9100\)", mode="idle"\}\[4s\]\)\)$/);
    expect(report.dashboards[0].targets.map((t: { refId: string; data: boolean; hidden: boolean }) => [t.refId, t.data, t.hidden])).toEqual([
      ["A", true, false],
      ["A", true, false],
      ["A", false, false],
      ["B", false, true],
    ]);
    const byName = Object.fromEntries(report.alerts.map((a: { alert: string }) => [a.alert, a]));
    expect(byName.FixtureFiring.state).toBe("firing");
    expect(byName.FixtureFiring.firing).toHaveLength(7);
    expect(Date.parse(byName.FixtureFiring.firing[0].since)).toBeLessThanOrEqual(Date.now());
    expect(byName.FixturePending).toMatchObject({ state: "pending", source: "ALERTS", forSeconds: 3600, firing: [] });
    expect(report.recording.map((r: { record: string; series: number }) => [r.record, r.series])).toEqual([
      ["fixture:node_load1:max", 7],
      ["fixture:nothing", 0],
    ]);
    const atOrAbove = await online(["--format", "json", "--min-coverage", "66"]);
    expect(atOrAbove.status).toBe(0);
    expect(JSON.parse(atOrAbove.stdout).coverage.ok).toBe(true);
  });

  it("credentials in the URL go as basic auth and are shown redacted; wrong ones exit 3", async () => {
    const withAuth = `${proxyUrl.replace("http://", "http://admin:s3cret@")}`;
    const r = await promemu(["--prometheus-url", withAuth, "--rules", LOADED_RULES, "--format", "json", "--range", "1m", "--scrape-interval", "1s"]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).prometheus).toBe(proxyUrl.replace("http://", "http://***@"));
    expect(r.stdout + r.stderr).not.toContain("s3cret");
    const wrong = await promemu(["--prometheus-url", withAuth.replace("s3cret", "guess"), "--rules", LOADED_RULES]);
    expect(wrong.status).toBe(3);
    expect(wrong.stderr).toContain(`Prometheus at ${proxyUrl.replace("http://", "http://***@")} answered HTTP 401 (the credentials in the URL were refused)`);
    expect(wrong.stderr).not.toContain("guess");
  });

  (community ? it : it.skip)("Node Exporter Full and awesome-prometheus-alerts node rules on fleet-calm: >= 95 % with data, no node alert firing", async () => {
    const r = await promemu(["--prometheus-url", prometheus.url, "--scrape-interval", "1s", "--range", "1m", "--dashboard", NODE_FULL, "--rules", NODE_RULES, "--format", "json", "--min-coverage", "95"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    console.log(`promemu check, Node Exporter Full on fleet-calm: ${report.coverage.withData}/${report.coverage.targets} (${report.coverage.percent.toFixed(1)} %)`);
    expect(report.coverage.percent).toBeGreaterThanOrEqual(95);
    expect(report.alerts.every((a: { source: string }) => a.source === "ALERTS")).toBe(true);
    // HostContextSwitchingHigh divides by rate(...[1d]) and fires on any Prometheus younger than a day (docs/exporter-profiles.md).
    const firing = report.alerts.filter((a: { state: string; alert: string }) => a.state === "firing" && a.alert !== "HostContextSwitchingHigh");
    expect(firing.map((a: { alert: string }) => a.alert)).toEqual([]);
  }, 60_000);
});

describeWith(["prometheus", "promtool"])("promemu check --offline", () => {
  const tmp = () => fs.mkdtempSync(path.join(dir, "tmpdir-"));

  it("fleet-faults: which annotated alerts fire, on which host, and when; no temporary file left", async () => {
    const tmpdir = tmp();
    const began = Date.now();
    const r = await promemu(["--offline", "--scenario", "fleet-faults", "--duration", "1h", "--rules", NODE_RULES, "--rules", OTHER_RULES, "--format", "json"], { TMPDIR: tmpdir });
    const seconds = (Date.now() - began) / 1000;
    console.log(`promemu check --offline, fleet-faults 1h: ${seconds.toFixed(1)} s`);
    expect(r.status).toBe(0);
    expect(seconds).toBeLessThan(40);
    expect(fs.readdirSync(tmpdir)).toEqual([]);
    const report = JSON.parse(r.stdout);
    expect(report.scenario).toMatchObject({ name: "fleet-faults", durationSeconds: 3600, stepSeconds: 30 });
    const first = (alert: string, host: string): number | undefined =>
      report.alerts.find((a: { alert: string }) => a.alert === alert)?.firing.find((f: { instance: string }) => f.instance === `${host}:9100`)?.sinceScenarioStartSeconds;
    // Faults start at 30m; each alert fires once its `for` has passed (2m, 0m, 5m).
    expect(first("HostOutOfDiskSpace", "disk-fill-sudden-01")).toBe(32 * 60);
    expect(first("HostSystemdServiceCrashed", "unit-failed-01")).toBe(30 * 60);
    expect(first("HostClockNotSynchronising", "clock-unsynced-01")).toBe(32 * 60);
    expect(first("HostConntrackLimit", "conntrack-01")).toBe(35 * 60);
    expect(first("HostHighCpuLoad", "cpu-saturated-01")).toBeGreaterThanOrEqual(40 * 60);
    expect(report.alerts.find((a: { alert: string }) => a.alert === "HostOutOfDiskSpace").expectedOn).toEqual(["disk-fill-steady-01", "disk-fill-sudden-01"]);
    // The steady fill takes 90m: not full within the hour.
    expect(first("HostOutOfDiskSpace", "disk-fill-steady-01")).toBeUndefined();
    // Nothing fires on the calm host (HostContextSwitchingHigh aside: a day's rate on an hour of data).
    const onCalm = report.alerts.filter((a: { alert: string; firing: { instance: string }[] }) => a.alert !== "HostContextSwitchingHigh" && a.firing.some((f) => f.instance === "calm-01:9100"));
    expect(onCalm).toEqual([]);
    expect(first("FixtureEvaluated", "web-01")).toBeUndefined();
  }, 60_000);

  it("table: times as scenario time, annotated alerts that did not fire", async () => {
    const r = await promemu(["--offline", "--scenario", "fleet-faults", "--duration", "40m", "--evaluate-from", "20m", "--rules", NODE_RULES]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Scenario fleet-faults (seed 42) played offline for 40m; rules evaluated every 30s from +20m to +40m. Times are scenario time.");
    expect(r.stdout).toMatch(/^firing\s+HostOutOfDiskSpace\s+2m\s+evaluated\s+\+32m\s+disk-fill-sudden-01:9100 \+32m\s+disk-fill-steady-01, disk-fill-sudden-01$/m);
    expect(r.stdout).toMatch(/Annotated but not firing: .*HostOutOfDiskSpace on disk-fill-steady-01/);
    expect(r.stderr).toMatch(/played fleet-faults offline: [\d,]+ samples/);
  }, 60_000);

  it("SIGINT while the temporary Prometheus starts: exits 130, nothing left behind", async () => {
    const tmpdir = tmp();
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PROMEMU_")));
    const child = spawn(process.execPath, [EMULATOR_BIN, "check", "--offline", "--scenario", "fleet-faults", "--duration", "1h", "--rules", NODE_RULES], { env: { ...base, TMPDIR: tmpdir } });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await eventually(async () => (stderr.includes("backfilled with promtool") ? true : undefined), 30_000, () => stderr, 20);
    expect(fs.readdirSync(tmpdir)).toHaveLength(1);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(fs.readdirSync(tmpdir)).toEqual([]);
    // No prometheus left serving that directory.
    const left = spawnSync("pgrep", ["-f", tmpdir], { encoding: "utf8" }).stdout.trim();
    expect(left).toBe("");
  }, 60_000);

  it("recording rules: evaluated over the played range in dependency order, so every panel of recorded series has data and alerts read them", async () => {
    const alerts = write(
      "use-alerts.yml",
      `groups:
  - name: use-alerts
    rules:
      - alert: FixtureFleetCpuBusy
        expr: job:node_cpu_utilisation:avg > 0
      - alert: FixtureRunQueueSeen
        expr: job:node_load1_per_cpu:max > 0
        for: 10m
`,
    );
    const tmpdir = tmp();
    const r = await promemu(["--offline", "--scenario", "fleet-calm", "--duration", "2h", "--evaluate-from", "1h", "--rules", USE_RULES, "--rules", alerts, "--dashboard", USE_DASHBOARD, "--format", "json"], { TMPDIR: tmpdir });
    expect(r.status).toBe(0);
    // Three passes of promtool: the rules that read nothing recorded, then those reading them, then the one reading those.
    expect(r.stderr).toMatch(/recording rules \(level 1 of 3\) evaluated over the played range: instance:node_num_cpu:sum, instance:node_cpu_utilisation:rate5m, /);
    expect(r.stderr).toMatch(/recording rules \(level 2 of 3\) evaluated over the played range: job:node_cpu_utilisation:avg, instance:node_load1_per_cpu:ratio,/);
    expect(r.stderr).toMatch(/recording rules \(level 3 of 3\) evaluated over the played range: job:node_load1_per_cpu:max,/);
    const report = JSON.parse(r.stdout);
    const dashboard = report.dashboards[0];
    expect(dashboard.variables.instance).toHaveLength(7);
    expect(dashboard.targets.filter((t: { data: boolean }) => !t.data).map((t: { panel: string }) => t.panel)).toEqual([]);
    expect(report.coverage).toMatchObject({ targets: 12, withData: 12, percent: 100 });
    const state = (name: string) => report.alerts.find((a: { alert: string }) => a.alert === name)?.state;
    expect(state("FixtureFleetCpuBusy")).toBe("firing");
    expect(state("FixtureRunQueueSeen")).toBe("firing");
    expect(report.recording.filter((x: { series: number }) => x.series === 0)).toEqual([]);
    expect(fs.readdirSync(tmpdir)).toEqual([]);
  }, 60_000);
});
