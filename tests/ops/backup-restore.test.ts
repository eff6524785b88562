/**
 * backup and restore end to end on the real servers: Prometheus writes a TSDB snapshot through its admin
 * API, the fake docker runs the helper containers' tar on host directories standing in for the volumes,
 * and after a restore a fresh Prometheus and Pushgateway read the data back.
 */
import { createHash } from "crypto";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import type { Manifest } from "../../ops/backup-manifest";
import {
  describeWith,
  RunningServer,
  sleep,
  startAlertmanager,
  startPrometheus,
  startPrometheusOnData,
  startPushgateway,
  stopAllServers,
  waitForUrl,
} from "../support/servers";
import { FakeRule, FakeTools } from "./support/fake-tools";
import { DATA_PATHS, inspectJson, makeProject, runOps, stackOutputs } from "./support/harness";

const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");
const BACKUP = "backups/src/2025-01-31T120501Z";

describeWith(["prometheus", "prometheus-pushgateway", "prometheus-alertmanager"])("ops backup and restore against real servers", () => {
  let work: string;
  let prometheus: RunningServer;
  let pushgateway: RunningServer;
  let alertmanager: RunningServer;
  let grafana: http.Server;
  let grafanaUrl: string;
  /** Host directories standing in for each stack's volumes. */
  const volumes: Record<string, string> = {};
  let project: string;
  let fakes: FakeTools;

  const urls = () => ({
    pushgateway: pushgateway.url,
    prometheus: prometheus.url,
    alertmanager: alertmanager.url,
    grafana: grafanaUrl,
    emulator: "http://127.0.0.1:1",
  });

  /** The fake docker of a stack: inspect, pause/stop/start, and run/exec on the host directories. */
  function dockerRules(stack: string, states: Parameters<typeof inspectJson>[1] = {}): FakeRule[] {
    return [
      { tool: "pulumi", args: ["stack", "output", "--json", "--stack", stack], stdout: JSON.stringify(stackOutputs(stack, urls())) },
      { tool: "docker", args: ["container", "inspect"], stdout: inspectJson(stack, states, Object.keys(DATA_PATHS)) },
      { tool: "docker", args: ["pause"] },
      { tool: "docker", args: ["unpause"] },
      { tool: "docker", args: ["stop"] },
      { tool: "docker", args: ["start"] },
      { tool: "docker", args: ["run"], volumes },
      { tool: "docker", args: ["exec"], mounts: { [`promemu-${stack}-prometheus`]: { "/prometheus": volumes[`promemu-${stack}-prometheus-data`] } } },
    ];
  }

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-backup-"));
    const promConfig = path.join(work, "prometheus.yml");
    fs.mkdirSync(path.join(work, "pg-src"));
    pushgateway = await startPushgateway({ persistenceFile: path.join(work, "pg-src", "pushgateway.db") });
    const amConfig = path.join(work, "alertmanager.yml");
    fs.writeFileSync(amConfig, yaml.dump({ route: { receiver: "null" }, receivers: [{ name: "null" }] }));
    alertmanager = await startAlertmanager({ configFile: amConfig, args: ["--data.maintenance-interval=1s"] });
    fs.writeFileSync(promConfig, yaml.dump({ global: { scrape_interval: "1s" }, scrape_configs: [{ job_name: "pushgateway", honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${pushgateway.port}`] }] }] }));
    prometheus = await startPrometheus({ configFile: promConfig });
    grafana = http.createServer((req, res) => {
      if (req.url === "/api/health") res.writeHead(200).end('{"database":"ok","version":"12.1.0"}');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => grafana.listen(0, "127.0.0.1", resolve));
    grafanaUrl = `http://127.0.0.1:${(grafana.address() as { port: number }).port}`;

    // Data worth keeping in each service.
    await fetch(`${pushgateway.url}/metrics/job/backup`, { method: "PUT", body: "backup_marker 42\n" });
    const silence = {
      matchers: [{ name: "alertname", value: "HighCPUUsage", isRegex: false }],
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 86400e3).toISOString(),
      createdBy: "test",
      comment: "backup-test-silence",
    };
    const created = await fetch(`${alertmanager.url}/api/v2/silences`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(silence) });
    expect(created.status).toBe(200);
    fs.mkdirSync(path.join(work, "grafana-src"));
    fs.writeFileSync(path.join(work, "grafana-src", "grafana.db"), "SQLite format 3\0 stand-in");

    Object.assign(volumes, {
      "promemu-src-prometheus-data": prometheus.dataDir,
      "promemu-src-pushgateway-data": path.join(work, "pg-src"),
      "promemu-src-alertmanager-data": alertmanager.dataDir,
      "promemu-src-grafana-data": path.join(work, "grafana-src"),
    });
    for (const service of Object.keys(DATA_PATHS)) {
      const dir = path.join(work, `${service}-dst`);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, "stale-file"), "must be gone after the restore");
      volumes[`promemu-dst-${service}-data`] = dir;
    }
    // Let Prometheus scrape a few times and the Pushgateway and Alertmanager write their files.
    for (let i = 0; i < 100; i++) {
      const persisted = fs.existsSync(path.join(work, "pg-src", "pushgateway.db")) && fs.existsSync(path.join(alertmanager.dataDir, "silences"));
      const q = (await (await fetch(`${prometheus.url}/api/v1/query?query=count_over_time(backup_marker[1m])`)).json()) as { data: { result: { value: [number, string] }[] } };
      if (persisted && Number(q.data.result[0]?.value[1] ?? 0) >= 3) break;
      await sleep(200);
    }
    project = makeProject();
  });

  afterAll(async () => {
    await stopAllServers();
    grafana?.close();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(project, { recursive: true, force: true });
  });

  beforeEach(() => {
    fakes = new FakeTools();
  });
  afterEach(() => fakes.remove());

  test("a backup of a stack that is not running says so and writes nothing", async () => {
    fakes.on(...dockerRules("src", { prometheus: { state: "exited", health: null } }));
    const run = await runOps(["backup", "--stack", "src"], { fakes, cwd: project });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("error: stack src is not running (prometheus: exited): start it with npm run up -- --stack src and try again\n");
    expect(fs.existsSync(path.join(project, "backups"))).toBe(false);
    expect(fakes.commandLines("docker").filter((l) => !l.startsWith("container inspect"))).toEqual([]);
  });

  test("backup: Prometheus through a TSDB snapshot, the others paused while copied, a manifest with versions, sizes and checksums", async () => {
    fakes.on(...dockerRules("src"));
    const run = await runOps(["backup", "--stack", "src"], { fakes, cwd: project });
    expect(run.stderr).toContain("[1/5] pushgateway: pause, copy, resume (volume promemu-src-pushgateway-data)");
    expect(run.stderr).toContain("[2/5] prometheus: TSDB snapshot, then copy");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Backup of stack src written to ${BACKUP} (4 volumes`);

    const dir = path.join(project, BACKUP);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest;
    const promVersion = ((await (await fetch(`${prometheus.url}/api/v1/status/buildinfo`)).json()) as { data: { version: string } }).data.version;
    const pgVersion = ((await (await fetch(`${pushgateway.url}/api/v1/status`)).json()) as { data: { build_information: { version: string } } }).data.build_information.version;
    const amVersion = ((await (await fetch(`${alertmanager.url}/api/v2/status`)).json()) as { versionInfo: { version: string } }).versionInfo.version;
    expect(manifest).toMatchObject({ format: "promemu-backup/1", project: "promemu", stack: "src", createdAt: "2025-01-31T12:05:01.250Z" });
    expect(manifest.services.map((s) => [s.service, s.version, s.method, s.volume, s.dataPath])).toEqual([
      ["pushgateway", pgVersion, "paused-copy", "promemu-src-pushgateway-data", "/data"],
      ["prometheus", promVersion, "tsdb-snapshot", "promemu-src-prometheus-data", "/prometheus"],
      ["alertmanager", amVersion, "paused-copy", "promemu-src-alertmanager-data", "/alertmanager"],
      ["grafana", "12.1.0", "paused-copy", "promemu-src-grafana-data", "/var/lib/grafana"],
    ]);
    for (const entry of manifest.services) {
      const file = path.join(dir, entry.archive);
      expect([entry.archive, entry.bytes, entry.sha256]).toEqual([`${entry.service}.tar`, fs.statSync(file).size, sha256(file)]);
    }

    // The Prometheus archive is the snapshot: whole blocks, no WAL; the snapshot itself is removed afterwards.
    const listing = spawnSync("tar", ["-tf", path.join(dir, "prometheus.tar")], { encoding: "utf8" }).stdout;
    expect(listing).toMatch(/^\.\/[0-9A-Z]{26}\/meta\.json$/m);
    expect(listing).not.toMatch(/wal\//);
    expect(fs.readdirSync(path.join(prometheus.dataDir, "snapshots"))).toEqual([]);

    const docker = fakes.commandLines("docker");
    const image = (s: string) => `sha256:${s.padEnd(64, "0").slice(0, 64)}`;
    const snapshotRun = docker.find((l) => l.includes("/prometheus/snapshots/"))!;
    const snapshot = /\/prometheus\/snapshots\/(\S+)/.exec(snapshotRun)![1];
    expect(docker).toEqual([
      "container inspect promemu-src-pushgateway promemu-src-prometheus promemu-src-alertmanager promemu-src-grafana",
      "pause promemu-src-pushgateway",
      `run --rm --network none -v promemu-src-pushgateway-data:/data:ro --entrypoint tar ${image("pushgateway")} -C /data -cf - .`,
      "unpause promemu-src-pushgateway",
      `run --rm --network none -v promemu-src-prometheus-data:/prometheus:ro --entrypoint tar ${image("prometheus")} -C /prometheus/snapshots/${snapshot} -cf - .`,
      `exec promemu-src-prometheus rm -rf /prometheus/snapshots/${snapshot}`,
      "pause promemu-src-alertmanager",
      `run --rm --network none -v promemu-src-alertmanager-data:/alertmanager:ro --entrypoint tar ${image("alertmanager")} -C /alertmanager -cf - .`,
      "unpause promemu-src-alertmanager",
      "pause promemu-src-grafana",
      `run --rm --network none --user 472:0 -v promemu-src-grafana-data:/var/lib/grafana:ro --entrypoint tar ${image("grafana")} -C /var/lib/grafana -cf - .`,
      "unpause promemu-src-grafana",
    ]);
  });

  test("restore refuses a damaged backup before touching anything, and asks before replacing data", async () => {
    const damaged = path.join(project, "backups/damaged");
    fs.cpSync(path.join(project, BACKUP), damaged, { recursive: true });
    fs.appendFileSync(path.join(damaged, "grafana.tar"), "x");
    fakes.on(...dockerRules("dst"));
    const run = await runOps(["restore", "backups/damaged", "--stack", "dst", "--yes"], { fakes, cwd: project });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: backup .*damaged is damaged, nothing was restored:\n {2}- grafana\.tar has \d+ bytes, the manifest says \d+\n/);
    expect(fakes.commandLines("docker")).toEqual(["container inspect promemu-dst-pushgateway promemu-dst-prometheus promemu-dst-alertmanager promemu-dst-grafana"]);

    const scripted = await runOps(["restore", BACKUP, "--stack", "dst"], { fakes, cwd: project });
    expect(scripted.code).toBe(2);
    expect(scripted.stderr).toContain(
      `error: Restoring ${BACKUP} (backed up from stack src) REPLACES the current data of pushgateway, prometheus, alertmanager, grafana in stack dst. Nothing was changed: pass --yes`,
    );

    const cancelled = await runOps(["restore", BACKUP, "--stack", "dst"], { fakes, cwd: project, interactive: true, answers: ["no"] });
    expect(cancelled.questions).toEqual(["Type the stack name (dst) to continue, anything else cancels: "]);
    expect(cancelled.code).toBe(1);
    expect(cancelled.stderr).toContain("error: cancelled: nothing was changed");
    expect(fakes.commandLines("docker").filter((l) => !l.startsWith("container inspect"))).toEqual([]);
  });

  test("restore into another stack: stop, replace each volume, start, wait for health; the servers read the data back", async () => {
    fakes.on(...dockerRules("dst"));
    const run = await runOps(["restore", BACKUP, "--stack", "dst"], { fakes, cwd: project, interactive: true, answers: ["dst"] });
    expect(run.stderr).toContain("[1/7] verifying 4 archives against the manifest");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Restored 4 volumes of stack dst from ${BACKUP}; the services are healthy.`);

    const docker = fakes.calls("docker").filter((c) => c.args[0] !== "container");
    const restoreRun = (s: string) =>
      `run --rm -i --network none ${s === "grafana" ? "--user 472:0 " : ""}-v promemu-dst-${s}-data:${DATA_PATHS[s]} --entrypoint sh sha256:${s.padEnd(64, "0").slice(0, 64)} -c find "$1" -mindepth 1 -delete && tar -xf - -C "$1" restore ${DATA_PATHS[s]}`;
    expect(docker.map((c) => c.args.join(" "))).toEqual([
      "stop promemu-dst-pushgateway promemu-dst-prometheus promemu-dst-alertmanager promemu-dst-grafana",
      restoreRun("pushgateway"),
      restoreRun("prometheus"),
      restoreRun("alertmanager"),
      restoreRun("grafana"),
      "start promemu-dst-pushgateway promemu-dst-prometheus promemu-dst-alertmanager promemu-dst-grafana",
    ]);
    // Each helper got its archive, byte for byte, on standard input.
    const archives = ["pushgateway", "prometheus", "alertmanager", "grafana"].map((s) => fs.readFileSync(path.join(project, BACKUP, `${s}.tar`)));
    expect(docker.filter((c) => c.stdin).map((c) => fs.readFileSync(c.stdin!))).toEqual(archives);

    for (const service of Object.keys(DATA_PATHS)) expect(fs.existsSync(path.join(work, `${service}-dst`, "stale-file"))).toBe(false);
    expect(fs.readFileSync(path.join(work, "grafana-dst", "grafana.db"), "utf8")).toBe("SQLite format 3\0 stand-in");
    expect(fs.readFileSync(path.join(work, "alertmanager-dst", "silences")).includes("backup-test-silence")).toBe(true);

    // A Prometheus on the restored directory has the samples scraped before the backup.
    const emptyConfig = path.join(work, "empty.yml");
    fs.writeFileSync(emptyConfig, yaml.dump({ global: { scrape_interval: "1m" } }));
    const restored = await startPrometheusOnData({ configFile: emptyConfig, storagePath: path.join(work, "prometheus-dst") });
    const answer = (await (await fetch(`${restored.url}/api/v1/query?query=count_over_time(backup_marker[1h])`)).json()) as { data: { result: { value: [number, string] }[] } };
    expect(Number(answer.data.result[0]?.value[1])).toBeGreaterThanOrEqual(3);

    // A Pushgateway on the restored persistence file serves the pushed group.
    const pg = await startPushgateway({ persistenceFile: path.join(work, "pushgateway-dst", "pushgateway.db") });
    await waitForUrl(`${pg.url}/metrics`);
    expect(await (await fetch(`${pg.url}/metrics`)).text()).toMatch(/^backup_marker\{instance="",job="backup"\} 42$/m);
  });

  test("restore fails with the services still unhealthy after --timeout, naming them", async () => {
    fakes.on(...dockerRules("dst", { grafana: { health: "starting" } }));
    const run = await runOps(["restore", BACKUP, "--stack", "dst", "--yes", "--timeout", "0.3"], { fakes, cwd: project });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: the services did not become healthy within 0.3 s: grafana (starting); see npm run logs -- <service> --stack dst");
  });
});
