/**
 * `status` against the real Prometheus and Pushgateway (Debian packages): scrape targets up and down,
 * a firing alert, container states from a fake `docker inspect`, and the exit code scripts rely on.
 */
import * as fs from "fs";
import * as http from "http";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import type { StackStatus } from "../../ops/commands/status";
import { describeWith, freePort, RunningServer, sleep, startPrometheus, startPushgateway, stopAllServers } from "../support/servers";
import { FakeTools } from "./support/fake-tools";
import { inspectJson, makeProject, runOps, stackOutputs, useSandbox } from "./support/harness";

/** Grafana is not packaged in Debian: a stand-in that answers its health endpoint like Grafana 12 does. */
function grafanaStandIn(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url === "/api/health") res.writeHead(200, { "content-type": "application/json" }).end('{"database":"ok","version":"12.1.0"}');
    else res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

describeWith(["prometheus", "pushgateway"])("ops status against real servers", () => {
  let prometheus: RunningServer;
  let pushgateway: RunningServer;
  let grafana: http.Server;
  let configDir: string;
  let configFile: string;
  let deadPort: number;
  let prometheusPort: number;
  let project: string;
  let fakes: FakeTools;

  const writeConfig = (withDeadTarget: boolean) => {
    const jobs = [
      { job_name: "prometheus", static_configs: [{ targets: [`127.0.0.1:${prometheusPort}`] }] },
      { job_name: "pushgateway", honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${pushgateway.port}`] }] },
      ...(withDeadTarget ? [{ job_name: "emulator", static_configs: [{ targets: [`127.0.0.1:${deadPort}`] }] }] : []),
    ];
    fs.writeFileSync(
      configFile,
      yaml.dump({
        global: { scrape_interval: "1s", evaluation_interval: "1s" },
        rule_files: [path.join(configDir, "rules.yml")],
        scrape_configs: jobs,
      }),
    );
  };

  beforeAll(async () => {
    configDir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-status-"));
    configFile = path.join(configDir, "prometheus.yml");
    fs.writeFileSync(
      path.join(configDir, "rules.yml"),
      yaml.dump({ groups: [{ name: "test", rules: [{ alert: "AlwaysFiring", expr: "vector(1)", labels: { severity: "info" } }] }] }),
    );
    pushgateway = await startPushgateway();
    deadPort = await freePort();
    prometheusPort = await freePort();
    writeConfig(true);
    prometheus = await startPrometheus({ configFile, port: prometheusPort });
    grafana = await grafanaStandIn();
  });

  afterAll(async () => {
    await stopAllServers();
    grafana?.close();
    fs.rmSync(configDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    fakes = new FakeTools();
    project = makeProject();
    const urls = {
      pushgateway: pushgateway.url,
      prometheus: prometheus.url,
      grafana: `http://127.0.0.1:${(grafana.address() as { port: number }).port}`,
      alertmanager: `http://127.0.0.1:${deadPort}`,
      emulator: `http://127.0.0.1:${deadPort}`,
    };
    fakes.on({ tool: "pulumi", args: ["stack", "output", "--json", "--stack", "t"], stdout: JSON.stringify(stackOutputs("t", urls)) });
  });
  afterEach(() => {
    fakes.remove();
    fs.rmSync(project, { recursive: true, force: true });
  });

  /** Polls until Prometheus has scraped every target once and evaluated the rule. */
  async function settled(targets: number): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const t = (await (await fetch(`${prometheus.url}/api/v1/targets`)).json()) as { data: { activeTargets: { health: string }[] } };
      const a = (await (await fetch(`${prometheus.url}/api/v1/alerts`)).json()) as { data: { alerts: { state: string }[] } };
      const scraped = t.data.activeTargets.filter((x) => x.health !== "unknown").length;
      if (t.data.activeTargets.length === targets && scraped === targets && a.data.alerts.some((x) => x.state === "firing")) return;
      await sleep(200);
    }
    throw new Error("Prometheus did not settle");
  }

  test("reports down services, a down target and firing alerts, and exits 1", async () => {
    await settled(3);
    fakes.on({ tool: "docker", args: ["container", "inspect"], stdout: inspectJson("t", { emulator: { state: "exited", health: null } }) });
    const run = await runOps(["status", "--stack", "t", "--json"], { fakes, cwd: project });
    expect(run.code).toBe(1);
    const status = JSON.parse(run.stdout) as StackStatus;
    const byService = Object.fromEntries(status.services.map((s) => [s.service, s]));
    expect(byService.prometheus).toMatchObject({ state: "running", dockerHealth: "healthy", healthy: true, http: { ok: true, status: 200 } });
    expect(byService.grafana.healthy).toBe(true);
    expect(byService.alertmanager).toMatchObject({ healthy: false, http: { ok: false, error: "connection refused" } });
    expect(byService.emulator).toMatchObject({ state: "exited", healthy: false });
    expect(status.prometheus.targets.map((t) => [t.job, t.health])).toEqual([
      ["emulator", "down"],
      ["prometheus", "up"],
      ["pushgateway", "up"],
    ]);
    expect(status.prometheus.firingAlerts).toEqual([expect.objectContaining({ name: "AlwaysFiring", labels: { severity: "info" } })]);
    expect(status.problems).toEqual([
      `alertmanager: http://127.0.0.1:${deadPort}/-/healthy: connection refused`,
      `emulator: container exited; http://127.0.0.1:${deadPort}/healthz: connection refused`,
      expect.stringMatching(new RegExp(`^scrape target emulator \\(http://127.0.0.1:${deadPort}/metrics\\) is down: .*connection refused`)),
    ]);
    expect(fakes.commandLines("docker")).toEqual([
      "container inspect promemu-t-pushgateway promemu-t-prometheus promemu-t-alertmanager promemu-t-grafana promemu-t-emulator",
    ]);
  });

  test("prints a readable report and exits 0 when everything is healthy", async () => {
    writeConfig(false);
    await fetch(`${prometheus.url}/-/reload`, { method: "POST" });
    await settled(2);
    // A stack without Alertmanager and emulator (both disabled).
    const urls = { pushgateway: pushgateway.url, prometheus: prometheus.url, grafana: `http://127.0.0.1:${(grafana.address() as { port: number }).port}` };
    const outputs = stackOutputs("t", urls) as { containers: Record<string, string> };
    delete outputs.containers.alertmanager;
    delete outputs.containers.emulator;
    fakes.remove();
    fakes = new FakeTools().on(
      { tool: "pulumi", args: ["stack", "output"], stdout: JSON.stringify(outputs) },
      { tool: "docker", args: ["container", "inspect"], stdout: inspectJson("t", {}, ["pushgateway", "prometheus", "grafana"]) },
    );
    const run = await runOps(["status", "--stack", "t"], { fakes, cwd: project });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/prometheus\s+promemu-t-prometheus\s+running\s+healthy\s+ok\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stdout).toMatch(/pushgateway\s+up\s+http:\/\/127\.0\.0\.1:\d+\/metrics/);
    expect(run.stdout).toContain('AlwaysFiring {severity="info"} since');
    expect(run.stdout).toContain("All services healthy.");
  });

  test("a stack with nothing deployed, and Docker not running, are explained", async () => {
    fakes.remove();
    fakes = new FakeTools().on({ tool: "pulumi", args: ["stack", "output"], stdout: "{}\n" });
    const empty = await runOps(["status", "--stack", "t"], { fakes, cwd: project });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toBe("error: stack t is not deployed (it has no outputs): bring it up with npm run up -- --stack t\n");

    fakes.remove();
    fakes = new FakeTools().on(
      { tool: "pulumi", args: ["stack", "output"], stdout: JSON.stringify(stackOutputs("t", { pushgateway: pushgateway.url, prometheus: prometheus.url, grafana: prometheus.url })) },
      { tool: "docker", args: ["container", "inspect"], stdout: "[]\n", exit: 1, stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n" },
    );
    const down = await runOps(["status", "--stack", "t", "--json"], { fakes, cwd: project });
    expect(down.code).toBe(1);
    expect(down.stdout).toBe("");
    expect(down.stderr).toBe("error: Docker is not running: start it (Docker Desktop, or `sudo systemctl start docker`) and try again\n");
  });
});

describe("ops status without servers", () => {
  const sb = useSandbox();
  const DEAD = { pushgateway: "http://127.0.0.1:1", prometheus: "http://127.0.0.1:1", alertmanager: "http://127.0.0.1:1", grafana: "http://127.0.0.1:1" };

  test("ports published beyond loopback get a loud warning naming what is reachable; loopback ones do not", async () => {
    sb.fakes.on(
      { tool: "pulumi", args: ["stack", "output"], stdout: JSON.stringify(stackOutputs("t", DEAD)) },
      { tool: "docker", args: ["container", "inspect"], stdout: inspectJson("t", {}, undefined, { bindAddress: "0.0.0.0" }) },
    );
    const run = await runOps(["status", "--stack", "t"], sb);
    expect(run.code).toBe(1);
    const warning = run.stdout.split("\n").find((l) => l.startsWith("WARNING: "))!;
    expect(warning).toContain("bindAddress is 0.0.0.0, not loopback");
    for (const reachable of ["Grafana (port 3000): every dashboard without a login", "the Pushgateway (port 9091): anyone can push", "Alertmanager (port 9093)", "silences", "the emulator (port 9464)"]) {
      expect(warning).toContain(reachable);
    }
    const json = await runOps(["status", "--stack", "t", "--json"], sb);
    expect((JSON.parse(json.stdout) as StackStatus).exposure).toBe(warning.slice("WARNING: ".length));
    expect(json.stderr).toContain(warning);

    sb.fakes.remove();
    sb.fakes = new FakeTools().on(
      { tool: "pulumi", args: ["stack", "output"], stdout: JSON.stringify(stackOutputs("t", DEAD)) },
      { tool: "docker", args: ["container", "inspect"], stdout: inspectJson("t") },
    );
    const loopback = await runOps(["status", "--stack", "t", "--json"], sb);
    expect((JSON.parse(loopback.stdout) as StackStatus).exposure).toBeUndefined();
    expect(loopback.stderr).not.toContain("WARNING");
  });

  test("a stack without Grafana: status lists the services it runs", async () => {
    const services = ["pushgateway", "prometheus", "alertmanager", "emulator"];
    const { grafana: _none, ...urls } = DEAD;
    sb.fakes.on(
      { tool: "pulumi", args: ["stack", "output"], stdout: JSON.stringify(stackOutputs("t", urls, { services })) },
      { tool: "docker", args: ["container", "inspect"], stdout: inspectJson("t", {}, services) },
    );
    const run = await runOps(["status", "--stack", "t", "--json"], sb);
    expect(run.stderr).toBe("");
    expect((JSON.parse(run.stdout) as StackStatus).services.map((s) => s.service)).toEqual(services);
    expect(sb.fakes.commandLines("docker")).toEqual(["container inspect promemu-t-pushgateway promemu-t-prometheus promemu-t-alertmanager promemu-t-emulator"]);
  });
});
