/**
 * Remote write into the pinned Prometheus (`--web.enable-remote-write-receiver`) on a free
 * loopback port: the samples are queryable with the engine's labels and the very values a fresh
 * engine with the same seed has at those timestamps; and a Prometheus stopped and restarted on the
 * same port and data directory while the emulator runs loses no sample (they wait in the queue).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Engine } from "../../emulator/src/engine/engine";
import { renderText } from "../../emulator/src/exposition/render";
import { Runner } from "../../emulator/src/runner";
import { loadScenario } from "../../emulator/src/scenario/loader";
import { parseSampleLine } from "../../emulator/src/sinks/remote-write/exposition-samples";
import { Telemetry } from "../../emulator/src/telemetry";
import { type RunningServer, describeWith, eventually, freePort, sleep, startPrometheus, startPrometheusOnData, stopAllServers } from "../support/servers";
import { tempFile } from "./helpers";

const RECEIVER = ["--web.enable-remote-write-receiver"];
const SPEED = 60;

interface RangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** Raw samples of the series matching `selector` over the last `range` (a range-vector instant query). */
async function rawSamples(prometheus: RunningServer, selector: string, range = "5m"): Promise<RangeSeries[]> {
  const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(`${selector}[${range}]`)}`;
  const body = (await (await fetch(url)).json()) as { status: string; data: { result: RangeSeries[] } };
  expect(body.status).toBe("success");
  return body.data.result;
}

function remoteRunner(url: string, seed: number, speed = 1) {
  const logs: string[] = [];
  const telemetry = new Telemetry({ processMetrics: false });
  const runner = new Runner({
    scenario: loadScenario("default").scenario,
    seed,
    speed,
    pushIntervalMs: 250,
    remoteWrite: { url, userAgent: "promemu-test", timeoutMs: 2_000, shards: 2, maxSamplesPerRequest: 500, maxPendingSamples: 1_000_000, backoff: { initialMs: 50, maxMs: 400 } },
    telemetry,
    log: (line) => logs.push(line),
  });
  return { runner, logs, telemetry };
}

async function cycles(telemetry: Telemetry): Promise<number> {
  return (await telemetry.pushDuration.get()).values.find((v) => v.metricName === "promemu_push_duration_seconds_count")!.value;
}

describeWith(["prometheus"])("remote write into the real Prometheus", () => {
  const config = tempFile("prometheus.yml", "global:\n  scrape_interval: 1m\n");
  const runners: Runner[] = [];
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
  });
  afterAll(stopAllServers);

  it("stores every series with its labels, and the values the engine has at those timestamps (same seed)", async () => {
    const prometheus = await startPrometheus({ configFile: config, args: RECEIVER });
    const seed = 11;
    const { runner, telemetry } = remoteRunner(`${prometheus.url}/api/v1/write`, seed, SPEED);
    runners.push(runner);
    runner.start();
    await sleep(2_000);
    await runner.stop();
    const written = await cycles(telemetry);
    expect(runner.status().remoteWrite).toMatchObject({ failed: 0, dropped: 0, pending: 0, retried: 0 });

    const series = await rawSamples(prometheus, '{host="worker-02"}');
    expect(series.length).toBeGreaterThan(10);
    // A fresh engine, same seed, played to each stored timestamp in turn: every stored value is its value there.
    const reference = new Engine(loadScenario("default").scenario, { seed });
    const host = reference.hosts.find((h) => h.name === "worker-02")!;
    const stamps = [...new Set(series.flatMap((s) => s.values.map(([seconds]) => Math.round(seconds * 1000))))].sort((a, b) => a - b);
    expect(stamps).toHaveLength(written);
    let compared = 0;
    for (const stamp of stamps) {
      reference.advanceTo((stamp - runner.wallTimeOf(0)) * SPEED);
      const expected = new Map(
        renderText(reference.headers, [host])
          .text.split("\n")
          .filter((line) => line && !line.startsWith("#"))
          .map(parseSampleLine)
          .map((p) => [JSON.stringify(Object.fromEntries(p.labels)), p.value]),
      );
      for (const s of series) {
        expect(s.metric).toMatchObject({ host: "worker-02", role: "worker", address: "10.0.1.2", environment: "sandbox" });
        const stored = s.values.find(([seconds]) => Math.round(seconds * 1000) === stamp);
        expect(stored).toBeDefined();
        const key = JSON.stringify(Object.fromEntries(Object.entries(s.metric).sort(([a], [b]) => (a < b ? -1 : 1))));
        expect(expected.has(key)).toBe(true);
        expect(Number(stored![1])).toBe(expected.get(key));
        compared++;
      }
    }
    expect(compared).toBe(series.length * written);
    // At 60x, 2 s are 2 min of scenario time: several ticks, so values did change along the way.
    const cpu = series.find((s) => s.metric.__name__ === "cpu_usage_percent")!;
    expect(new Set(cpu.values.map(([, v]) => v)).size).toBeGreaterThan(2);
    await prometheus.stop();
  });

  it("keeps the samples of a Prometheus outage and delivers them, in order, once it is back on the same port and data", async () => {
    const storage = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-rw-tsdb-"));
    const port = await freePort();
    const start = () => startPrometheusOnData({ configFile: config, storagePath: storage, port, args: RECEIVER });
    let prometheus = await start();
    const { runner, logs, telemetry } = remoteRunner(`${prometheus.url}/api/v1/write`, 5);
    runners.push(runner);
    runner.start();
    await eventually(async () => ((runner.status().remoteWrite?.sent ?? 0) > 0 ? true : undefined), 10_000, () => "nothing sent", 50);
    await sleep(500);
    await prometheus.stop();
    const down = Date.now();
    await sleep(2_000);
    prometheus = await start();
    await eventually(async () => (runner.status().remoteWrite?.state === "ok" && runner.status().remoteWrite!.pending === 0 ? true : undefined), 15_000, () => JSON.stringify(runner.status()), 50);
    await sleep(500);
    await runner.stop();

    const status = runner.status().remoteWrite!;
    expect(status.retried).toBeGreaterThan(0);
    expect(status).toMatchObject({ failed: 0, dropped: 0, pending: 0 });
    expect(logs).toContainEqual(expect.stringContaining("failing"));
    expect(logs).toContainEqual(expect.stringContaining("is back"));
    const written = await cycles(telemetry);
    const [series] = await rawSamples(prometheus, 'cpu_usage_percent{host="worker-01"}');
    const stamps = series.values.map(([seconds]) => Math.round(seconds * 1000));
    // One sample per cycle, the outage's included: none lost, none twice, each 250 ms after the last.
    expect(stamps).toHaveLength(written);
    expect(stamps.some((t) => t > down && t < down + 2_000)).toBe(true);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i] - stamps[i - 1]).toBeGreaterThan(0);
    await prometheus.stop();
    fs.rmSync(storage, { recursive: true, force: true });
  });
});
