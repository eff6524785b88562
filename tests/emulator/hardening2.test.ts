/**
 * Issue 17: long runs that stop on Ctrl-C, full disks, hostile files, and outputs that are never half-written.
 * Each test names its item. The CLI runs as its own process (the built one, emulator/bin/promemu.js), with a
 * fake promtool on PATH where promtool's behaviour is the point; inputs are small, so each test takes seconds.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { parseRfc3339 } from "../../emulator/src/backfill/time";
import { parseRunOptions } from "../../emulator/src/cli/options";
import type { Batch } from "../../emulator/src/sinks/remote-write/queue";
import { RemoteWriteQueue } from "../../emulator/src/sinks/remote-write/queue";
import { RemoteWriteError } from "../../emulator/src/sinks/remote-write/client";
import { redactUrl } from "../../emulator/src/util/url";
import { loadYaml } from "../../emulator/src/util/yaml";
import { EMULATOR_BIN, cleanEnv, interruptCli, promemuAsync, rawRunOptions as raw } from "./helpers";

const NO_TRACE = /\n\s+at |EBADF|Cannot read properties/;
const BILLION_LAUGHS = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]", ..."bcdefghi".split("").map((c, i) => `${c}: &${c} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(", ")}]`)].join("\n") + "\n";

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-hardening2-"));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** The environment without PROMEMU_* variables; `pathFirst` goes first on PATH. */
function env(extra: Record<string, string> = {}, pathFirst?: string): NodeJS.ProcessEnv {
  return { ...cleanEnv(), ...(pathFirst ? { PATH: `${pathFirst}${path.delimiter}${process.env.PATH}` } : {}), ...extra };
}

function promemu(args: string[], options: { env?: NodeJS.ProcessEnv; stdout?: number | "pipe" } = {}) {
  const result = spawnSync(process.execPath, [EMULATOR_BIN, ...args], {
    env: options.env ?? env(),
    encoding: "utf8",
    timeout: 60_000,
    stdio: ["ignore", options.stdout ?? "pipe", "pipe"],
  });
  return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr, out: (result.stdout ?? "") + result.stderr };
}

/**
 * A fake promtool: `create-blocks-from openmetrics` writes a block folder (a meta.json of the file's range) into
 * the output folder, or, on call number `failOn`, says "boom" and exits 1; `hang` makes it sleep (a long block).
 */
function fakePromtool(options: { failOn?: number; hang?: boolean } = {}): string {
  const dir = path.join(root, "bin");
  fs.mkdirSync(dir, { recursive: true });
  const counter = path.join(root, "promtool-calls");
  fs.writeFileSync(
    path.join(dir, "promtool"),
    `#!${process.execPath}
const fs = require("fs"), path = require("path");
const n = (fs.existsSync(${JSON.stringify(counter)}) ? Number(fs.readFileSync(${JSON.stringify(counter)}, "utf8")) : 0) + 1;
fs.writeFileSync(${JSON.stringify(counter)}, String(n));
if (${options.failOn ?? 0} === n) { process.stderr.write("boom: promtool failed on file " + n + "\\n"); process.exit(1); }
const [file, out] = process.argv.slice(-2);
const block = path.join(out, "01BLOCK" + String(n).padStart(19, "0"));
fs.mkdirSync(block, { recursive: true });
fs.writeFileSync(path.join(block, "meta.json"), JSON.stringify({ minTime: 0, maxTime: 1 }));
if (${options.hang === true}) setTimeout(() => undefined, 600000);
`,
  );
  fs.chmodSync(path.join(dir, "promtool"), 0o755);
  return dir;
}

/** interruptCli with this file's environment (`pathFirst` first on PATH, e.g. a fake promtool). */
const interrupt = (args: string[], signal: NodeJS.Signals, ready: (output: string) => boolean, pathFirst?: string) => interruptCli(args, signal, ready, { env: env({}, pathFirst) });

const entries = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);

describe("1. a signal stops long work within a second, removes what was half written, and exits 130/143", () => {
  it("backfill (OpenMetrics) on SIGINT: 130, no file, no temporary file", async () => {
    const out = path.join(root, "om");
    // Three days: ~330 MB and ~2 s of writing, long enough to be interrupted, small enough for the disk check
    // (which refuses before the work starts) on a machine with little free space.
    const result = await interrupt(["backfill", "--from", "-3d", "--out", out], "SIGINT", (o) => o.includes("(estimated)"));
    expect(result.code).toBe(130);
    expect(result.stopMs).toBeLessThan(1_500);
    expect(result.output).toContain(`interrupted by SIGINT: nothing was written into ${out} (the partial file was removed)`);
    expect(entries(out)).toEqual([]);
    expect(result.output).not.toMatch(NO_TRACE);
  });

  it("backfill --format blocks on SIGTERM while promtool works: 143, promtool stopped, no blocks, no staging folder", async () => {
    const bin = fakePromtool({ hang: true });
    const out = path.join(root, "blocks");
    const result = await interrupt(["backfill", "--from", "-5h", "--out", out, "--format", "blocks"], "SIGTERM", () => fs.existsSync(path.join(root, "promtool-calls")), bin);
    expect(result.code).toBe(143);
    expect(result.stopMs).toBeLessThan(1_500);
    expect(entries(out)).toEqual([]);
    expect(result.output).not.toMatch(NO_TRACE);
  });

  it("run --history 10y on SIGINT and SIGTERM while the history is played: 130/143 at once", async () => {
    for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
      const result = await interrupt(["run", "--history", "10y", "--listen", "127.0.0.1:0", "--status-interval", "0"], signal, (o) => o.includes("after the history since"));
      expect(result.code).toBe(code);
      expect(result.stopMs).toBeLessThan(1_500);
      expect(result.output).toContain(`${signal}: stopping while the history is played (nothing was sent yet)`);
    }
  });

  it("history write on SIGINT: 130, nothing in the data directory (no record, no staging folder)", async () => {
    const bin = fakePromtool({ hang: true });
    const data = path.join(root, "data");
    const result = await interrupt(["history", "write", "--data", data, "--start-at", "-5h"], "SIGINT", () => fs.existsSync(path.join(root, "promtool-calls")), bin);
    expect(result.code).toBe(130);
    expect(result.output).toContain(`no history was written into ${data}`);
    expect(entries(data)).toEqual([]);
  });
});

describe("2. a failing promtool is reported as itself, not as EBADF, and leaves nothing behind", () => {
  it("promtool failing on the second of three 2 h files: exit 1 with promtool's words, --out as it was", () => {
    const bin = fakePromtool({ failOn: 2 });
    const out = path.join(root, "blocks");
    const result = promemu(["backfill", "--from", "-5h", "--out", out, "--format", "blocks"], { env: env({}, bin) });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("boom: promtool failed on file 2");
    expect(result.stderr).not.toMatch(NO_TRACE);
    expect(entries(out)).toEqual([]);
  });
});

describe("3. a YAML 'billion laughs' is refused in bounded memory, exit 2", () => {
  it("validate refuses it as invalid YAML naming the file, within seconds", () => {
    const file = path.join(root, "lol.yaml");
    fs.writeFileSync(file, BILLION_LAUGHS + "hosts: [{name: h, role: r, metrics: {x: 1}}]\n");
    const began = Date.now();
    const result = promemu(["validate", file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${file}: not valid YAML: the document expands to more than 1,000,000 values through its aliases`);
    expect(Date.now() - began).toBeLessThan(10_000);
  });

  it("check --rules refuses one too; a document that contains itself is refused; shared anchors of normal size load", () => {
    const file = path.join(root, "rules.yml");
    fs.writeFileSync(file, BILLION_LAUGHS + "groups: []\n");
    const result = promemu(["check", "--rules", file, "--prometheus-url", "http://127.0.0.1:9"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("expands to more than 1,000,000 values");
    expect(() => loadYaml("a: &a [*a]")).toThrow("refers to a node that contains it");
    expect(loadYaml("base: &b {x: 1}\none: *b\ntwo: *b\n")).toEqual({ base: { x: 1 }, one: { x: 1 }, two: { x: 1 } });
  });
});

describe("4. impossible dates and absurd ranges are refused before anything is written", () => {
  it("refuses dates that do not exist, accepts the ones that do", () => {
    for (const text of ["2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T10:60:00Z", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00+25:00"]) {
      expect(parseRfc3339(text)).toBeUndefined();
    }
    expect(parseRfc3339("2024-02-29T23:59:59Z")).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
    expect(parseRfc3339("2026-01-05T10:00:00+01:00")).toBe(Date.UTC(2026, 0, 5, 9));
    const result = promemu(["backfill", "--from", "2026-02-30T00:00:00Z", "--to", "2026-03-02T00:00:00Z", "--out", path.join(root, "x")]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--from "2026-02-30T00:00:00Z": must be an RFC 3339 time');
  });

  it("--from -10y is refused with its estimated samples, disk and time, and the flag that allows it", () => {
    const out = path.join(root, "ten-years");
    const result = promemu(["backfill", "--from", "-10y", "--out", out]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/backfill of default over 3650d would be about 2,18\d,\d{3},\d{3} samples, \d+ GB of disk and \d+d?\d*h.* more than the limit of 100,000,000 samples.*--max-samples/);
    expect(entries(out)).toEqual([]);
  });
});

describe("5. a full disk is a failure; files are whole or absent", () => {
  it("list > /dev/full: exit 1 naming standard output", () => {
    const fd = fs.openSync("/dev/full", "w");
    try {
      const result = promemu(["list"], { stdout: fd });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("promemu: cannot write to standard output: no space left on the device (ENOSPC)");
    } finally {
      fs.closeSync(fd);
    }
  });

  it("a closed pipe is still quiet: exit 0", () => {
    const result = spawnSync("/bin/sh", ["-c", `"${process.execPath}" "${EMULATOR_BIN}" list | head -c 1 >/dev/null`], { env: env(), encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe("");
  });

  it("backfill's OpenMetrics file over its size limit (ulimit -f): exit 1 naming the file, no truncated default.om", () => {
    const out = path.join(root, "small");
    const result = spawnSync("/bin/sh", ["-c", `ulimit -f 2048; exec "${process.execPath}" "${EMULATOR_BIN}" backfill --from -2h --out "${out}"`], { env: env(), encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`cannot write ${path.join(out, "default.om")}: the file is larger than allowed (ulimit -f) (EFBIG)`);
    expect(entries(out)).toEqual([]);
  });
});

/** A stand-in for Prometheus' HTTP API on `port` (0: any), answering every path with `answer(path)`. */
async function fakePrometheus(answer: (url: string) => unknown, port = 0): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(answer(req.url!))));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return server;
}

/** The check runs without promtool on PATH here: rule files are then judged by the server's parser. */
const noPromtool = () => env({ PATH: path.dirname(process.execPath) });

describe("6-8. check: rule files Prometheus refuses, ports fetch blocks, answers that are not Prometheus'", () => {
  const servers: http.Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  it("6. a record that is not a metric name, or a bad label name: exit 2 naming file and rule", () => {
    const file = path.join(root, "rules.yml");
    fs.writeFileSync(file, "groups:\n  - name: g\n    rules:\n      - record: not a metric\n        expr: up\n");
    const result = promemu(["check", "--rules", file, "--prometheus-url", "http://127.0.0.1:9"], { env: noPromtool() });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${file}: groups[0].rules[0].record: must be a metric name`);
    fs.writeFileSync(file, "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        labels: {bad-label: x}\n");
    expect(promemu(["check", "--rules", file, "--prometheus-url", "http://127.0.0.1:9"], { env: noPromtool() }).stderr).toContain("is not a valid label name");
  });

  it("6. invalid PromQL (the server's parse error, without promtool): exit 2 naming file, group and rule", async () => {
    const server = await fakePrometheus((url) =>
      url.startsWith("/api/v1/rules") ? { status: "success", data: { groups: [] } } : { status: "error", errorType: "bad_data", error: "1:12: parse error: unclosed left parenthesis" },
    );
    servers.push(server);
    const file = path.join(root, "rules.yml");
    fs.writeFileSync(file, "groups:\n  - name: g\n    rules:\n      - alert: Broken\n        expr: rate(up[5m]\n");
    const result = await promemuAsync(["check", "--rules", file, "--prometheus-url", `http://127.0.0.1:${(server.address() as AddressInfo).port}`], { env: noPromtool() });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${file}: group "g", rule "Broken": 1:12: parse error: unclosed left parenthesis`);
  });

  it("7. reaches a Prometheus on a port fetch refuses (6000, 6666, 10080, ...)", async () => {
    let server: http.Server | undefined;
    let port = 0;
    for (const candidate of [6666, 6000, 10080, 6665, 6667, 6668, 6669, 6697]) {
      try {
        server = await fakePrometheus(() => ({ status: "success", data: { resultType: "vector", result: [] } }), candidate);
        port = candidate;
        break;
      } catch {
        // taken: the next blocked port
      }
    }
    if (!server) return console.warn("every port fetch blocks is taken here; skipped");
    servers.push(server);
    const dashboard = path.join(root, "d.json");
    fs.writeFileSync(dashboard, JSON.stringify({ title: "d", panels: [{ title: "p", targets: [{ refId: "A", expr: "up" }] }] }));
    const result = await promemuAsync(["check", "--dashboard", dashboard, "--prometheus-url", `http://127.0.0.1:${port}`]);
    expect(result.stderr).not.toContain("bad port");
    expect(result.stdout).toContain("up");
    expect(result.status).toBe(0);
  });

  it("8. a null panel is exit 2 with its path; an answer of another shape than Prometheus' is exit 3", async () => {
    const dashboard = path.join(root, "d.json");
    fs.writeFileSync(dashboard, JSON.stringify({ title: "d", panels: [{ title: "ok", targets: [] }, null] }));
    const bad = promemu(["check", "--dashboard", dashboard, "--prometheus-url", "http://127.0.0.1:9"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`${dashboard}: panels[1]: expected object, received null`);
    expect(bad.stderr).not.toMatch(NO_TRACE);

    const server = await fakePrometheus(() => ({ status: "success", data: [] }));
    servers.push(server);
    const rules = path.join(root, "rules.yml");
    fs.writeFileSync(rules, "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n");
    const result = await promemuAsync(["check", "--rules", rules, "--prometheus-url", `http://127.0.0.1:${(server.address() as AddressInfo).port}`], { env: noPromtool() });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain("/api/v1/rules answered HTTP 200 with data of another shape than Prometheus'");
  });
});

describe("9-16. messages, limits and leftovers", () => {
  it("9. a password in a URL without a scheme is not echoed", () => {
    expect(redactUrl("user:pw@host:9091")).toBe("***@host:9091");
    expect(redactUrl("user:pw@host:9091/x@y")).toBe("***@host:9091/x@y");
    const result = promemu(["run", "--pushgateway-url", "user:s3cret@pg:9091"]);
    expect(result.status).toBe(2);
    expect(result.stderr).not.toContain("s3cret");
  });

  it("10. history write names its own flags, each problem once; --set values are quoted whole and named by origin", () => {
    const noArgs = promemu(["history", "write"]);
    expect(noArgs.status).toBe(2);
    expect(noArgs.stderr.match(/--start-at is required/g)).toHaveLength(1);
    expect(noArgs.stderr).toContain("--data is required");
    expect(noArgs.stderr).not.toContain("--out");
    const devNull = promemu(["history", "write", "--data", "/dev/null", "--start-at", "-1h"]);
    expect(devNull.stderr).toContain('--data "/dev/null": is not a directory');
    expect(devNull.stderr).not.toContain("--out");

    const comma = promemu(["validate", "default", "--set", "hosts.count=2,x"]);
    expect(comma.status).toBe(2);
    expect(comma.stderr).toContain(`--set "hosts.count=2,x": "x" is not key=value; commas separate pairs, so a value with a comma needs the JSON form`);
    const flag = promemu(["run", "--listen", ":0", "--set", "hosts.count=-1"]);
    expect(flag.stderr).toContain("--set hosts.count=-1: hosts[1].count:");
    expect(flag.stderr).toContain("(got -1)");
    expect(flag.stderr).not.toContain("PROMEMU_SET");
  });

  it("11. an --out it cannot create (a file in the path) is exit 2 naming the flag", () => {
    fs.writeFileSync(path.join(root, "file"), "");
    const result = promemu(["backfill", "--from", "-1h", "--out", path.join(root, "file", "sub")]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`--out "${path.join(root, "file", "sub")}": cannot write there: a part of the path is a file, not a directory (ENOTDIR)`);
  });

  it("12. history rules: invalid PromQL names the user's file; an unreachable Prometheus is exit 3", () => {
    const data = path.join(root, "data");
    fs.mkdirSync(data);
    fs.writeFileSync(path.join(data, "promemu-history.json"), JSON.stringify({ version: 1, identity: {}, from: "2026-01-01T00:00:00Z", to: "2026-01-01T01:00:00Z", samples: 1, blocks: [], writtenAt: "x" }));
    const rules = path.join(root, "mine.yml");
    fs.writeFileSync(rules, "groups:\n  - name: g\n    rules:\n      - record: job:up:sum\n        expr: sum(up\n");
    // A promtool whose `check rules` fails the way the real one does, naming the file it was given.
    const bin = path.join(root, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "promtool"), `#!/bin/sh\nif [ "$1" = check ] && grep -q 'sum(up$' "$3"; then echo "Checking $3"; echo "  FAILED:"; echo "$3: 5:15: group \\"g\\", rule 1, \\"job:up:sum\\": could not parse expression"; exit 1; fi\nexit 0\n`);
    fs.chmodSync(path.join(bin, "promtool"), 0o755);
    const bad = promemu(["history", "rules", "--data", data, "--url", "http://127.0.0.1:9", "--wait", "1s", rules], { env: env({}, bin) });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`${rules}: 5:15: group "g", rule 1, "job:up:sum": could not parse expression`);
    expect(bad.stderr).not.toContain(".promemu-history-staging");
    fs.writeFileSync(rules, "groups:\n  - name: g\n    rules:\n      - record: job:up:sum\n        expr: sum(up)\n");
    const down = promemu(["history", "rules", "--data", data, "--url", "http://127.0.0.1:9", "--wait", "1s", rules], { env: env({}, bin) });
    expect(down.status).toBe(3);
    expect(down.stderr).toContain("Prometheus at http://127.0.0.1:9 was not ready within 1s");
  });

  it("13. push and status intervals below 100ms are refused", () => {
    expect(() => parseRunOptions(raw({ pushInterval: "1ms", listen: ":0" }))).toThrow('--push-interval "1ms": must be at least 100ms');
    expect(() => parseRunOptions(raw({ statusInterval: "5ms", listen: ":0" }))).toThrow('--status-interval "5ms": must be at least 100ms (or 0 for none)');
    expect(parseRunOptions(raw({ statusInterval: "0", listen: ":0" })).statusIntervalMs).toBe(0);
  });

  it("14. a Retry-After of years is logged as the capped wait", async () => {
    const logs: string[] = [];
    let calls = 0;
    const queue = new RemoteWriteQueue({
      client: {
        url: "http://receiver/api/v1/write",
        send: async () => {
          if (calls++ === 0) throw new RemoteWriteError("HTTP 429 slow down", true, 429, 100_000 * 86_400_000);
        },
      },
      shards: 1,
      maxPendingSamples: 1000,
      log: (line) => logs.push(line),
      maxRetryAfterMs: 50,
    });
    const batch: Batch = { body: new Uint8Array([1]), samples: 1, oldestMs: 0 };
    queue.enqueue(0, [batch]);
    const deadline = Date.now() + 5_000;
    while (calls < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await queue.close(1_000);
    expect(logs[0]).toContain("retrying after 50ms (Retry-After, capped)");
    expect(logs.join("\n")).not.toContain("100000d");
  });

  it("15. a backfill into a folder with earlier output is refused: an existing .om, blocks over the range", () => {
    const out = path.join(root, "out");
    expect(promemu(["backfill", "--from", "-1h", "--out", out]).status).toBe(0);
    const again = promemu(["backfill", "--from", "-1h", "--out", out, "--seed", "7"]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain(`${path.join(out, "default.om")} exists already`);

    const blocks = path.join(root, "blocks");
    const block = path.join(blocks, "01OLDBLOCK0000000000000000");
    fs.mkdirSync(block, { recursive: true });
    fs.writeFileSync(path.join(block, "meta.json"), JSON.stringify({ minTime: Date.now() - 1_800_000, maxTime: Date.now() - 600_000 }));
    const overlap = promemu(["backfill", "--from", "-1h", "--out", blocks, "--format", "blocks"], { env: env({}, fakePromtool()) });
    expect(overlap.status).toBe(2);
    expect(overlap.stderr).toContain("holds 1 block within");
    expect(overlap.stderr).toContain("01OLDBLOCK0000000000000000");
    expect(entries(blocks)).toEqual(["01OLDBLOCK0000000000000000"]);
  });

  it("16. hosts.count=0x10 is refused; a shard without hosts is refused", () => {
    const hex = promemu(["validate", "default", "--set", "hosts.count=0x10"]);
    expect(hex.status).toBe(2);
    expect(hex.stderr).toContain("--set hosts.count=0x10: must be a number written in decimal");
    const shard = promemu(["run", "--listen", "127.0.0.1:0", "--shard", "1/99999"]);
    expect(shard.status).toBe(2);
    expect(shard.stderr).toContain('--shard "1/99999": shard 1 of 99999 has none of the 6 hosts of scenario default');
  });
});
