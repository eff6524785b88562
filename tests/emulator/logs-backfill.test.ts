/**
 * `promemu backfill --logs-out / --loki-url` (docs/logs.md "Backfilling logs"): the files hold the lines of the
 * same play as the metrics (5xx lines == the 5xx counter's increase, OOM kills == node_vmstat_oom_kill's,
 * deadlocks == pg_stat_database_deadlocks'), one file per stream as the programs write them, in time order; the
 * same seed writes the same bytes and the metrics are those of a backfill without logs; the folder is written whole
 * or not at all (refusals, Ctrl-C); the push waits for its store, counts what it refused and gives up on a dead one.
 * The real store is in logs-backfill-victorialogs.test.ts.
 */
import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { estimateLogs, logDiskProblem } from "../../emulator/src/backfill/estimate";
import { logFileNames } from "../../emulator/src/backfill/log-files";
import { sampleLogs, scenarioLogStreams } from "../../emulator/src/backfill/logs";
import { backfillCommand, parseBackfillOptions } from "../../emulator/src/cli/backfill";
import type { CompiledScenario } from "../../emulator/src/model/types";
import { parseScenario } from "../../emulator/src/scenario/loader";
import { EMULATOR_BIN, interruptCli, promemuAsync } from "./helpers";
import { increase as increaseOf, sums } from "./logs-backfill-helpers";
import { LOG_FLEET, ROUTES_500 } from "./logs-helpers";

const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const NO_TRACE = /\n\s+at |Cannot read properties/;

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-logs-backfill-"));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const fleet = (): CompiledScenario => parseScenario(LOG_FLEET, "log-fleet.yaml", "log-fleet").scenario;

/** The raw options commander hands over, with the backfill's defaults. */
function raw(extra: Record<string, string | undefined>) {
  return { scenario: "log-fleet", set: [], seed: "42", to: "now", format: "openmetrics", sink: "pushgateway", step: "15s", job: "promemu", owner: "promemu-test", shards: "auto", ...extra };
}

/** Backfills the log fleet over [T0, T0 + range) in-process; `to` 1 ms past a tick so that the last tick is in both the metrics and the logs. */
async function backfill(extra: Record<string, string | undefined>, rangeMs = 30 * MIN + 1) {
  const options = parseBackfillOptions(raw({ from: iso(T0), to: iso(T0 + rangeMs), ...extra }), Date.now());
  const log: string[] = [];
  const result = await backfillCommand(options, fleet(), (line) => log.push(line));
  return { result, log };
}

/** The increase over the range, every sample there (121: 30 minutes every 15 s, both ends). */
function increase(om: string, name: string, labels: Record<string, string>[]): number {
  expect(sums(om, name, labels).size).toBe(121);
  return increaseOf(om, name, labels);
}

const read = (...parts: string[]) => fs.readFileSync(path.join(...parts), "utf8");
const linesOf = (text: string) => text.split("\n").slice(0, -1);

describe("the log files agree with the metrics of the same play", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-logs-backfill-agree-"));
  let om: string;
  let result: Awaited<ReturnType<typeof backfill>>["result"];
  beforeAll(async () => {
    ({ result } = await backfill({ out: path.join(dir, "m"), logsOut: path.join(dir, "logs") }));
    om = read(dir, "m", "log-fleet.om");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("one file per stream, <host>/<source>.log, every stream's (a calm one too)", () => {
    const expected = [...logFileNames(scenarioLogStreams(fleet(), "promemu")).values()].sort();
    expect(expected).toContain(path.join("api-degraded-01", "access.log"));
    const found = fs.readdirSync(path.join(dir, "logs")).flatMap((host) => fs.readdirSync(path.join(dir, "logs", host)).map((f) => path.join(host, f)));
    expect(found.sort()).toEqual(expected);
    expect(result.logBytes).toBe(found.reduce((sum, f) => sum + fs.statSync(path.join(dir, "logs", f)).size, 0));
  });

  test("5xx access lines == the increase of the 5xx counter; lines == requests", () => {
    const lines = linesOf(read(dir, "logs", "api-degraded-01", "access.log")).map((l) => JSON.parse(l) as { status: number });
    const errors = increase(om, "http_requests_total", ROUTES_500.map((r) => ({ instance: "api-degraded-01:8080", ...r })));
    expect(errors).toBeGreaterThan(100);
    expect(lines.filter((l) => l.status === 500).length).toBe(errors);
    expect(lines.length).toBe(increase(om, "http_requests_total", [{ instance: "api-degraded-01:8080" }]));
  });

  test("OOM kill lines == the increase of node_vmstat_oom_kill; deadlock entries == pg_stat_database_deadlocks'", () => {
    const syslog = read(dir, "logs", "memory-pressure-01", "syslog.log");
    const ooms = increase(om, "node_vmstat_oom_kill", [{ instance: "memory-pressure-01:9100" }]);
    expect(ooms).toBeGreaterThan(2);
    expect(syslog.match(/ kernel: Out of memory: Killed process /g)!.length).toBe(ooms);
    const pg = read(dir, "logs", "pg-deadlocks-01", "postgres.log");
    const deadlocks = increase(om, "pg_stat_database_deadlocks", [{ instance: "pg-deadlocks-01:9187" }]);
    expect(deadlocks).toBeGreaterThan(0);
    expect(pg.match(/ ERROR: {2}deadlock detected\n/g)!.length).toBe(deadlocks);
    // A calm node logs cron only.
    expect(linesOf(read(dir, "logs", "calm-01", "syslog.log")).every((l) => / CRON\[\d+\]: \(root\) CMD /.test(l))).toBe(true);
  });

  test("as the programs write them, in time order, within [from, to)", () => {
    const check = (file: string, stamp: RegExp, parse: (m: RegExpExecArray) => number) => {
      const times = linesOf(read(dir, "logs", file)).flatMap((l) => {
        const m = stamp.exec(l);
        return m ? [parse(m)] : [];
      });
      expect(times.length).toBeGreaterThan(0);
      for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]);
      expect(times[0]).toBeGreaterThanOrEqual(T0);
      expect(times.at(-1)!).toBeLessThanOrEqual(T0 + 30 * MIN);
    };
    // rsyslog on Debian 12, PostgreSQL's %m [%p] (continuation lines of an entry have no stamp), nginx JSON.
    check(path.join("unit-crashloop-01", "syslog.log"), /^(\S+)000\+00:00 unit-crashloop-01 \S+: /, (m) => Date.parse(m[1] + "Z"));
    check(path.join("pg-restart-01", "postgres.log"), /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC \[\d+\] [A-Z]+: {2}/, (m) => Date.parse(m[1].replace(" ", "T") + "Z"));
    check(path.join("api-calm-01", "access.log"), /^\{"time":"([^"]+)"/, (m) => Date.parse(m[1]));
    expect(read(dir, "logs", "reboot-01", "syslog.log")).toMatch(/ reboot-01 kernel: reboot: Restarting system\n/);
  });
});

describe("determinism and one play for both", () => {
  const hashes = (dir: string) => {
    const out: Record<string, string> = {};
    for (const host of fs.readdirSync(dir)) for (const f of fs.readdirSync(path.join(dir, host))) out[`${host}/${f}`] = crypto.createHash("sha256").update(fs.readFileSync(path.join(dir, host, f))).digest("hex");
    return out;
  };

  test("the same seed writes the same bytes, another seed others; the metrics are a backfill's without logs", async () => {
    await backfill({ out: path.join(root, "a"), logsOut: path.join(root, "la") }, 10 * MIN);
    await backfill({ logsOut: path.join(root, "lb") }, 10 * MIN);
    await backfill({ logsOut: path.join(root, "lc"), seed: "7" }, 10 * MIN);
    await backfill({ out: path.join(root, "plain") }, 10 * MIN);
    expect(hashes(path.join(root, "lb"))).toEqual(hashes(path.join(root, "la")));
    const other = hashes(path.join(root, "lc"));
    expect(other["api-calm-01/access.log"]).not.toBe(hashes(path.join(root, "la"))["api-calm-01/access.log"]);
    expect(read(root, "a", "log-fleet.om")).toBe(read(root, "plain", "log-fleet.om"));
    // Logs alone: no metrics anywhere.
    expect(fs.readdirSync(root).sort()).toEqual(["a", "la", "lb", "lc", "plain"]);
  });

  test("the lines do not depend on how often the buffer is drained (the engine plays the same ticks)", async () => {
    const { result } = await backfill({ logsOut: path.join(root, "x") }, 10 * MIN);
    const { result: coarse } = await backfill({ logsOut: path.join(root, "y"), step: "5m" }, 10 * MIN);
    expect(coarse.logLines).toBe(result.logLines);
    expect(hashes(path.join(root, "y"))).toEqual(hashes(path.join(root, "x")));
  });
});

describe("the estimate", () => {
  test("scales the range's first minutes; refuses a folder whose file system is too small, naming the flag", () => {
    const sample = sampleLogs(fleet(), 42, T0, "promemu", 10 * MIN);
    expect(sample.playedMs).toBe(10 * MIN);
    expect(sample.lines).toBeGreaterThan(1000);
    const week = estimateLogs(sample, 7 * 24 * 60 * MIN);
    expect(week.lines).toBeCloseTo(sample.lines * 7 * 24 * 6, 0);
    expect(week.bytes).toBeCloseTo(sample.bytes * 7 * 24 * 6, 0);
    expect(logDiskProblem(week, week.bytes + 1, "--logs-out", "/x")).toBeUndefined();
    expect(logDiskProblem(week, 1000, "--logs-out", "/x")).toMatch(/^--logs-out "\/x": the logs need about \S+ GB \(.* lines, estimated .*\) and the file system has 1\.0 kB free; give a shorter range/);
  });
});

/** The built CLI, without PROMEMU_* variables. */
function promemu(args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PROMEMU_")));
  const r = spawnSync(process.execPath, [EMULATOR_BIN, ...args], { env, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, out: (r.stdout ?? "") + (r.stderr ?? "") };
}

function fleetFile(): string {
  const file = path.join(root, "log-fleet.yaml");
  fs.writeFileSync(file, LOG_FLEET);
  return file;
}

describe("promemu backfill --logs-out: refusals and a whole folder", () => {
  const range = ["--from", "2026-11-20T00:00:00Z", "--to", "2026-11-20T00:10:00Z"];

  test("logs alone (no --out): the folder and nothing else; the estimate and the result are said", () => {
    const logs = path.join(root, "logs");
    const r = promemu(["backfill", "--scenario", fleetFile(), ...range, "--logs-out", logs]);
    expect(r).toMatchObject({ status: 0 });
    expect(r.out).toContain("no --out: the logs alone, no metrics written");
    expect(r.out).toMatch(/logs of log-fleet over 10m, 10 streams: about [\d,]+ lines, \S+ \S+ of files and \S+ \(estimated from the first 10m\)/);
    expect(r.out).toMatch(/logs of log-fleet from 2026-11-20T00:00:00.000Z to 2026-11-20T00:10:00.000Z \(10m, seed 42\): [\d,]+ lines in .* MB of files in /);
    expect(fs.readdirSync(root).sort()).toEqual(["log-fleet.yaml", "logs"]);
    expect(fs.readdirSync(logs)).toHaveLength(10);
  });

  test.each([
    ["a --logs-out that is not empty", (logs: string) => (fs.mkdirSync(logs), fs.writeFileSync(path.join(logs, "old.log"), "x")), /--logs-out "[^"]+": is not empty \(old\.log: an earlier backfill\?\); the logs are written whole into a new or empty directory/],
    ["a --logs-out that is a file", (logs: string) => fs.writeFileSync(logs, "x"), /--logs-out "[^"]+": is not a directory; give a new or empty directory/],
  ])("%s: exit 2, the flag named, nothing written (not the metrics either)", (_what, prepare, message) => {
    const logs = path.join(root, "logs");
    prepare(logs);
    const before = fs.readdirSync(root).sort();
    const r = promemu(["backfill", "--scenario", fleetFile(), ...range, "--out", path.join(root, "m"), "--logs-out", logs]);
    expect(r.status).toBe(2);
    expect(r.out).toMatch(message);
    expect(r.out).not.toMatch(NO_TRACE);
    expect(fs.readdirSync(root).sort()).toEqual([...before, "log-fleet.yaml"].sort());
  });

  test("an empty --logs-out is used; a scenario without logs, a bad flag, a missing output: exit 2, each named", () => {
    const empty = path.join(root, "empty");
    fs.mkdirSync(empty);
    expect(promemu(["backfill", "--scenario", fleetFile(), ...range, "--logs-out", empty]).status).toBe(0);
    expect(fs.readdirSync(empty)).toHaveLength(10);

    const none = promemu(["backfill", "--scenario", "hosts-load-with-peaks", ...range, "--logs-out", path.join(root, "n")]);
    expect(none.status).toBe(2);
    expect(none.out).toContain("--logs-out: scenario hosts-load-with-peaks has no host with logs (a `logs` key on a host or its role), so there are no lines to write");
    expect(fs.existsSync(path.join(root, "n"))).toBe(false);

    const bad = promemu(["backfill", ...range, "--logs-out", path.join(root, "o"), "--out", path.join(root, "o"), "--loki-url", "http://x:1/push", "--loki-batch", "0", "--loki-encoding", "xml"]);
    expect(bad.status).toBe(2);
    expect(bad.out).toContain('--logs-out "' + path.join(root, "o") + '": must not be --out');
    expect(bad.out).toContain('--loki-url "http://x:1/push": must end in /api/v1/push');
    expect(bad.out).toContain('--loki-batch "0": must be a whole number from 1 to 100000');
    expect(bad.out).toContain('--loki-encoding "xml": must be protobuf, json, json-gzip (default protobuf)');
    const tenant = promemu(["backfill", ...range, "--logs-out", path.join(root, "t"), "--loki-url", "http://127.0.0.1:1/insert/loki/api/v1/push", "--loki-tenant", "team-a"]);
    expect(tenant.status).toBe(2);
    expect(tenant.out).toContain('--loki-tenant "team-a": VictoriaLogs (this URL is its /insert/loki/api/v1/push) reads X-Scope-OrgID as AccountID[:ProjectID]');
    expect(bad.out).not.toMatch(NO_TRACE);

    const orphan = promemu(["backfill", ...range, "--out", path.join(root, "m2"), "--loki-max-pending", "10"]);
    expect(orphan.status).toBe(2);
    expect(orphan.out).toContain("--loki-max-pending is for the Loki push: give --loki-url too");

    const nothing = promemu(["backfill", ...range]);
    expect(nothing.status).toBe(2);
    expect(nothing.out).toContain("--out is required: the directory to write into (created when missing); or --logs-out or --loki-url for the logs alone");
  });

  /** Starts the CLI and sends `signal` once it is past the estimate and into the play (the staging folder holds files). */
  const interrupt = (args: string[], signal: NodeJS.Signals) => interruptCli(args, signal, (output) => /logs of .* \(estimated/.test(output), { afterMs: 300 });

  test.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("%s while playing a day: exit %i, neither the folder nor its staging folder nor the metrics left", async (signal, code) => {
    const logs = path.join(root, "logs");
    const result = await interrupt(["backfill", "--from", "2026-11-20T00:00:00Z", "--to", "2026-11-21T00:00:00Z", "--out", path.join(root, "m"), "--logs-out", logs], signal);
    expect(result.code).toBe(code);
    expect(result.output).toContain(`interrupted by ${signal}: nothing was written into ${path.join(root, "m")} (the partial file was removed); nothing into ${logs} (the partial log files were removed)`);
    expect(fs.readdirSync(root)).toEqual(["m"]);
    expect(fs.readdirSync(path.join(root, "m"))).toEqual([]);
  }, 60_000);
});

/**
 * A stand-in Loki that records each push's lines (JSON bodies: the tests push with --loki-encoding json; the default
 * protobuf is proven on the real store, logs-backfill-victorialogs.test.ts), answering `status(n)` for request n.
 */
async function fakeLoki(status: (n: number) => number = () => 204, delayMs = 0) {
  const received: { labels: Record<string, string>; values: [string, string][] }[] = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const code = status(++requests);
      if (code < 300) for (const s of JSON.parse(Buffer.concat(chunks).toString()).streams) received.push({ labels: s.stream, values: s.values });
      setTimeout(() => res.writeHead(code).end(code < 300 ? "" : "no"), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/loki/api/v1/push`;
  return { url, received, requests: () => requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("promemu backfill --loki-url", () => {
  const range = ["--from", "2026-11-20T00:00:00Z", "--to", "2026-11-20T00:10:00Z"];

  test("the lines of the files, with their own timestamps and labels, nothing dropped however small the queue (the engine waits)", async () => {
    const loki = await fakeLoki(undefined, 5);
    try {
      const logs = path.join(root, "logs");
      const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [EMULATOR_BIN, "backfill", "--scenario", fleetFile(), ...range, "--logs-out", logs, "--loki-url", loki.url, "--loki-batch", "500", "--loki-max-pending", "1000", "--loki-encoding", "json"]);
        let out = "";
        child.stdout.on("data", (c) => (out += c));
        child.stderr.on("data", (c) => (out += c));
        child.on("exit", (code) => resolve({ code, out }));
      });
      expect(r).toMatchObject({ code: 0 });
      const total = Number(/: ([\d,]+) lines in /.exec(r.out)![1].replace(/,/g, ""));
      expect(r.out).toContain(`pushed to ${loki.url}: ${total.toLocaleString("en-US")} sent, 0 refused, 0 dropped`);
      expect(loki.received.reduce((n, s) => n + s.values.length, 0)).toBe(total);
      expect(loki.requests()).toBeGreaterThanOrEqual(Math.ceil(total / 500));
      // Per stream: the file's text, in order, each value stamped within the range.
      const access = loki.received.filter((s) => s.labels.host === "api-degraded-01").flatMap((s) => s.values);
      expect(access.map(([, line]) => line + "\n").join("")).toBe(read(logs, "api-degraded-01", "access.log"));
      expect(loki.received.find((s) => s.labels.host === "api-degraded-01")!.labels).toEqual({ job: "http", instance: "api-degraded-01:8080", host: "api-degraded-01", role: "api", service_name: "nginx" });
      for (const [ns] of access) {
        const ms = Number(BigInt(ns) / 1_000_000n);
        expect(ms).toBeGreaterThanOrEqual(Date.parse("2026-11-20T00:00:00Z"));
        expect(ms).toBeLessThan(Date.parse("2026-11-20T00:10:00Z"));
      }
    } finally {
      await loki.close();
    }
  }, 60_000);

  test("a store that refuses a batch (400): the files are kept, the lines counted, exit 1", async () => {
    const loki = await fakeLoki((n) => (n === 2 ? 400 : 204));
    try {
      const logs = path.join(root, "logs");
      const r = promemuAsync(["backfill", "--scenario", fleetFile(), ...range, "--logs-out", logs, "--loki-url", loki.url, "--loki-batch", "1000", "--loki-encoding", "json"]);
      const { status: code, out } = await r;
      expect(code).toBe(1);
      expect(out).toMatch(/loki push to .* refused a batch of 1000 log lines: .*400.*; dropped, not retried/);
      expect(out).toMatch(/loki push to http:\/\/127\.0\.0\.1:\d+\/loki\/api\/v1\/push: 1000 of [\d]+ log lines were not accepted \(1000 refused, 0 dropped; the reason is logged above\)/);
      expect(out).not.toMatch(NO_TRACE);
      expect(fs.readdirSync(logs)).toHaveLength(10);
    } finally {
      await loki.close();
    }
  }, 60_000);

  test("a store that keeps failing (503): retried, then given up after --loki-retry-for, exit 1, no folder left", async () => {
    const loki = await fakeLoki(() => 503);
    try {
      const logs = path.join(root, "logs");
      const { status: code, out } = await promemuAsync(["backfill", "--scenario", fleetFile(), ...range, "--logs-out", logs, "--loki-url", loki.url, "--loki-retry-for", "2s", "--loki-encoding", "json"]);
      expect(code).toBe(1);
      expect(out).toMatch(/loki push to .* failing: .*503.*; retrying with backoff/);
      expect(out).toMatch(/loki push to .* failed for 2s without a line accepted \(the reason is logged above\): gave up with 0 lines sent and \d+ queued lines dropped; the lines sent stay in the store/);
      expect(loki.requests()).toBeGreaterThan(1);
      expect(fs.readdirSync(root)).toEqual(["log-fleet.yaml"]);
    } finally {
      await loki.close();
    }
  }, 60_000);
});
