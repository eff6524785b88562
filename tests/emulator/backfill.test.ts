/**
 * `promemu backfill`: the OpenMetrics it writes (labels as Prometheus stores them, samples in time
 * order, the engine's values), and the live run started at the backfill's --from going on from the
 * state the backfill ended in. The real promtool and Prometheus are in backfill-prometheus.test.ts.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { processShardOf } from "../../emulator/src/scenario/shard";
import { type PushedLabels, writeBackfill } from "../../emulator/src/backfill/openmetrics";
import { parseTime } from "../../emulator/src/backfill/time";
import { parseBackfillOptions } from "../../emulator/src/cli/backfill";
import { parseRunOptions } from "../../emulator/src/cli/options";
import { Engine } from "../../emulator/src/engine/engine";
import { renderText } from "../../emulator/src/exposition/render";
import type { CompiledScenario } from "../../emulator/src/model/types";
import { Runner } from "../../emulator/src/runner";
import { loadScenario } from "../../emulator/src/scenario/loader";
import { Telemetry } from "../../emulator/src/telemetry";
import { EMULATOR_BIN, rawRunOptions } from "./helpers";

const SEED = 42;
const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);
const STEP = 15_000;
const GROUPING = ["job", "promemu_owner", "promemu_shard"];

/** `name{labels}` without the given labels (sorted), so that pushed and rendered lines compare. */
function key(name: string, labelText: string, drop: string[] = GROUPING): string {
  const labels = [...labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
    .filter(([, label]) => !drop.includes(label))
    .map(([, label, value]) => `${label}="${value}"`)
    .sort();
  return `${name}{${labels.join(",")}}`;
}

interface Line {
  name: string;
  labels: string;
  value: number;
  timestampMs?: number;
}

function parseLines(text: string): Line[] {
  const lines: Line[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (\S+))?$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    lines.push({ name: m[1], labels: m[2] ?? "", value: Number(m[3]), timestampMs: m[4] === undefined ? undefined : Math.round(Number(m[4]) * 1000) });
  }
  return lines;
}

/** The values an engine renders now, by key (grouping labels left out). */
function rendered(engine: Engine): Map<string, number> {
  return new Map(parseLines(renderText(engine.headers, engine.hosts).text).map((l) => [key(l.name, l.labels), l.value]));
}

async function backfillText(scenario: CompiledScenario, durationMs: number, pushed: PushedLabels = { sink: "pushgateway", job: "promemu", owner: "promemu-test", shards: 1 }): Promise<string> {
  const parts: string[] = [];
  await writeBackfill(scenario, { seed: SEED, durationMs, stepMs: STEP, epochMs: T0, pushed }, (chunk) => parts.push(chunk));
  return parts.join("");
}

describe("the OpenMetrics a backfill writes", () => {
  const scenario = loadScenario("default").scenario;
  let text: string;
  let lines: Line[];
  beforeAll(async () => {
    text = await backfillText(scenario, 30 * 60_000);
    lines = parseLines(text);
  });

  it("is one # EOF-terminated file of timestamped samples over [from, to), each series in time order", () => {
    expect(text.endsWith("\n# EOF\n")).toBe(true);
    expect(text.indexOf("# EOF")).toBe(text.length - "# EOF\n".length);
    const bySeries = new Map<string, number[]>();
    for (const l of lines) {
      expect(l.timestampMs).toBeDefined();
      const k = l.name + "{" + l.labels + "}";
      bySeries.set(k, [...(bySeries.get(k) ?? []), l.timestampMs!]);
    }
    const expected = Array.from({ length: 120 }, (_, i) => T0 + i * STEP);
    for (const stamps of bySeries.values()) expect(stamps).toEqual(expected);
    // Every series of every host, the balancer's histogram included: what one push carries.
    const engine = new Engine(scenario, { seed: SEED });
    engine.advanceTo(0);
    expect(bySeries.size).toBe(renderText(engine.headers, engine.hosts).series);
  });

  it("labels pushed hosts as Prometheus stores them after scraping the Pushgateway: pushed labels plus the grouping key", async () => {
    const sample = lines.find((l) => l.name === "cpu_usage_percent" && l.labels.includes('host="worker-01"'))!;
    expect(sample.labels).toMatch(/^job="promemu",promemu_owner="promemu-test",promemu_shard="0",host="worker-01",role="worker"/);
    const twoShards = parseLines(await backfillText(scenario, STEP, { sink: "pushgateway", job: "promemu", owner: "o", shards: 2 }));
    expect(new Set(twoShards.map((l) => /promemu_shard="(\d)"/.exec(l.labels)![1]))).toEqual(new Set(["0", "1"]));
  });

  it("labels each host with the owner of the replica that runs it (run --shard k/n), and remote-written hosts with their own labels only", async () => {
    const split = parseLines(await backfillText(scenario, STEP, { sink: "pushgateway", job: "promemu", owner: "o", replicas: 3 }));
    const owners = new Map<string, string>();
    for (const line of split) owners.set(/host="([^"]+)"/.exec(line.labels)![1], /promemu_owner="([^"]+)"/.exec(line.labels)![1]);
    expect(owners.size).toBe(scenario.hosts.length);
    for (const [host, owner] of owners) expect([host, owner]).toEqual([host, `o-${processShardOf(host, 3)}-of-3`]);
    expect(new Set(owners.values()).size).toBeGreaterThan(1);

    const remote = parseLines(await backfillText(scenario, STEP, { sink: "remote-write" }));
    const pushgateway = parseLines(await backfillText(scenario, STEP));
    expect(remote).toHaveLength(pushgateway.length);
    const sample = remote.find((l) => l.name === "cpu_usage_percent" && l.labels.includes('host="worker-01"'))!;
    expect(sample.labels).toMatch(/^host="worker-01",role="worker"/);
    expect(remote.some((l) => /\b(job|promemu_owner|promemu_shard)=/.test(l.labels))).toBe(false);
  });

  it("has the engine's values at each timestamp, counters going on without reset", () => {
    const engine = new Engine(scenario, { seed: SEED, epochMs: T0 });
    for (const t of [0, 15 * 60_000, 29 * 60_000 + 45_000]) {
      engine.advanceTo(t);
      const expected = rendered(engine);
      const at = lines.filter((l) => l.timestampMs === T0 + t);
      expect(at.length).toBe(expected.size);
      for (const l of at) expect(l.value).toBe(expected.get(key(l.name, l.labels)));
    }
    const counter = lines.filter((l) => l.name === "http_requests_total").map((l) => l.value);
    expect(counter.length).toBe(120);
    for (let i = 1; i < counter.length; i++) expect(counter[i]).toBeGreaterThanOrEqual(counter[i - 1]);
    expect(counter[counter.length - 1]).toBeGreaterThan(counter[0]);
  });

  it("split into files at multiples of a span: each # EOF-terminated, together the unsplit samples", async () => {
    const parts: string[][] = [[]];
    // From 23:00: the files cover 23:00-24:00, 00:00-01:00 and 01:00-01:30.
    await writeBackfill(scenario, { seed: SEED, durationMs: 150 * 60_000, stepMs: STEP, epochMs: T0 - 3_600_000, pushed: { sink: "pushgateway", job: "promemu", owner: "promemu-test", shards: 1 }, split: { everyMs: 3_600_000, next: () => void parts.push([]) } }, (chunk) => parts.at(-1)!.push(chunk));
    const files = parts.map((p) => p.join(""));
    expect(files).toHaveLength(3);
    for (const file of files) expect(file.endsWith("\n# EOF\n")).toBe(true);
    const stamps = files.map((file) => parseLines(file).map((l) => l.timestampMs!));
    expect([Math.min(...stamps[1]), Math.max(...stamps[1])]).toEqual([T0, T0 + 3_600_000 - STEP]);
    const whole: string[] = [];
    await writeBackfill(scenario, { seed: SEED, durationMs: 150 * 60_000, stepMs: STEP, epochMs: T0 - 3_600_000, pushed: { sink: "pushgateway", job: "promemu", owner: "promemu-test", shards: 1 } }, (chunk) => whole.push(chunk));
    expect(files.map((f) => f.replace("# EOF\n", "")).join("") + "# EOF\n").toBe(whole.join(""));
  });

  it("labels exporter hosts as scraped: job and instance of the profile, and an up series", async () => {
    const fleet = loadScenario("fleet-calm", [["web.count", "1"]]).scenario;
    const out = parseLines(await backfillText(fleet, 2 * STEP));
    const up = out.filter((l) => l.name === "up");
    expect(up.length).toBeGreaterThan(0);
    for (const l of up) expect(l.labels).toMatch(/^job="(node|postgres|http)",instance="[^"]+:\d+"$/);
    const load = out.find((l) => l.name === "node_load1")!;
    expect(load.labels).toMatch(/^job="node",instance="web-01:9100"/);
    expect(new Set(out.map((l) => l.timestampMs))).toEqual(new Set([T0, T0 + STEP]));
  });
});

describe("continuity: the live run started at the backfill's --from goes on from its state", () => {
  it("the first live sample at t1 equals an uninterrupted engine's at t1, for a gauge, a counter and a toggle", async () => {
    const scenario = loadScenario("default").scenario;
    // 2 h 2 min: the balancer's heavy task is on (it peaks 4 min of every 10, from 60 s).
    const span = 2 * 3_600_000 + 2 * 60_000;
    const t1 = T0 + span;
    const backfilled = parseLines(await backfillText(scenario, span));
    const last = (name: string, host: string) => backfilled.filter((l) => l.name === name && l.labels.includes(`host="${host}"`)).at(-1)!;
    expect(last("cpu_usage_percent", "worker-01").timestampMs).toBe(t1 - STEP);

    const runner = new Runner({ scenario, seed: SEED, speed: 1, pushIntervalMs: 15_000, startAtMs: T0, telemetry: new Telemetry(), log: () => undefined, now: () => t1 });
    await runner.start();
    const live = new Map(parseLines(runner.renderAll().toString()).map((l) => [key(l.name, l.labels), l.value]));
    await runner.stop();

    const uninterrupted = new Engine(scenario, { seed: SEED, epochMs: T0 });
    uninterrupted.advanceTo(span);
    const expected = rendered(uninterrupted);
    const pick = (name: string, host: string) => [...live.keys()].find((k) => k.startsWith(`${name}{`) && k.includes(`host="${host}"`))!;
    for (const [name, host] of [["cpu_usage_percent", "worker-01"], ["http_requests_total", "balancer-01"], ["heavy_task_active", "balancer-01"]]) {
      const k = pick(name, host);
      expect(k).toBeDefined();
      expect(live.get(k)).toBe(expected.get(k));
    }
    // The toggle kept its phase, the counter went on from its backfilled value.
    expect(live.get(pick("heavy_task_active", "balancer-01"))).toBe(1);
    expect(last("heavy_task_active", "balancer-01").value).toBe(1);
    const counter = live.get(pick("http_requests_total", "balancer-01"))!;
    expect(counter).toBeGreaterThanOrEqual(last("http_requests_total", "balancer-01").value);
    expect(counter - last("http_requests_total", "balancer-01").value).toBeLessThan(900 * 30);
    // And the whole exposition is the uninterrupted run's.
    expect(live).toEqual(expected);
  });

  it("--history 7d is --start-at 7 days ago; both at once, a bad time or a future one are refused by name", () => {
    const now = Date.UTC(2026, 10, 27, 12);
    expect(parseRunOptions(rawRunOptions({ history: "7d" }), undefined, undefined, now).startAtMs).toBe(now - 7 * 86_400_000);
    expect(parseRunOptions(rawRunOptions({ startAt: "2026-11-20T00:00:00Z" }), undefined, undefined, now).startAtMs).toBe(T0);
    expect(() => parseRunOptions(rawRunOptions({ startAt: "-1d", history: "1d" }), undefined, undefined, now)).toThrow("give --start-at or --history, not both");
    expect(() => parseRunOptions(rawRunOptions({ startAt: "last week" }), undefined, undefined, now)).toThrow('--start-at "last week": must be an RFC 3339 time');
    expect(() => parseRunOptions(rawRunOptions({ startAt: "2027-01-01T00:00:00Z" }), undefined, undefined, now)).toThrow("must not be in the future");
  });
});

describe("promemu backfill options", () => {
  const now = Date.UTC(2026, 10, 27, 12);
  const raw = { scenario: "default", set: [], seed: "42", to: "now", out: os.tmpdir(), format: "openmetrics", sink: "pushgateway", step: "15s", job: "promemu", shards: "auto" };

  it("takes RFC 3339, now and durations before now", () => {
    expect(parseTime("now", now)).toBe(now);
    expect(parseTime("-7d", now)).toBe(now - 7 * 86_400_000);
    expect(parseTime("now-90m", now)).toBe(now - 90 * 60_000);
    expect(parseTime("2026-11-20T01:00:00+01:00", now)).toBe(T0);
    expect(parseTime("2026-11-20", now)).toBeUndefined();
    const options = parseBackfillOptions({ ...raw, from: "-2h" }, now);
    expect([options.fromMs, options.toMs, options.format, options.stepMs]).toEqual([now - 7_200_000, now, "openmetrics", 15_000]);
  });

  it("reports every bad option at once, naming it and what is allowed", () => {
    expect(() => parseBackfillOptions({ ...raw, from: "2026-11-28T00:00:00Z", format: "csv", seed: "-1", step: "0s" }, now)).toThrow(
      [
        '--seed "-1": must be a whole number from 0 to 4294967295',
        "--from 2026-11-28T00:00:00.000Z must be before --to 2026-11-27T12:00:00.000Z",
        '--format "csv": must be one of openmetrics, blocks',
        '--step "0s": must be at least 1s (a scrape interval)',
      ].join("\n"),
    );
    expect(() => parseBackfillOptions({ ...raw, out: undefined }, now)).toThrow(/--from is required[^]*--out is required/);
  });
});

describe("promemu backfill as a command", () => {
  const dirs: string[] = [];
  const tmp = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-backfill-"));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const run = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, [EMULATOR_BIN, "backfill", ...args], { encoding: "utf8", env });

  it("writes <out>/<scenario>.om and says how to continue live", () => {
    const out = tmp();
    const r = run(["--from", "2026-11-20T00:00:00Z", "--to", "2026-11-20T00:05:00Z", "--out", out, "--owner", "o", "--seed", "7"]);
    expect(r.status).toBe(0);
    const text = fs.readFileSync(path.join(out, "default.om"), "utf8");
    expect(text.endsWith("# EOF\n")).toBe(true);
    expect(parseLines(text).length).toBe(20 * 104);
    expect(r.stderr).toContain("promemu run --scenario default --seed 7 --start-at 2026-11-20T00:00:00.000Z");
  });

  it("bad input: exit 2, one line per problem, no stack trace", () => {
    const r = run(["--from", "yesterday", "--out", tmp(), "--format", "xml", "--scenario", "nope"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('promemu: --from "yesterday": must be an RFC 3339 time such as 2026-01-05T00:00:00Z, now, or a duration before now such as -7d or now-90m');
    expect(r.stderr).toContain('promemu: --format "xml": must be one of openmetrics, blocks');
    expect(r.stderr).toContain('promemu: unknown scenario "nope"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("--format blocks without promtool: exit 3 and what to install, nothing written", () => {
    const out = path.join(tmp(), "blocks");
    const r = run(["--from", "-1h", "--out", out, "--format", "blocks"], { ...process.env, PATH: "" });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain("promemu: --format blocks needs promtool on PATH");
    expect(fs.existsSync(out)).toBe(false);
  });
});
