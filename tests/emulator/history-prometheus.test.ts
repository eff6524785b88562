/**
 * `promemu history` with the real promtool and the real Prometheus (the pinned 3.5, built from its Go module), as the stack runs it: a week
 * written into an empty data directory, Prometheus started on it, the live emulator (`promemu run --start-at`)
 * going on with remote write from the history's start. The week is queryable with no gap at the seam, every sample on both sides of it has the
 * value a fresh engine with the same seed has at its timestamp, a recording rule gets the week too, and all of it
 * survives a restart of Prometheus while a second `history write` writes nothing.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startEmulator } from "../e2e/emulator-process";
import { type RunningServer, describeWith, eventually, freePort, startPrometheusOnData, stopAllServers } from "../support/servers";
import { EMULATOR_BIN } from "./helpers";

/**
 * What a fresh engine (the compiled one the CLI runs, in a process of its own: inside jest's module sandbox playing
 * a week takes some 80 s instead of 5) shows at each timestamp, in time order: the text exposition of every host.
 */
function engineTexts(startAtMs: number, timestamps: number[]): string[] {
  const dist = path.resolve(__dirname, "../../emulator/dist");
  const script = `
    const { Engine } = require(${JSON.stringify(path.join(dist, "engine/engine"))});
    const { renderText } = require(${JSON.stringify(path.join(dist, "exposition/render"))});
    const { loadScenario } = require(${JSON.stringify(path.join(dist, "scenario/loader"))});
    const { startAt, seed, set, stamps } = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const engine = new Engine(loadScenario("default", set).scenario, { seed, epochMs: startAt });
    process.stdout.write(JSON.stringify(stamps.map((t) => (engine.advanceTo(t - startAt), renderText(engine.headers, engine.hosts).text))));`;
  const r = spawnSync(process.execPath, ["-e", script], { input: JSON.stringify({ startAt: startAtMs, seed: SEED, set: SET, stamps: timestamps }), encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`the reference engine failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

const SEED = 5;
const STEP = 15_000;
const WEEK = 7 * 86_400_000;
const SET = ["hosts.count=2"];
const HOST = "worker-01";
const RULES = `groups:
  - name: history
    rules:
      - record: host:cpu_usage_percent:max
        expr: max by (host) (cpu_usage_percent)
      - alert: AlwaysFiring
        expr: vector(1)
`;

function promemu(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [EMULATOR_BIN, ...args], { encoding: "utf8" });
  return { status: r.status, output: r.stdout + r.stderr };
}

interface Result {
  metric: Record<string, string>;
  /** An instant query's sample. */
  value?: [number, string];
  /** A range-vector query's samples. */
  values?: Array<[number, string]>;
}

describeWith(["prometheus", "promtool"])("a week of history in the real Prometheus, continued live", () => {
  let dir: string;
  let data: string;
  let config: string;
  let port: number;
  let prometheus: RunningServer;
  const startAt = Math.floor((Date.now() - WEEK) / STEP) * STEP;
  let historyEnd: number;
  const logs: string[] = [];

  const query = async (expr: string, time?: number): Promise<Result[]> => {
    const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}${time ? `&time=${time / 1000}` : ""}`;
    const body = (await (await fetch(url)).json()) as { status: string; data: { result: Result[] } };
    expect(body.status).toBe("success");
    return body.data.result;
  };
  /** The value of an instant query that yields one series, NaN when it yields none. */
  const scalar = async (expr: string, time?: number): Promise<number> => {
    const result = await query(expr, time);
    return result.length === 1 ? Number(result[0].value![1]) : NaN;
  };
  /** Raw samples of one series between two times: [ms, value][]. */
  const raw = async (selector: string, from: number, to: number): Promise<Array<[number, number]>> => {
    const result = await query(`${selector}[${Math.ceil((to - from) / 1000)}s]`, to);
    expect(result).toHaveLength(1);
    return result[0].values!.map(([t, v]) => [Math.round(Number(t) * 1000), Number(v)]);
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-history-prom-"));
    data = path.join(dir, "data");
    const write = promemu(["history", "write", "--data", data, "--start-at", new Date(startAt).toISOString(), "--seed", String(SEED), "--set", SET.join(","), "--sink", "remote-write"]);
    if (write.status !== 0) throw new Error(`history write failed (${write.status}):\n${write.output}`);
    logs.push(write.output);
    historyEnd = Date.parse(JSON.parse(fs.readFileSync(path.join(data, "promemu-history.json"), "utf8")).to);
    config = path.join(dir, "prometheus.yml");
    fs.writeFileSync(path.join(dir, "rules.yml"), RULES);
    fs.writeFileSync(config, "global:\n  scrape_interval: 1m\n  evaluation_interval: 15s\nrule_files: [rules.yml]\n");
    port = await freePort();
    prometheus = await startPrometheusOnData({ configFile: config, storagePath: data, port, args: ["--web.enable-remote-write-receiver", "--storage.tsdb.retention.time=8d"] });

    // The live emulator, as its container runs it: on the wall clock from the history's start, remote-writing every second.
    const emulator = startEmulator({
      PROMEMU_START_AT: new Date(startAt).toISOString(),
      PROMEMU_SEED: String(SEED),
      PROMEMU_SET: SET.join(","),
      PROMEMU_REMOTE_WRITE_URL: `${prometheus.url}/api/v1/write`,
      PROMEMU_PUSH_INTERVAL: "1s",
      PROMEMU_STATUS_INTERVAL: "0",
    });
    // Until Prometheus holds a few seconds of live samples.
    await eventually(
      async () => {
        const recent = await query(`count_over_time(http_requests_total{host="balancer-01"}[2m]) - count_over_time(http_requests_total{host="balancer-01"}[2m] @ ${historyEnd / 1000})`);
        return recent.length === 1 && Number(recent[0].value![1]) >= 4 ? true : undefined;
      },
      120_000,
      () => `no live samples in Prometheus; the emulator said:\n${emulator.output()}`,
    );
    await emulator.stop();
    logs.push(emulator.output());
  }, 300_000);

  afterAll(async () => {
    await stopAllServers();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("wrote the week up to within two steps of the moment it ended", () => {
    expect(historyEnd - startAt).toBeGreaterThanOrEqual(WEEK);
    const record = JSON.parse(fs.readFileSync(path.join(data, "promemu-history.json"), "utf8"));
    expect(Date.parse(record.writtenAt) - historyEnd).toBeLessThan(2 * STEP);
    expect(record).toMatchObject({ identity: { startAt: new Date(startAt).toISOString(), seed: SEED, set: SET, sink: "remote-write" }, samples: expect.any(Number) });
    expect(logs.join("\n")).toMatch(/history written into .*: 7d\S* of default/);
  });

  it("has every step of the week, then the live samples with no gap at the seam, each with the engine's value at its timestamp", async () => {
    const now = Date.now();
    const selectors = {
      cpu: `cpu_usage_percent{host="${HOST}"}`,
      requests: 'http_requests_total{host="balancer-01"}',
      heavy: 'heavy_task_active{host="balancer-01"}',
    };
    const lineOf = {
      cpu: new RegExp(`^cpu_usage_percent\\{host="${HOST}",[^}]*\\} (\\S+)$`, "m"),
      requests: /^http_requests_total\{host="balancer-01",[^}]*\} (\S+)$/m,
      heavy: /^heavy_task_active\{host="balancer-01",[^}]*\} (\S+)$/m,
    };
    const stored = {
      cpu: await raw(selectors.cpu, startAt - 1, now),
      requests: await raw(selectors.requests, startAt - 1, now),
      heavy: await raw(selectors.heavy, startAt - 1, now),
    };
    const checks: Array<{ name: keyof typeof stored; t: number; value: number }> = [];
    for (const [name, samples] of Object.entries(stored) as [keyof typeof stored, Array<[number, number]>][]) {
      const history = samples.filter(([t]) => t < historyEnd);
      const live = samples.filter(([t]) => t >= historyEnd);
      // Every step of the history, then live samples (one a second).
      expect([name, history.length]).toEqual([name, (historyEnd - startAt) / STEP]);
      expect([name, history[0][0], history.at(-1)![0]]).toEqual([name, startAt, historyEnd - STEP]);
      expect(live.length).toBeGreaterThanOrEqual(3);
      // The seam: the first live sample follows the last written one by less than the time Prometheus took to start
      // plus a step, so no range query step and no rate() window of a minute sees a hole.
      const seam = live[0][0] - history.at(-1)![0];
      expect([name, `seam ${seam} ms`, seam < 60_000]).toEqual([name, `seam ${seam} ms`, true]);
      for (const [t, value] of [...history.filter((_, i) => i % 997 === 0), ...history.slice(-3), ...live]) checks.push({ name, t, value });
    }
    // Every sample checked, on both sides of the seam, has the value a fresh engine (same seed) has at its timestamp.
    checks.sort((a, b) => a.t - b.t);
    const texts = engineTexts(startAt, checks.map((c) => c.t));
    checks.forEach(({ name, t, value }, i) => expect([name, t, value]).toEqual([name, t, Number(lineOf[name].exec(texts[i])![1])]));
    expect(checks.length).toBeGreaterThan(3 * 40);
    // The counter never went back across the week and the seam; the toggle went on and off.
    for (let i = 1; i < stored.requests.length; i++) expect(stored.requests[i][1]).toBeGreaterThanOrEqual(stored.requests[i - 1][1]);
    expect(new Set(stored.heavy.map(([, v]) => v))).toEqual(new Set([0, 1]));
  });

  it("backfills the recording rules over the week once: Prometheus serves the recorded series for it within a minute", async () => {
    const rules = path.join(dir, "rules.yml");
    const first = promemu(["history", "rules", "--data", data, "--url", prometheus.url, "--eval-interval", "15s", rules]);
    expect(first).toMatchObject({ status: 0 });
    expect(first.output).toMatch(/recording rules over the history .*: host:cpu_usage_percent:max evaluated in/);
    const second = promemu(["history", "rules", "--data", data, "--url", prometheus.url, "--eval-interval", "15s", rules]);
    expect(second).toMatchObject({ status: 0 });
    expect(second.output).toMatch(/nothing new to evaluate \(1 recording rule in 1 file, all done before\)/);
    // Prometheus looks for new blocks every minute.
    // Live evaluation adds a sample every 15 s since Prometheus started: far fewer than a week's.
    const count = await eventually(
      async () => {
        const n = await scalar(`count_over_time(host:cpu_usage_percent:max{host="${HOST}"}[8d])`);
        return n > WEEK / STEP / 2 ? n : undefined;
      },
      150_000,
      () => "the recorded series over the history never showed up",
      2_000,
    );
    // promtool evaluates each 2 h block on its own and skips the instant where two meet: one step in 480.
    expect(count).toBeGreaterThanOrEqual((WEEK / STEP) * 0.99);
    const recorded = await raw(`host:cpu_usage_percent:max{host="${HOST}"}`, startAt - 1, historyEnd);
    const gaps = recorded.slice(1).map(([t], i) => t - recorded[i][0]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2 * STEP);
    expect(recorded[0][0] - startAt).toBeLessThan(STEP);
    // Recorded samples across the week equal their expression over the raw samples at their own timestamps.
    for (const [t, value] of recorded.filter((_, i) => i % 4999 === 0)) {
      expect([t, value]).toEqual([t, await scalar(`max by (host) (cpu_usage_percent{host="${HOST}"})`, t)]);
    }
  }, 200_000);

  it("survives a restart of Prometheus, and a second write into the same directory writes nothing", async () => {
    await prometheus.stop();
    const again = promemu(["history", "write", "--data", data, "--start-at", new Date(startAt).toISOString(), "--seed", String(SEED), "--set", SET.join(","), "--sink", "remote-write"]);
    expect(again).toMatchObject({ status: 0 });
    expect(again.output).toMatch(/history already in .*nothing to do/);
    prometheus = await startPrometheusOnData({ configFile: config, storagePath: data, port, args: ["--web.enable-remote-write-receiver", "--storage.tsdb.retention.time=8d"] });
    expect(await scalar(`count_over_time(cpu_usage_percent{host="${HOST}"}[8d])`)).toBeGreaterThanOrEqual(WEEK / STEP);
    expect(await scalar(`count_over_time(host:cpu_usage_percent:max{host="${HOST}"}[8d])`)).toBeGreaterThanOrEqual((WEEK / STEP) * 0.99);
  }, 120_000);
});
