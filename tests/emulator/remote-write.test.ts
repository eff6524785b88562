/**
 * Remote write 1.0 as the emulator sends it: the WriteRequest encoding (decoded here by protobufjs,
 * not by our encoder), the headers, and the retry rules against a fake receiver on a free loopback
 * port: a 4xx is sent once, a 5xx retried with growing delays, a 429 after its Retry-After; and the
 * CLI's credentials, sent and never printed. The real Prometheus is in remote-write-prometheus.test.ts.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Engine } from "../../emulator/src/engine/engine";
import { renderHosts, renderSamples } from "../../emulator/src/exposition/render";
import type { CompiledScenario } from "../../emulator/src/model/types";
import { Runner } from "../../emulator/src/runner";
import { loadScenario, parseScenario } from "../../emulator/src/scenario/loader";
import { parseRetryAfter } from "../../emulator/src/sinks/remote-write/client";
import { ExpositionSampleSink, parseSampleLine } from "../../emulator/src/sinks/remote-write/exposition-samples";
import { WriteRequestWriter } from "../../emulator/src/sinks/remote-write/write-request";
import { Batcher, compress } from "../../emulator/src/sinks/remote-write/batcher";
import { Telemetry } from "../../emulator/src/telemetry";
import { eventually, sleep } from "../support/servers";
import { EMULATOR_BIN, tempFile } from "./helpers";
import { type FakeReceiver, decodeBody, startFakeReceiver } from "./remote-write-helpers";

const TWO_HOSTS = `hosts: [{name: a, role: r, metrics: {x: 1, y: {type: counter, rate: 2}}}, {name: b, role: r, metrics: {x: 2, y: {type: counter, rate: 3}}}]`;

function scenario(yaml = TWO_HOSTS): CompiledScenario {
  return parseScenario(yaml, "test.yaml", "test").scenario;
}

async function cycles(telemetry: Telemetry): Promise<number> {
  return (await telemetry.pushDuration.get()).values.find((v) => v.metricName === "promemu_push_duration_seconds_count")!.value;
}

function remoteRunner(url: string, extra: { backoff?: { initialMs: number; maxMs: number }; authorization?: string; shards?: number } = {}) {
  const logs: string[] = [];
  const telemetry = new Telemetry({ processMetrics: false });
  const runner = new Runner({
    scenario: scenario(),
    seed: 3,
    speed: 1,
    pushIntervalMs: 200,
    remoteWrite: {
      url,
      authorization: extra.authorization,
      userAgent: "promemu-test/1",
      timeoutMs: 2_000,
      shards: extra.shards ?? 1,
      maxSamplesPerRequest: 2000,
      maxPendingSamples: 100_000,
      backoff: extra.backoff ?? { initialMs: 100, maxMs: 1_000 },
    },
    telemetry,
    log: (line) => logs.push(line),
    random: () => 1,
  });
  return { runner, logs, telemetry };
}

describe("the WriteRequest encoding", () => {
  it("reads a text line into __name__ and labels sorted by name, escapes undone", () => {
    expect(parseSampleLine('m_bucket{role="r",host="a\\"b\\\\c\\nd",le="+Inf"} 12.5')).toEqual({
      labels: [
        ["__name__", "m_bucket"],
        ["host", 'a"b\\c\nd'],
        ["le", "+Inf"],
        ["role", "r"],
      ],
      value: 12.5,
    });
    expect(parseSampleLine("up 1")).toEqual({ labels: [["__name__", "up"]], value: 1 });
    expect(parseSampleLine('z{Zeta="1"} NaN').labels).toEqual([
      ["Zeta", "1"],
      ["__name__", "z"],
    ]);
    expect(parseSampleLine('z{a="1"} -Inf').value).toBe(-Infinity);
  });

  it("encodes series that protobufjs decodes to the same labels, value and millisecond timestamp", () => {
    const writer = new WriteRequestWriter(16);
    writer.addSeries([["__name__", "m"], ["host", "hôte-ü"], ["le", "0.5"]], 0.1 + 0.2, 1_795_000_000_123);
    writer.addSeries([["__name__", "n"]], -3, 0);
    expect(decodeBody(compress(writer.bytes()))).toEqual([
      { labels: [["__name__", "m"], ["host", "hôte-ü"], ["le", "0.5"]], samples: [{ value: 0.1 + 0.2, timestamp: 1_795_000_000_123 }] },
      { labels: [["__name__", "n"]], samples: [{ value: -3, timestamp: 0 }] },
    ]);
  });

  it("returns a compressed body that holds its own bytes only (a queued batch keeps no worst-case buffer alive)", () => {
    const writer = new WriteRequestWriter();
    for (let i = 0; i < 2000; i++) writer.addSeries([["__name__", "m"], ["host", `h-${i}`]], i, 1_795_000_000_000);
    const body = compress(writer.bytes());
    expect(body.buffer.byteLength).toBe(body.byteLength);
    expect(body.byteLength).toBeLessThan(writer.byteLength / 2);
    expect(decodeBody(body)).toHaveLength(2000);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.UTC(2026, 10, 27, 9, 0, 0);
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("Fri, 27 Nov 2026 09:00:07 GMT", now)).toBe(7000);
    expect(parseRetryAfter("Fri, 27 Nov 2026 08:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe("series from the rendered pieces", () => {
  const STAMP = 1_795_000_000_123;
  // Label names that sort before `__name__` (upper case) and between a histogram's labels and `le`,
  // escapes, non-ASCII and an empty value: wherever the cached pieces could go wrong.
  const ODD = `
labels: {Zone: 'a"b\\c', tier: "hôte-ü", lz: "", environment: sandbox}
hosts:
  - name: web-{{i}}
    count: 3
    role: web
    metrics:
      up_ratio: 1
      reqs: {type: counter, rate: 3}
      lat:
        type: histogram
        buckets: [0.05, 0.5, 1]
        observations: {rate: 40, distribution: {type: lognormal, median: 0.2, sigma: 0.7}}
`;

  /** The reference: every line read back whole (parseSampleLine) and encoded label by label. */
  function referenceBody(text: string): Buffer {
    return Buffer.from(writer(text).bytes());
  }

  function writer(text: string): WriteRequestWriter {
    const writer = new WriteRequestWriter();
    for (const line of text.split("\n")) {
      if (!line || line.startsWith("#")) continue;
      const { labels, value } = parseSampleLine(line);
      writer.addSeries(labels, value, STAMP);
    }
    return writer;
  }

  /** Also how many lines took the cached path (their own labels, `__name__` at least, kept apart from the host's). */
  function cachedBody(render: (out: { write(text: string): void }) => void): { body: Buffer; text: string; cached: number } {
    const writer = new WriteRequestWriter();
    let cached = 0;
    const sink = new ExpositionSampleSink((host, line, value) => {
      if (line.labels.length > 0) cached++;
      writer.addEncodedSeries(host, line, value, STAMP);
    });
    let text = "";
    render({
      write: (piece) => {
        text += piece;
        sink.write(piece);
      },
    });
    return { body: Buffer.from(writer.bytes()), text, cached };
  }

  it.each([
    ["default", () => new Engine(loadScenario("default", ["hosts.count=40"]).scenario, { seed: 5 })],
    ["odd labels and a histogram", () => new Engine(parseScenario(ODD, "odd.yaml", "odd").scenario, { seed: 5 })],
  ])("gives, for %s, the very bytes of reading every line back, cycle after cycle", (_name, build) => {
    const engine = build();
    for (const t of [30_000, 45_000, 60_000, 600_000]) {
      engine.advanceTo(t);
      // Host by host (remote write's order) and family by family (the Pushgateway's, headers included).
      const byHost = cachedBody((out) => renderSamples(engine.hosts, out));
      const byFamily = cachedBody((out) => renderHosts(engine.headers, engine.hosts, out));
      expect(byHost.cached).toBe(writer(byHost.text).series);
      expect(byFamily.cached).toBe(byHost.cached);
      expect(byHost.body.equals(referenceBody(byHost.text))).toBe(true);
      expect(byFamily.body.equals(referenceBody(byFamily.text))).toBe(true);
    }
  });

  it("reads pieces in any other shape, or whole lines, through parseSampleLine", () => {
    const pieces = [
      "# HELP m help\n# TYPE m gauge\n",
      'm{host="a"} 1\nm{host="b"} 2\n', // whole lines
      "m{", 'host="c"', "} ", "3", "\n", // the usual pieces
      "m{", 'host="d"', "} ", "4", "\n\n", // an empty line after it
      "m{", "", "} ", "5", "\n", // no host labels
      "m", "{", 'host="e"', ',le="1"} ', "6\n", // pieces cut elsewhere
      "m{", 'host="f"} 7\nm{host="g"', "} ", "8", "\n", // a piece holding a line end
      "m{", 'host="h",', ',le="0.5"} ', "9", "\n", // a comma too many
      "m_sum{", 'host="i"', "} ", "+Inf", "\n",
    ];
    const text = pieces.join("");
    const { body, cached } = cachedBody((out) => pieces.forEach((piece) => out.write(piece)));
    expect(body.equals(referenceBody(text))).toBe(true);
    expect(cached).toBe(2); // host c, and m_sum of host i
    expect(decodeBody(compress(body)).map((s) => s.samples[0].value)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, Infinity]);
  });

  it("batches a shard's hosts in slices: complete batches taken as they are cut, each batch with the timestamp of its first sample", () => {
    const engine = new Engine(loadScenario("default", ["hosts.count=40"]).scenario, { seed: 5 });
    engine.advanceTo(30_000);
    const count = (from: number, to: number) => renderSamples(engine.hosts, { write: () => undefined }, from, to);
    const batcher = new Batcher(100);
    batcher.begin(1_000);
    const early = batcher.write(engine.hosts, 0, 10);
    expect(early).toBe(count(0, 10));
    const first = batcher.take();
    expect(first.map((b) => [b.samples, b.oldestMs])).toEqual(Array.from({ length: Math.floor(early / 100) }, () => [100, 1_000]));
    batcher.stamp(2_000);
    const late = batcher.write(engine.hosts, 10, engine.hosts.length);
    const rest = batcher.finish();
    // The batch being filled when the time moved on began at 1,000; every later one at 2,000.
    const carried = early % 100;
    expect(carried).toBeGreaterThan(0);
    expect(rest.map((b) => b.oldestMs)).toEqual([1_000, ...rest.slice(1).map(() => 2_000)]);
    const stamps = rest.flatMap((b) => decodeBody(b.body)).map((s) => s.samples[0].timestamp);
    expect(stamps.slice(0, carried).every((t) => t === 1_000)).toBe(true);
    expect(stamps.slice(carried).every((t) => t === 2_000)).toBe(true);
    expect([...first, ...rest].reduce((sum, b) => sum + b.samples, 0)).toBe(early + late);
    expect(early + late).toBe(count(0, engine.hosts.length));
  });
});

describe("remote write against a fake receiver", () => {
  let receiver: FakeReceiver | undefined;
  const runners: Runner[] = [];
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
    await receiver?.close();
    receiver = undefined;
  });

  it("sends the headers the specification requires and series in timestamp order, one request in flight per shard", async () => {
    receiver = await startFakeReceiver(() => ({ status: 204 }));
    const { runner } = remoteRunner(receiver.url, { authorization: "Bearer tok-123", shards: 2 });
    runners.push(runner);
    runner.start();
    await eventually(async () => (receiver!.requests.length >= 8 ? true : undefined), 10_000, () => `${receiver!.requests.length} requests`, 50);
    await runner.stop();
    for (const request of receiver.requests) {
      expect(request.method).toBe("POST");
      expect(request.url).toBe("/api/v1/write");
      expect(request.headers).toMatchObject({
        "content-encoding": "snappy",
        "content-type": "application/x-protobuf",
        "x-prometheus-remote-write-version": "0.1.0",
        "user-agent": "promemu-test/1",
        authorization: "Bearer tok-123",
      });
    }
    expect(receiver.maxInFlight()).toBeLessThanOrEqual(2);
    const last = new Map<string, number>();
    let series = 0;
    for (const request of receiver.requests) {
      for (const ts of decodeBody(request.body)) {
        const names = ts.labels.map(([name]) => name);
        expect(names).toEqual([...names].sort());
        expect(names).toEqual(["__name__", "address", "host", "role"]);
        const key = JSON.stringify(ts.labels);
        expect(ts.samples).toHaveLength(1);
        expect(ts.samples[0].timestamp).toBeGreaterThan(last.get(key) ?? 0);
        last.set(key, ts.samples[0].timestamp);
        series++;
      }
    }
    expect(last.size).toBe(4);
    expect(series).toBeGreaterThanOrEqual(8);
  });

  it("does not retry a 400: exactly one request per batch, the samples counted as failed, logged once", async () => {
    receiver = await startFakeReceiver(() => ({ status: 400 }));
    const { runner, logs, telemetry } = remoteRunner(receiver.url);
    runners.push(runner);
    runner.start();
    await sleep(1_100);
    await runner.stop();
    const batches = await cycles(telemetry);
    expect(batches).toBeGreaterThanOrEqual(4);
    expect(receiver.requests).toHaveLength(batches);
    expect(runner.status().remoteWrite).toMatchObject({ sent: 0, retried: 0, failed: batches * 4, dropped: 0, pending: 0 });
    expect(logs.filter((line) => line.includes("refused"))).toEqual([
      `remote write to ${receiver.url} refused a batch of 4 samples: HTTP 400 answer 400; dropped, not retried`,
    ]);
  });

  it("retries a 503 with exponential backoff, keeps the samples in order, and loses none", async () => {
    receiver = await startFakeReceiver((i) => ({ status: i < 3 ? 503 : 200 }));
    const { runner, logs, telemetry } = remoteRunner(receiver.url, { backoff: { initialMs: 100, maxMs: 1_000 } });
    runners.push(runner);
    runner.start();
    await eventually(async () => (receiver!.requests.length >= 6 ? true : undefined), 10_000, () => `${receiver!.requests.length} requests`, 50);
    await runner.stop();
    const at = receiver.requests.map((r) => r.at);
    // random() = 1: the delays are the ceilings, 100, 200, 400 ms (a few ms of timer slack allowed).
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(95);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(195);
    expect(at[3] - at[2]).toBeGreaterThanOrEqual(395);
    expect(receiver.maxInFlight()).toBe(1);
    // The three failed attempts carried the same first batch; everything queued meanwhile followed in order.
    expect(receiver.requests[1].body).toEqual(receiver.requests[0].body);
    expect(receiver.requests[3].body).toEqual(receiver.requests[0].body);
    const accepted = receiver.requests.slice(3).flatMap((r) => decodeBody(r.body));
    const stamps = accepted.filter((ts) => ts.labels[0][1] === "x" && ts.labels.some(([n, v]) => n === "host" && v === "a")).map((ts) => ts.samples[0].timestamp);
    expect(stamps.length).toBeGreaterThanOrEqual(3);
    expect(stamps).toEqual([...stamps].sort((p, q) => p - q));
    expect(new Set(stamps).size).toBe(stamps.length);
    const batches = await cycles(telemetry);
    expect(runner.status().remoteWrite).toMatchObject({ sent: batches * 4, retried: 12, failed: 0, dropped: 0, pending: 0 });
    expect(logs.filter((line) => line.includes("failing"))).toHaveLength(1);
    expect(logs.filter((line) => line.includes("is back"))).toEqual([expect.stringContaining("after 3 failed attempts")]);
  });

  it("waits as long as a 429's Retry-After says", async () => {
    receiver = await startFakeReceiver((i) => (i === 0 ? { status: 429, headers: { "Retry-After": "1" } } : { status: 200 }));
    const { runner, logs } = remoteRunner(receiver.url, { backoff: { initialMs: 20, maxMs: 100 } });
    runners.push(runner);
    runner.start();
    await eventually(async () => (receiver!.requests.length >= 2 ? true : undefined), 5_000, () => `${receiver!.requests.length} requests`, 50);
    await runner.stop();
    expect(receiver.requests[1].at - receiver.requests[0].at).toBeGreaterThanOrEqual(990);
    expect(receiver.requests[1].body).toEqual(receiver.requests[0].body);
    expect(logs).toContainEqual(expect.stringContaining("HTTP 429 answer 429; retrying after 1s (Retry-After)"));
    expect(runner.status().remoteWrite).toMatchObject({ retried: 4, failed: 0, dropped: 0 });
  });
});

/** Runs the CLI to its end (bounded); resolves with its exit code and everything it printed. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [EMULATOR_BIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("remote-write credentials in the CLI", () => {
  let receiver: FakeReceiver;
  beforeEach(async () => {
    receiver = await startFakeReceiver(() => ({ status: 204 }));
  });
  afterEach(() => receiver.close());
  const run = ["run", "--push-interval", "200ms", "--duration", "600ms", "--status-interval", "0", "--set", "hosts.count=1"];

  it("sends basic authentication with the password from the environment, and never prints it", async () => {
    const password = "pw-from-env-7f3a";
    const { code, output } = await cli([...run, "--remote-write-url", receiver.url, "--remote-write-username", "alice"], {
      PROMEMU_REMOTE_WRITE_PASSWORD: password,
    });
    expect(code).toBe(0);
    expect(receiver.requests.length).toBeGreaterThan(0);
    const basic = Buffer.from(`alice:${password}`).toString("base64");
    expect(receiver.requests.every((r) => r.headers.authorization === `Basic ${basic}`)).toBe(true);
    expect(output).toContain("basic authentication");
    expect(output).not.toContain(password);
    expect(output).not.toContain(basic);
  });

  it("sends a bearer token from a file, and credentials of the URL redacted in every line", async () => {
    const token = "tok-in-a-file-93bd";
    const file = tempFile("token", `${token}\n`);
    const url = receiver.url.replace("http://", "http://bob:url-secret-11@");
    const withToken = await cli([...run, "--remote-write-url", receiver.url, "--remote-write-bearer-token-file", file]);
    expect(withToken.code).toBe(0);
    expect(receiver.requests.every((r) => r.headers.authorization === `Bearer ${token}`)).toBe(true);
    expect(withToken.output).not.toContain(token);
    const inUrl = await cli([...run, "--remote-write-url", url]);
    expect(inUrl.code).toBe(0);
    expect(receiver.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from("bob:url-secret-11").toString("base64")}`);
    expect(inUrl.output).toContain("http://***@127.0.0.1");
    expect(inUrl.output).not.toContain("url-secret-11");
  });

  it("refuses secret files that would hang or flood it (a FIFO, /dev/zero, a folder, a huge or two-line file), at once", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-secrets-"));
    try {
      const fifo = path.join(dir, "fifo");
      execFileSync("mkfifo", [fifo]);
      fs.writeFileSync(path.join(dir, "huge"), "x".repeat(70 * 1024));
      fs.writeFileSync(path.join(dir, "two-lines"), "alice\ns3cret-two-lines\n");
      const started = Date.now();
      const runWith = (file: string) => cli(["run", "--remote-write-url", receiver.url, "--remote-write-username", "u", "--remote-write-password-file", file]);
      const results = await Promise.all([fifo, "/dev/zero", dir, path.join(dir, "huge"), path.join(dir, "two-lines")].map(runWith));
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(results.map((r) => r.code)).toEqual([2, 2, 2, 2, 2]);
      expect(results[0].output).toContain(`--remote-write-password-file "${fifo}": cannot be read (not a regular file (a device, pipe or socket))`);
      expect(results[1].output).toContain('--remote-write-password-file "/dev/zero": cannot be read (not a regular file');
      expect(results[2].output).toContain(`--remote-write-password-file "${dir}": cannot be read (a directory, not a file)`);
      expect(results[3].output).toContain("more than a secret's 64 KiB");
      expect(results[4].output).toContain("holds more than one line; a secret file holds the secret alone");
      expect(results[4].output).not.toContain("s3cret-two-lines");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses contradictory or unreadable credentials with every problem at once, exit 2, no stack trace, no secret", async () => {
    const secret = "never-shown-5521";
    const { code, output } = await cli(
      ["run", "--remote-write-url", `http://u:${secret}@127.0.0.1:1/api/v1/write`, "--remote-write-username", "x", "--remote-write-bearer-token-file", "/nonexistent/token", "--remote-write-batch", "0"],
      { PROMEMU_REMOTE_WRITE_PASSWORD: secret },
    );
    expect(code).toBe(2);
    expect(output).toContain('promemu: --remote-write-batch "0": must be a whole number from 1 to 100000');
    expect(output).toContain('promemu: --remote-write-bearer-token-file "/nonexistent/token": cannot be read (ENOENT)');
    expect(output).toContain("promemu: --remote-write-username and credentials in the URL both given: use one");
    expect(output).not.toContain(secret);
    expect(output).not.toMatch(/\n\s+at /);
    const both = await cli(["run", "--remote-write-url", receiver.url, "--pushgateway-url", "http://127.0.0.1:1", "--remote-write-password-file", "/etc/hostname"]);
    expect(both.code).toBe(2);
    expect(both.output).toContain("give --pushgateway-url or --remote-write-url, not both");
    expect(both.output).toContain("a remote-write password without a user name: give --remote-write-username too");
    expect(receiver.requests).toHaveLength(0);
  });
});
