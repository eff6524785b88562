/**
 * The emulator against the pinned Pushgateway, started on a free loopback port: labels, TTL
 * expiry, other people's groups, an outage and recovery on the same port, a refused body, and the
 * CLI process stopped by SIGTERM. Push intervals of 200 ms keep it fast.
 */
import { type ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Runner } from "../../emulator/src/runner";
import { parseScenario, loadScenario } from "../../emulator/src/scenario/loader";
import { shardOf } from "../../emulator/src/sinks/grouping";
import { Telemetry } from "../../emulator/src/telemetry";
import { Random } from "../../emulator/src/util/random";
import { type RunningServer, describeWith, eventually, freePort, startPushgateway, stopAllServers, waitForUrl } from "../support/servers";
import { EMULATOR_BIN, tempFile } from "./helpers";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample the Pushgateway exposes (its own push_time_seconds and process metrics included). */
async function scrape(pushgateway: RunningServer): Promise<Sample[]> {
  const text = await (await fetch(`${pushgateway.url}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const brace = line.indexOf("{");
      const end = line.lastIndexOf("}");
      const labels = Object.fromEntries([...line.slice(brace + 1, end).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
      return { name: brace < 0 ? line.split(" ")[0] : line.slice(0, brace), labels, value: Number(line.slice(line.lastIndexOf(" ") + 1)) };
    });
}

/** Emulated samples of one owner (not the Pushgateway's per-group bookkeeping). */
async function ours(pushgateway: RunningServer, owner: string): Promise<Sample[]> {
  return (await scrape(pushgateway)).filter((s) => s.labels.promemu_owner === owner && !s.name.startsWith("push_"));
}

/** Polls until `accept` holds (through the shared `eventually`); a failure shows the last value seen. */
async function until<T>(probe: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  let last: T | undefined;
  return eventually(
    async () => {
      last = await probe();
      return accept(last) ? last : undefined;
    },
    timeoutMs,
    () => `${what}; last: ${JSON.stringify(last).slice(0, 500)}`,
    100,
  );
}

async function putGroup(pushgateway: RunningServer, groupPath: string, body: string): Promise<void> {
  const response = await fetch(`${pushgateway.url}/metrics/${groupPath}`, { method: "PUT", body });
  expect(response.status).toBe(200);
}


function runner(pushgateway: RunningServer, yaml: string | undefined, owner: string, extra: { speed?: number; shards?: number } = {}) {
  const logs: string[] = [];
  const scenario = yaml === undefined ? loadScenario("default").scenario : parseScenario(yaml, "test.yaml", "test").scenario;
  const telemetry = new Telemetry({ processMetrics: false });
  const instance = new Runner({
    scenario,
    seed: 5,
    speed: extra.speed ?? 1,
    pushIntervalMs: 200,
    pushgateway: { url: pushgateway.url, job: "promemu", owner, timeoutMs: 2_000, shards: extra.shards ?? 2 },
    telemetry,
    log: (line) => logs.push(line),
    random: ((r) => () => r.next())(new Random(3)),
  });
  return { runner: instance, logs, telemetry };
}

describeWith(["pushgateway"])("the emulator on a real Pushgateway", () => {
  let pushgateway: RunningServer;
  const runners: Runner[] = [];

  beforeAll(async () => {
    pushgateway = await startPushgateway();
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
  });
  afterAll(stopAllServers);

  it("pushes the default scenario's series with their labels, grouped by job, owner mark and shard", async () => {
    const { runner: r } = runner(pushgateway, undefined, "labels");
    runners.push(r);
    r.start();
    const samples = await until(() => ours(pushgateway, "labels"), (s) => s.length === 104, "104 series");
    const cpu = samples.find((s) => s.name === "cpu_usage_percent" && s.labels.host === "worker-01")!;
    expect(cpu.labels).toEqual({
      address: "10.0.1.1",
      environment: "sandbox",
      host: "worker-01",
      instance: "",
      job: "promemu",
      promemu_owner: "labels",
      promemu_shard: String(shardOf("worker-01", 2)),
      role: "worker",
    });
    expect(new Set(samples.filter((s) => s.name === "cpu_usage_percent").map((s) => s.labels.host))).toEqual(
      new Set(["balancer-01", "worker-01", "worker-02", "worker-03", "worker-04", "db-01"]),
    );
    const text = await (await fetch(`${pushgateway.url}/metrics`)).text();
    expect(text).toContain("# TYPE network_receive_bytes_total counter");
    expect(text).toContain("# TYPE http_request_duration_seconds histogram");
    expect(r.status()).toMatchObject({ hostsActive: 6, hostsTotal: 6, series: 104, pushesFailed: 0, pushgateway: "ok" });
  });

  it("removes a host's series within a push interval of its TTL's end", async () => {
    // 10x speed: the short-lived host's 3 s of scenario time end 300 ms after the start.
    const { runner: r } = runner(pushgateway, `hosts: [{name: brief, role: r, ttl: 3s, metrics: {x: 1}}, {name: steady, role: r, metrics: {x: 2}}]`, "ttl", { speed: 10 });
    runners.push(r);
    r.start();
    const hosts = async () => (await ours(pushgateway, "ttl")).map((s) => s.labels.host).sort();
    await until(hosts, (h) => h.length === 2, "both hosts", 2_000).catch(() => undefined);
    const expired = Date.now();
    await until(hosts, (h) => h.join() === "steady", "the brief host gone");
    // Gone within one push interval (200 ms) of its TTL, give or take a scrape of the test.
    expect(Date.now() - expired).toBeLessThan(1_500);
  });

  it("deletes only its own stale groups on start, and leaves everyone else's on start and stop", async () => {
    await putGroup(pushgateway, "job/batch/instance/nightly", "# TYPE batch_last_success gauge\nbatch_last_success 1\n");
    await putGroup(pushgateway, "job/promemu/promemu_owner/someone-else/promemu_shard/0", "# TYPE other_gauge gauge\nother_gauge 3\n");
    await putGroup(pushgateway, "job/promemu/promemu_owner/mine/promemu_shard/7", "# TYPE leftover gauge\nleftover 1\n");
    const { runner: r, logs } = runner(pushgateway, `hosts: [{name: a, role: r, metrics: {x: 1}}]`, "mine", { shards: 1 });
    r.start();
    await until(() => ours(pushgateway, "mine"), (s) => s.length === 1 && s[0].name === "x", "our series alone under our mark");
    expect(logs).toContain("removed 1 stale group(s) of an earlier run marked mine");
    const names = async () => new Set((await scrape(pushgateway)).map((s) => s.name));
    expect(await names()).toEqual(expect.objectContaining({}));
    expect([...(await names())]).toEqual(expect.arrayContaining(["batch_last_success", "other_gauge"]));
    await r.stop();
    expect(await ours(pushgateway, "mine")).toEqual([]);
    expect([...(await names())]).toEqual(expect.arrayContaining(["batch_last_success", "other_gauge"]));
    expect(logs).toContain(`removed our 1 group(s) from ${pushgateway.url}`);
  });

  it("survives a Pushgateway outage, counts and logs it once, and resumes on the same port", async () => {
    const outage = await startPushgateway();
    const { runner: r, logs, telemetry } = runner(outage, `hosts: [{name: a, role: r, metrics: {x: 1}}]`, "outage", { shards: 1 });
    runners.push(r);
    r.start();
    await until(() => ours(outage, "outage"), (s) => s.length === 1, "the first push");
    const port = outage.port;
    await outage.stop();
    await until(async () => r.status(), (s) => s.pushesFailed >= 3 && s.pushgateway === "failing", "failed pushes", 10_000);
    expect(logs.filter((l) => l.includes("unreachable"))).toHaveLength(1);
    expect(logs.find((l) => l.includes("unreachable"))).toContain("connection refused (ECONNREFUSED)");

    const back = await startPushgateway({ port });
    await until(() => ours(back, "outage"), (s) => s.length === 1, "pushing resumed on the restarted Pushgateway");
    await until(async () => logs, (l) => l.some((line) => line.includes("is back")), "the recovery line");
    expect(logs.filter((l) => l.includes("is back"))).toHaveLength(1);
    expect(logs.find((l) => l.includes("is back"))).toMatch(/is back: pushing again after \d+ failed attempts over /);
    const counted = (await telemetry.pushes.get()).values.find((v) => v.labels.result === "failure")!.value;
    expect(counted).toBe(r.status().pushesFailed);
    await r.stop();
    await back.stop();
  });

  it("logs a refused push once, keeps running, and pushes again once the conflict is gone", async () => {
    // Someone else's group declares x as a counter; our gauge x cannot join it.
    await putGroup(pushgateway, "job/other/instance/conflict", "# TYPE x counter\nx 5\n");
    const { runner: r, logs } = runner(pushgateway, `hosts: [{name: a, role: r, metrics: {x: 1}}]`, "refused", { shards: 1 });
    runners.push(r);
    r.start();
    await until(async () => r.status().pushesFailed, (n) => n >= 3, "refused pushes");
    expect(logs.filter((l) => l.includes("refused group 0"))).toHaveLength(1);
    expect(logs.find((l) => l.includes("refused group 0"))).toContain("HTTP 400");
    expect(await fetch(`${pushgateway.url}/metrics/job/other/instance/conflict`, { method: "DELETE" })).toMatchObject({ status: 202 });
    await until(() => ours(pushgateway, "refused"), (s) => s.length === 1, "our gauge accepted");
    expect(logs).toContain(`pushgateway ${pushgateway.url} accepts group 0 again`);
    expect(logs.filter((l) => l.includes("refused group 0"))).toHaveLength(1);
  });
});

describeWith(["pushgateway"])("promemu run as a process", () => {
  let pushgateway: RunningServer;
  let child: ChildProcess | undefined;
  let output = "";

  beforeAll(async () => {
    pushgateway = await startPushgateway();
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await stopAllServers();
  });

  it("serves /healthz, /metrics and /emulated, and on SIGTERM removes its groups and exits 0", async () => {
    await putGroup(pushgateway, "job/batch/instance/keep", "# TYPE kept gauge\nkept 1\n");
    const port = await freePort();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PROMEMU_")));
    child = spawn(process.execPath, [EMULATOR_BIN, "run", "--push-interval", "200ms", "--status-interval", "300ms"], {
      env: { ...env, PROMEMU_PUSHGATEWAY_URL: pushgateway.url, PROMEMU_LISTEN: `127.0.0.1:${port}`, PROMEMU_OWNER: "proc", PROMEMU_SET: "hosts.count=2" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (c) => (output += c));
    child.stderr!.on("data", (c) => (output += c));
    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    await waitForUrl(`${base}/healthz`, 20_000, () => output);

    const health = await (await fetch(`${base}/healthz`)).json();
    expect(health).toMatchObject({ status: "ok", scenario: "default", hostsTotal: 4 });
    await until(() => ours(pushgateway, "proc"), (s) => s.length > 0, "pushed series", 10_000);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of ["promemu_pushes_total", "promemu_push_duration_seconds", "promemu_series", "promemu_hosts_active", "promemu_hosts_total", "promemu_last_push_success_timestamp_seconds", "process_cpu_seconds_total"]) {
      expect(metrics).toContain(`# TYPE ${name} `);
    }
    const emulated = await fetch(`${base}/emulated`);
    expect(emulated.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await emulated.text();
    expect(text.split("\n").filter((l) => l.startsWith("cpu_usage_percent{"))).toHaveLength(4);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: "POST" })).status).toBe(405);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output).toContain("SIGTERM: stopping and removing our groups");
    expect(output).toMatch(/status: t=\d+s, hosts 4\/4 active, 72 series, pushes \d+ ok \/ 0 failed/);
    expect(output).not.toMatch(/\n\s+at /);
    expect(await ours(pushgateway, "proc")).toEqual([]);
    expect((await scrape(pushgateway)).some((s) => s.name === "kept")).toBe(true);
  });

  it("ends a bounded run by itself, removing its groups", async () => {
    const file = tempFile("quick.yaml", "hosts: [{name: q, role: r, metrics: {x: 1}}]\n");
    const started = Date.now();
    const result = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const proc = spawn(process.execPath, [EMULATOR_BIN, "run", "--scenario", file, "--pushgateway-url", pushgateway.url, "--push-interval", "100ms", "--duration", "10s", "--speed", "20", "--owner", "bounded"]);
      let text = "";
      proc.stderr.on("data", (c) => (text += c));
      proc.once("exit", (code) => resolve({ code, text }));
    });
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.text).toContain("scenario time 10s reached; stopping");
    expect(result.text).toContain("removed our 1 group(s)");
    expect(await ours(pushgateway, "bounded")).toEqual([]);
    fs.rmSync(path.dirname(file), { recursive: true });
  });
});
