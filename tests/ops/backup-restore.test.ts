/**
 * backup and restore end to end on the real servers: the fake docker's `pause` really freezes the server
 * processes (SIGSTOP, SIGCONT on unpause), runs the helper containers' tar on host directories standing in
 * for the volumes, and after a restore a fresh Prometheus (replaying the copied write-ahead log) and
 * Pushgateway read the data back.
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
import { DATA_PATHS, imageId, imageInspectJson, imageRef, inspectJson, makeProject, runOps, stackOutputs } from "./support/harness";

const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");
const BACKUP = "backups/src/2025-01-31T120501Z";

describeWith(["prometheus", "pushgateway", "alertmanager"])("ops backup and restore against real servers", () => {
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

  /**
   * The fake docker of a stack: inspect, pause/unpause (freezing the real server processes of stack src),
   * stop/start, and run on the host directories. Stack src exports its image references; dst does not,
   * so its images are named by `docker image inspect`, as for stacks deployed before that output.
   */
  function dockerRules(stack: string, states: Parameters<typeof inspectJson>[1] = {}): FakeRule[] {
    const servers = stack === "src" ? { pushgateway, prometheus, alertmanager } : {};
    const freeze = Object.entries(servers).flatMap(([service, server]): FakeRule[] => [
      { tool: "docker", args: ["pause", `promemu-${stack}-${service}`], signal: { pid: server.process.pid!, name: "SIGSTOP" } },
      { tool: "docker", args: ["unpause", `promemu-${stack}-${service}`], signal: { pid: server.process.pid!, name: "SIGCONT" } },
    ]);
    return [
      { tool: "pulumi", args: ["stack", "output", "--json", "--stack", stack], stdout: JSON.stringify(stackOutputs(stack, urls(), { images: stack === "src" })) },
      { tool: "docker", args: ["container", "inspect"], stdout: inspectJson(stack, states, Object.keys(DATA_PATHS)) },
      { tool: "docker", args: ["image", "inspect"], stdout: imageInspectJson() },
      ...freeze,
      { tool: "docker", args: ["pause"] },
      { tool: "docker", args: ["unpause"] },
      { tool: "docker", args: ["stop"] },
      { tool: "docker", args: ["start"] },
      { tool: "docker", args: ["run"], volumes },
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

  test("backup: every volume copied while its container is paused, a manifest with image references and ids, versions, sizes and checksums", async () => {
    fakes.on(...dockerRules("src"));
    const run = await runOps(["backup", "--stack", "src"], { fakes, cwd: project });
    expect(run.stderr).toContain("[1/5] pushgateway: pause, copy, resume (volume promemu-src-pushgateway-data)");
    expect(run.stderr).toContain("[2/5] prometheus: pause, copy, resume (volume promemu-src-prometheus-data)");
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
      ["prometheus", promVersion, "paused-copy", "promemu-src-prometheus-data", "/prometheus"],
      ["alertmanager", amVersion, "paused-copy", "promemu-src-alertmanager-data", "/alertmanager"],
      ["grafana", "12.1.0", "paused-copy", "promemu-src-grafana-data", "/var/lib/grafana"],
    ]);
    // Docker shows the containers' image as an id; the manifest names it for people too (from the stack's images output).
    expect(manifest.services.map((s) => [s.image, s.imageId])).toEqual(Object.keys(DATA_PATHS).map((s) => [imageRef(s), imageId(s)]));
    for (const entry of manifest.services) {
      const file = path.join(dir, entry.archive);
      expect([entry.archive, entry.bytes, entry.sha256]).toEqual([`${entry.service}.tar`, fs.statSync(file).size, sha256(file)]);
    }

    // The Prometheus archive is its whole data directory: blocks and the write-ahead log it replays on start.
    const listing = spawnSync("tar", ["-tf", path.join(dir, "prometheus.tar")], { encoding: "utf8" }).stdout;
    expect(listing).toMatch(/^\.\/wal\/\d+$/m);
    expect(listing).not.toMatch(/snapshots\//);

    const helper = (s: string) => `run --rm --name promemu-src-${s}-backup --network none ${s === "grafana" ? "--user 472:0 " : ""}-v promemu-src-${s}-data:${DATA_PATHS[s]}:ro --entrypoint tar ${imageId(s)} -C ${DATA_PATHS[s]} -cf - .`;
    expect(fakes.commandLines("docker")).toEqual([
      "container inspect promemu-src-pushgateway promemu-src-prometheus promemu-src-alertmanager promemu-src-grafana",
      ...Object.keys(DATA_PATHS).flatMap((s) => [`pause promemu-src-${s}`, helper(s), `unpause promemu-src-${s}`]),
    ]);
    // Every server runs again (a frozen one would not answer).
    for (const server of [prometheus, pushgateway, alertmanager]) expect((await fetch(`${server.url}/-/healthy`)).status).toBe(200);
  });

  test("a backup that fails half-way unpauses the container and removes the incomplete backup", async () => {
    fakes.on(
      { tool: "docker", args: ["run", "--rm", "--name", "promemu-src-prometheus-backup"], exit: 1, stderr: "tar: ./wal/00000002: Input/output error\n" },
      ...dockerRules("src"),
    );
    const run = await runOps(["backup", "--stack", "src", "--output", "failed"], { fakes, cwd: project });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("tar: ./wal/00000002: Input/output error");
    expect(run.stderr).toContain("the incomplete backup failed/src/2025-01-31T120501Z was removed");
    expect(fs.readdirSync(path.join(project, "failed", "src"))).toEqual([]);
    expect(fakes.commandLines("docker").filter((l) => /^(un)?pause/.test(l))).toEqual([
      "pause promemu-src-pushgateway",
      "unpause promemu-src-pushgateway",
      "pause promemu-src-prometheus",
      "unpause promemu-src-prometheus",
    ]);
    expect((await fetch(`${prometheus.url}/-/healthy`)).status).toBe(200);
  });

  test("a backup directory that cannot be created is named plainly, with the option it came from", async () => {
    fakes.on(...dockerRules("src"));
    const file = path.join(project, "a-file");
    fs.writeFileSync(file, "");
    const run = await runOps(["backup", "--stack", "src", "--output", `${file}/x`], { fakes, cwd: project });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `error: cannot create the directory ${file}/x/src/2025-01-31T120501Z: a part of the path is a file, not a directory (ENOTDIR) (from --output ${file}/x): choose a directory you can write to\n`,
    );
    expect(fakes.commandLines("docker").filter((l) => !/^(container|image) inspect/.test(l))).toEqual([]);
  });

  test("restore refuses a damaged backup before touching anything, and asks before replacing data", async () => {
    const damaged = path.join(project, "backups/damaged");
    fs.cpSync(path.join(project, BACKUP), damaged, { recursive: true });
    fs.appendFileSync(path.join(damaged, "grafana.tar"), "x");
    fakes.on(...dockerRules("dst"));
    const run = await runOps(["restore", "backups/damaged", "--stack", "dst", "--yes"], { fakes, cwd: project });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: backup .*damaged is damaged, nothing was restored:\n {2}- grafana\.tar has \d+ bytes, the manifest says \d+\n/);
    expect(fakes.commandLines("docker")).toEqual([
      "container inspect promemu-dst-pushgateway promemu-dst-prometheus promemu-dst-alertmanager promemu-dst-grafana",
      `image inspect ${Object.keys(DATA_PATHS).map(imageId).join(" ")}`,
    ]);

    const scripted = await runOps(["restore", BACKUP, "--stack", "dst"], { fakes, cwd: project });
    expect(scripted.code).toBe(2);
    expect(scripted.stderr).toContain(
      `error: Restoring ${BACKUP} (backed up from stack src) REPLACES the current data of pushgateway, prometheus, alertmanager, grafana in stack dst. Nothing was changed: pass --yes`,
    );

    const cancelled = await runOps(["restore", BACKUP, "--stack", "dst"], { fakes, cwd: project, interactive: true, answers: ["no"] });
    expect(cancelled.questions).toEqual(["Type the stack name (dst) to continue, anything else cancels: "]);
    expect(cancelled.code).toBe(1);
    expect(cancelled.stderr).toContain("error: cancelled: nothing was changed");
    expect(fakes.commandLines("docker").filter((l) => !/^(container|image) inspect/.test(l))).toEqual([]);
  });

  test("restore into another stack: stop, replace each volume, start, wait for health; the servers read the data back", async () => {
    fakes.on(...dockerRules("dst"));
    const run = await runOps(["restore", BACKUP, "--stack", "dst"], { fakes, cwd: project, interactive: true, answers: ["dst"] });
    expect(run.stderr).toContain("[1/7] verifying 4 archives against the manifest");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Restored 4 volumes of stack dst from ${BACKUP}; the services are healthy.`);

    const docker = fakes.calls("docker").filter((c) => !["container", "image"].includes(c.args[0]));
    const restoreRun = (s: string) =>
      `run --rm --name promemu-dst-${s}-restore -i --network none ${s === "grafana" ? "--user 472:0 " : ""}-v promemu-dst-${s}-data:${DATA_PATHS[s]} --entrypoint sh ${imageId(s)} -c find "$1" -mindepth 1 -maxdepth 1 -exec rm -rf {} + && tar -xf - -C "$1" restore ${DATA_PATHS[s]}`;
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

  test("restore compares image ids and shows people the image references", async () => {
    const other = path.join(project, "backups/other-image");
    fs.cpSync(path.join(project, BACKUP), other, { recursive: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(other, "manifest.json"), "utf8")) as Manifest;
    // Same tag, another image (the tag moved), and another tag altogether.
    manifest.services[0].imageId = `sha256:${"1".repeat(64)}`;
    Object.assign(manifest.services[1], { image: "prom/prometheus:v3.4.0", imageId: `sha256:${"2".repeat(64)}` });
    fs.writeFileSync(path.join(other, "manifest.json"), JSON.stringify(manifest));
    fakes.on(...dockerRules("dst"));
    const run = await runOps(["restore", "backups/other-image", "--stack", "dst", "--yes"], { fakes, cwd: project });
    expect(run.code).toBe(0);
    expect(run.stderr.split("\n").filter((l) => l.startsWith("warning:"))).toEqual([
      `warning: pushgateway was backed up from prom/pushgateway:test (sha256:111111111111…) and is restored into prom/pushgateway:test (${imageId("pushgateway").slice(0, 19)}…)`,
      `warning: prometheus was backed up from prom/prometheus:v3.4.0 (sha256:222222222222…) and is restored into prom/prometheus:test (${imageId("prometheus").slice(0, 19)}…)`,
    ]);
  });

  test("a stack without Grafana: backup copies the other volumes, restore skips Grafana's archive", async () => {
    const services = ["pushgateway", "prometheus", "alertmanager", "emulator"];
    const { grafana: _none, ...otherUrls } = urls();
    const withoutGrafana = (stack: string): FakeRule[] => [
      { tool: "pulumi", args: ["stack", "output"], stdout: JSON.stringify(stackOutputs(stack, otherUrls, { services })) },
      { tool: "docker", args: ["container", "inspect"], stdout: inspectJson(stack, {}, services) },
      ...dockerRules(stack).filter((r) => !(r.args[0] === "container" || r.args[1] === "output")),
    ];
    fakes.on(...withoutGrafana("src"));
    const backup = await runOps(["backup", "--stack", "src", "--output", "no-grafana"], { fakes, cwd: project });
    expect(backup.code).toBe(0);
    expect(backup.stdout).toContain("(3 volumes");
    expect(fakes.commandLines("docker").some((l) => l.includes("grafana"))).toBe(false);

    fakes.remove();
    fakes = new FakeTools().on(...withoutGrafana("dst"));
    const restore = await runOps(["restore", BACKUP, "--stack", "dst", "--yes"], { fakes, cwd: project });
    expect(restore.code).toBe(0);
    expect(restore.stderr).toContain("warning: stack dst has no grafana: its archive is skipped");
    expect(restore.stdout).toContain("Restored 3 volumes of stack dst");
  });

  test("restore fails with the services still unhealthy after --timeout, naming them", async () => {
    fakes.on(...dockerRules("dst", { grafana: { health: "starting" } }));
    const run = await runOps(["restore", BACKUP, "--stack", "dst", "--yes", "--timeout", "0.3"], { fakes, cwd: project });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: the services did not become healthy within 0.3 s: grafana (starting); see npm run logs -- <service> --stack dst");
  });
});
