/**
 * The emulator's remote write into a real distributed receiver: three `thanos receive` in one hash ring (replication
 * factor 3, so a write needs 2 of 3), a `thanos query` deduplicating by the `replica` label, and `promemu run --shard k/3`
 * processes, each writing to another receiver. Proven here, with Thanos v0.42.4 built from its Go module
 * (scripts/servers/build.sh thanos):
 *
 * - every host's series arrive exactly once as the deduplicating querier sees them: as many (series, timestamp) pairs
 *   as the shards were acknowledged, each value the one a fresh engine with the same seed has at that timestamp;
 * - a receiver killed with SIGKILL mid-run: the others keep accepting (quorum 2 of 3: the shards writing to them never
 *   retry), the shard writing to it keeps its samples and delivers them once it is back on its data, and what it had
 *   acknowledged before the kill is still there; two receivers down (quorum lost): the survivor answers 503, which the
 *   emulator retries until they are back; nothing is lost;
 * - the same answers as a single pinned Prometheus holding the same seed's samples: the stack's alert expressions and
 *   dashboard-like queries over the default scenario, and node_exporter USE rules over an exporter profile's hosts
 *   (fleet-calm scraped by that Prometheus, which also remote-writes what it scraped into the ring);
 * - a 409 (Thanos' answer when a sample conflicts with one stored: another value at the same timestamp) is not retried,
 *   as the remote-write spec says of every 4xx but 429: the batch is counted as failed, the next ones go on;
 * - two teams' data kept apart by the THANOS-TENANT header (`promemu run --remote-write-header THANOS-TENANT=...`):
 *   their own TSDBs in each receiver, and a querier enforcing tenancy shows each team only its own values.
 *
 * What Thanos answers, read in pkg/receive/handler.go at v0.42.4: 409 for errConflict (out of order, duplicate
 * timestamp with another value, out of bounds, too old), 503 for errNotReady/errUnavailable (quorum not reached),
 * 400 for a bad request or replica, 413 for a request too large, 429 above a tenant's series limit, 500 otherwise;
 * the tenant header is THANOS-TENANT (pkg/tenancy DefaultTenantHeader), the tenant label tenant_id.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { type AlertRule, renderAlertRules } from "../../config/rules";
import { parseSettings } from "../../config/settings";
import { Engine } from "../../emulator/src/engine/engine";
import { renderText } from "../../emulator/src/exposition/render";
import { loadScenario } from "../../emulator/src/scenario/loader";
import { processShardOf } from "../../emulator/src/scenario/shard";
import { parseSampleLine } from "../../emulator/src/sinks/remote-write/exposition-samples";
import { decodeBody, encodeBody } from "../emulator/remote-write-helpers";
import { type ServedScenario, exporterScrapeConfig, serveScenario } from "../support/emulator-server";
import { type ManagedProcess, type RunningServer, eventually, freePort, sleep, startProcess, startPrometheus, stopAllServers } from "../support/servers";
import { type Querier, type Ring, describeWithThanos, startQuerier, startRing, waitForStores } from "../support/thanos";
import { EMULATOR_ENTRY } from "./emulator-process";

const SEED = 42;
const HOSTS = ["hosts.count=10"];
const SHARDS = 3;
const PUSH = "1s";

// --- the emulator as a process -------------------------------------------------------------------------------

interface Shard {
  readonly index: number;
  readonly process: ManagedProcess;
  readonly metricsUrl: string;
  exited(): Promise<number | null>;
}

/** `promemu run` with its own environment (none of this process' PROMEMU_* variables) and a /metrics endpoint. */
async function startEmulator(args: string[]): Promise<Omit<Shard, "index">> {
  const port = await freePort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("PROMEMU_")));
  const child = startProcess(process.execPath, [EMULATOR_ENTRY, "run", "--listen", `127.0.0.1:${port}`, "--status-interval", "0", "--push-timeout", "2s", ...args], { env });
  const exit = new Promise<number | null>((resolve) => child.process.once("exit", (code) => resolve(code)));
  return { process: child, metricsUrl: `http://127.0.0.1:${port}/metrics`, exited: () => exit };
}

/** promemu_remote_write_samples_total by result, from a running emulator's /metrics. */
async function remoteWriteCounts(metricsUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(2000) })).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^promemu_remote_write_samples_total\{result="(\w+)"\} (\S+)$/gm)) counts[m[1]] = Number(m[2]);
  return counts;
}

interface FinalStatus {
  state: string;
  sent: number;
  pending: number;
  retried: number;
  failed: number;
  dropped: number;
}

/** The last status line a finished `promemu run` printed. */
function finalStatus(output: string): FinalStatus {
  const all = [...output.matchAll(/remote write (\w+): (\d+) sent, (\d+) pending, (\d+) retried, (\d+) failed, (\d+) dropped/g)];
  if (all.length === 0) throw new Error(`no status line in:\n${output}`);
  const m = all[all.length - 1];
  return { state: m[1], sent: Number(m[2]), pending: Number(m[3]), retried: Number(m[4]), failed: Number(m[5]), dropped: Number(m[6]) };
}

// --- queries ----------------------------------------------------------------------------------------------------

interface Series {
  metric: Record<string, string>;
  values?: [number, string][];
  value?: [number, string];
}

async function query(base: string, expr: string, timeSeconds: number, options: { dedup?: boolean; tenant?: string } = {}): Promise<Series[]> {
  const params = new URLSearchParams({ query: expr, time: String(timeSeconds) });
  if (options.dedup !== undefined) params.set("dedup", String(options.dedup));
  // Thanos: fail rather than answer from the stores it can reach.
  params.set("partial_response", "false");
  const res = await fetch(`${base}/api/v1/query?${params}`, { headers: options.tenant ? { "THANOS-TENANT": options.tenant } : {}, signal: AbortSignal.timeout(20_000) });
  const body = (await res.json()) as { status: string; error?: string; data: { resultType: string; result: Series[] } };
  if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
  return body.data.resultType === "scalar" ? [{ metric: {}, value: body.data.result as unknown as [number, string] }] : body.data.result;
}

/** The labels of a series as a key, without the ring's own labels (replica, tenant_id). */
function seriesKey(metric: Record<string, string>): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(metric)
        .filter(([name]) => name !== "replica" && name !== "tenant_id")
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    ),
  );
}

/** Every answer of `expr` at each time, as key -> value, from the ring's querier and from a Prometheus; both must agree. */
async function expectSameAnswers(querier: Querier, prometheus: RunningServer, exprs: string[], times: number[], tenant?: string): Promise<number> {
  let compared = 0;
  for (const expr of exprs) {
    for (const t of times) {
      const [ring, single] = await Promise.all([query(querier.url, expr, t, { tenant }), query(prometheus.url, expr, t)]);
      const asMap = (result: Series[]) => new Map(result.map((s) => [seriesKey(s.metric), Number(s.value![1])]));
      const a = asMap(ring);
      const b = asMap(single);
      expect({ expr, t, keys: [...a.keys()].sort() }).toEqual({ expr, t, keys: [...b.keys()].sort() });
      for (const [key, value] of b) {
        const other = a.get(key)!;
        const close = Number.isNaN(value) ? Number.isNaN(other) : Math.abs(other - value) <= 1e-9 * Math.max(1, Math.abs(value));
        if (!close) throw new Error(`${expr} at ${t} for ${key}: the ring says ${other}, Prometheus ${value}`);
        compared++;
      }
    }
  }
  return compared;
}

// --- the same seed's samples, from a fresh engine -----------------------------------------------------------------

/** What `promemu run --start-at <startAtMs> --speed 1 --seed <seed>` sends at wall time t: the engine at scenario time t - start. */
function referenceSamples(seed: number, overrides: string[], startAtMs: number, stamps: number[]): Map<number, Map<string, number>> {
  const engine = new Engine(loadScenario("default", overrides).scenario, { seed, epochMs: startAtMs });
  const out = new Map<number, Map<string, number>>();
  for (const stamp of [...stamps].sort((a, b) => a - b)) {
    engine.advanceTo(stamp - startAtMs);
    const lines = renderText(engine.headers, engine.activeHosts()).text.split("\n").filter((line) => line && !line.startsWith("#"));
    out.set(stamp, new Map(lines.map(parseSampleLine).map((p) => [seriesKey(Object.fromEntries(p.labels)), p.value])));
  }
  return out;
}

/** A remote-write 1.0 body made here (protobufjs + snappy), not by the emulator's encoder. */
const encodeWriteRequest = encodeBody;

async function post(url: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: "POST",
    body,
    headers: { "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf", "X-Prometheus-Remote-Write-Version": "0.1.0", ...headers },
  });
  return { status: res.status, text: await res.text() };
}

// --- the suite ------------------------------------------------------------------------------------------------------

describeWithThanos()("emulator shards into a Thanos Receive hash ring (3 receivers, replication factor 3)", () => {
  let ring: Ring;
  let querier: Querier;
  let exporters: ServedScenario | undefined;
  let scraper: RunningServer | undefined;
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-thanos-test-"));
  // What the first test leaves for the next: the deduplicated samples and when the run was.
  let stored: Series[] = [];
  let startAtMs = 0;
  let runEnd = 0;

  beforeAll(async () => {
    ring = await startRing(3, 3);
    querier = await startQuerier(ring.receivers);
    // Up to 4 minutes more when the ring must wait out a Thanos prune minute (tests/support/thanos.ts).
  }, 420_000);

  afterAll(async () => {
    await exporters?.stop();
    await stopAllServers();
    await ring?.close();
    fs.rmSync(temp, { recursive: true, force: true });
  }, 60_000);

  it("delivers every host's series exactly once, through a receiver killed and restarted and a lost quorum, with the seed's values", async () => {
    const [r1, r2, r3] = ring.receivers;
    // node_exporter hosts of an exporter profile, scraped by a single Prometheus that remote-writes what it scraped into
    // the ring (tenant "exporters"): the next test compares the two over the same window.
    exporters = await serveScenario("fleet-calm", ["scrape.interval=1s"]);
    const config = path.join(temp, "prometheus.yml");
    fs.writeFileSync(
      config,
      exporterScrapeConfig(exporters.url, ["node"], []) +
        [
          "remote_write:",
          `  - url: ${r1.writeUrl}`,
          "    headers: {THANOS-TENANT: exporters}",
          "    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}",
          "",
        ].join("\n"),
    );
    scraper = await startPrometheus({ configFile: config });

    // The shards: the same seed and start, hosts split by --shard, shard k writing to receiver k.
    startAtMs = Math.floor(Date.now() / 1000) * 1000 - 120_000;
    const shards: Shard[] = [];
    for (let k = 1; k <= SHARDS; k++) {
      const url = ring.receivers[k - 1].writeUrl;
      const args = ["--scenario", "default", "--set", HOSTS[0], "--seed", String(SEED), "--shard", `${k}/${SHARDS}`, "--remote-write-url", url];
      shards.push({ index: k, ...(await startEmulator([...args, "--push-interval", PUSH, "--start-at", new Date(startAtMs).toISOString(), "--duration", "40s"])) });
    }
    const counts = () => Promise.all(shards.map((s) => remoteWriteCounts(s.metricsUrl)));
    await eventually(async () => ((await counts()).every((c) => (c.sent ?? 0) > 0) ? true : undefined), 30_000, () => shards.map((s) => s.process.output()).join("\n"));
    await sleep(3_000);

    // One receiver killed: quorum (2 of 3) still reached for the shards writing to the others.
    const killedAt = Date.now();
    await r3.kill();
    const before = await counts();
    await sleep(6_000);
    const during = await counts();
    for (const i of [0, 1]) {
      expect(during[i].sent).toBeGreaterThan(before[i].sent);
      expect(during[i].retried ?? 0).toBe(0);
      expect(during[i].failed ?? 0).toBe(0);
    }
    // The shard writing to the dead one keeps retrying (connection refused), samples kept.
    expect(during[2].retried).toBeGreaterThan(0);
    await r3.start();
    const backAt = Date.now();
    await sleep(3_000);

    // Two down: the survivor cannot reach quorum and answers 503, retried by the shard writing to it.
    await Promise.all([r2.kill(), r3.kill()]);
    await eventually(async () => ((await counts())[0].retried ?? 0) > 0 ? true : undefined, 10_000, () => shards[0].process.output());
    await sleep(2_000);
    await Promise.all([r2.start(), r3.start()]);

    const codes = await Promise.all(shards.map((s) => s.exited()));
    runEnd = Date.now();
    const outputs = shards.map((s) => s.process.output());
    expect(codes).toEqual([0, 0, 0]);
    const finals = outputs.map(finalStatus);
    for (const f of finals) expect(f).toMatchObject({ pending: 0, failed: 0, dropped: 0 });
    expect(outputs[0]).toMatch(/failing: HTTP 503/);
    expect(outputs[0]).toMatch(/is back: sending again/);
    expect(outputs[2]).toMatch(/failing: .*ECONNREFUSED/);

    // Every (series, timestamp) acknowledged is in the ring once, with the seed's value there.
    await waitForStores(querier, 3);
    const at = Math.ceil(Date.now() / 1000);
    stored = await query(querier.url, `{host=~".+", tenant_id="default-tenant"}[10m]`, at, { dedup: true });
    const keys = stored.map((s) => seriesKey(s.metric));
    expect(new Set(keys).size).toBe(keys.length);
    const pairs = stored.reduce((n, s) => n + s.values!.length, 0);
    expect(pairs).toBe(finals.reduce((n, f) => n + f.sent, 0));
    const stamps = [...new Set(stored.flatMap((s) => s.values!.map(([t]) => Math.round(t * 1000))))];
    const reference = referenceSamples(SEED, HOSTS, startAtMs, stamps);
    let compared = 0;
    for (const s of stored) {
      const key = seriesKey(s.metric);
      for (const [t, v] of s.values!) {
        const expected = reference.get(Math.round(t * 1000))!.get(key);
        if (expected === undefined || Number(v) !== expected) throw new Error(`${key} at ${t}: stored ${v}, the engine has ${expected}`);
        compared++;
      }
    }
    expect(compared).toBe(pairs);
    // Every host of the fleet, each from its shard only, every cycle of its shard.
    const fleet = loadScenario("default", HOSTS).scenario.hosts.map((h) => h.name);
    expect([...new Set(stored.map((s) => s.metric.host))].sort()).toEqual([...fleet].sort());
    for (const k of [1, 2, 3]) {
      const mine = stored.filter((s) => processShardOf(s.metric.host, SHARDS) === k);
      const perSeries = new Set(mine.map((s) => s.values!.length));
      expect(perSeries.size).toBe(1);
      expect(mine.reduce((n, s) => n + s.values!.length, 0)).toBe(finals[k - 1].sent);
    }

    // Without deduplication every series is there three times (replication factor 3), one per replica; what the killed
    // receiver had acknowledged before SIGKILL is still in it after the restart on its data.
    const raw = await query(querier.url, `cpu_usage_percent{tenant_id="default-tenant"}[10m]`, at, { dedup: false });
    expect(new Set(raw.map((s) => s.metric.replica))).toEqual(new Set(["r1", "r2", "r3"]));
    expect(raw.length).toBe(3 * stored.filter((s) => s.metric.__name__ === "cpu_usage_percent").length);
    const r3Stamps = raw.filter((s) => s.metric.replica === "r3").flatMap((s) => s.values!.map(([t]) => t * 1000));
    expect(r3Stamps.some((t) => t < killedAt)).toBe(true);
    expect(r3Stamps.some((t) => t > backAt)).toBe(true);
  }, 150_000);

  it("answers the default scenario's queries and an exporter profile's rules as a single Prometheus with the same samples does", async () => {
    expect(stored.length).toBeGreaterThan(0);
    // The default scenario: a Prometheus given the seed's samples of each series at the timestamps its shard wrote
    // (a body made here, the values from a fresh engine).
    const prometheusConfig = path.join(temp, "single.yml");
    fs.writeFileSync(prometheusConfig, "global:\n  scrape_interval: 1m\n");
    const single = await startPrometheus({ configFile: prometheusConfig, args: ["--web.enable-remote-write-receiver"] });
    const stamps = [...new Set(stored.flatMap((s) => s.values!.map(([t]) => Math.round(t * 1000))))].sort((a, b) => a - b);
    const reference = referenceSamples(SEED, HOSTS, startAtMs, stamps);
    const written = new Map<number, string[]>();
    for (const s of stored) for (const [t] of s.values!) written.set(Math.round(t * 1000), [...(written.get(Math.round(t * 1000)) ?? []), seriesKey(s.metric)]);
    for (const [stamp, samples] of reference) {
      const series = written.get(stamp)!.map((key) => ({ labels: Object.entries(JSON.parse(key) as Record<string, string>), samples: [{ value: samples.get(key)!, timestamp: stamp }] }));
      const res = await post(`${single.url}/api/v1/write`, encodeWriteRequest(series));
      expect(res.status).toBe(204);
    }
    const rules = (yaml.load(renderAlertRules(parseSettings({}, "test"))) as { groups: { rules: AlertRule[] }[] }).groups.flatMap((g) => g.rules);
    const alertExprs = rules.map((r) => r.expr).filter((e) => !/\bup\b|push_/.test(e));
    expect(alertExprs.length).toBeGreaterThanOrEqual(3);
    const dashboardExprs = [
      "avg by (role) (cpu_usage_percent)",
      "max by (host) (memory_usage_percent)",
      "sum by (host) (rate(http_requests_total[10s]))",
      "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[10s])))",
      "max_over_time(disk_io_util_percent[15s])",
      "count by (role) (host_uptime_seconds)",
      "sum(rate(network_receive_bytes_total[10s]))",
    ];
    const first = stamps[0] / 1000;
    const last = stamps[stamps.length - 1] / 1000;
    const times = [first + 12, first + (last - first) / 2, last].map((t) => Math.round(t * 1000) / 1000);
    const comparedDefault = await expectSameAnswers(querier, single, [...alertExprs, ...dashboardExprs], times, undefined);
    expect(comparedDefault).toBeGreaterThan(50);

    // The exporter profile: the node USE rules that read raw node_exporter series, over what the scraping Prometheus
    // stored and what it remote-wrote into the ring (tenant exporters), once it has sent all of its window.
    await exporters!.stop();
    exporters = undefined;
    // Its own /metrics (it does not scrape itself): the newest sample its remote-write queue has had acknowledged.
    const sentUpTo = async () => {
      const text = await (await fetch(`${scraper!.url}/metrics`)).text();
      return Number(/^prometheus_remote_storage_queue_highest_sent_timestamp_seconds\{[^}]*\} (\S+)$/m.exec(text)?.[1] ?? 0);
    };
    const end = Math.floor(runEnd / 1000);
    await eventually(async () => ((await sentUpTo()) >= end ? true : undefined), 30_000, () => scraper!.output());
    const fixture = yaml.load(fs.readFileSync(path.join(__dirname, "../emulator/fixtures/recording-rules/rules.yml"), "utf8")) as { groups: { rules: { expr: string }[] }[] };
    const nodeExprs = fixture.groups.flatMap((g) => g.rules.map((r) => r.expr)).filter((e) => !/[a-z_]:[a-z_]/.test(e.replace(/"[^"]*"/g, "")));
    expect(nodeExprs.length).toBeGreaterThanOrEqual(8);
    const comparedNode = await expectSameAnswers(querier, scraper!, nodeExprs, [end - 20, end - 5], "exporters");
    expect(comparedNode).toBeGreaterThan(20);
    await single.stop();
  }, 120_000);

  it("does not retry a 409 (a conflicting sample), counts the batch as failed, and goes on", async () => {
    const [r1] = ring.receivers;
    // A proxy in front of receiver 1: before the 3rd and 4th requests it writes the same series and timestamps with
    // other values (another writer), so Thanos answers the emulator's own request 409.
    const seen: { hash: string; status: number; samples: number; text: string }[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const body = Buffer.concat(chunks);
        const index = seen.length;
        const headers = { "THANOS-TENANT": String(req.headers["thanos-tenant"] ?? "") };
        const series = decodeBody(body);
        seen.push({ hash: crypto.createHash("sha256").update(body).digest("hex"), status: 0, samples: series.reduce((n, s) => n + s.samples.length, 0), text: "" });
        if (index === 2 || index === 3) {
          const other = encodeWriteRequest(series.map((s) => ({ labels: s.labels, samples: s.samples.map((x) => ({ value: x.value + 1, timestamp: x.timestamp })) })));
          const pre = await post(r1.writeUrl, other, headers);
          if (pre.status !== 200) seen[index].text = `other writer: HTTP ${pre.status} ${pre.text}`;
        }
        const answer = await post(r1.writeUrl, body, headers);
        seen[index].status = answer.status;
        seen[index].text += answer.text;
        res.writeHead(answer.status).end(answer.text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const proxy = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1/receive`;
    try {
      const emulator = await startEmulator([
        "--scenario", "default", "--set", "hosts.count=2", "--seed", "3", "--remote-write-url", proxy,
        "--remote-write-header", "THANOS-TENANT=conflicts", "--push-interval", "500ms", "--duration", "5s",
      ]);
      expect(await emulator.exited()).toBe(0);
      const output = emulator.process.output();
      const status = finalStatus(output);
      expect(seen.slice(0, 6).map((s) => s.status)).toEqual([200, 200, 409, 409, 200, 200]);
      // The emulator's own request after another writer's: "duplicate sample for timestamp" on every replica.
      expect(seen[2].text).toMatch(/duplicate sample for timestamp/);
      // Never sent again: every body the proxy saw is a new one.
      expect(new Set(seen.map((s) => s.hash)).size).toBe(seen.length);
      expect(status).toMatchObject({ retried: 0, dropped: 0, pending: 0, failed: seen[2].samples + seen[3].samples });
      expect(status.sent).toBe(seen.filter((s) => s.status === 200).reduce((n, s) => n + s.samples, 0));
      expect(output).toMatch(/refused a batch of \d+ samples: HTTP 409 .*dropped, not retried/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 60_000);

  it("keeps two teams' data apart by the THANOS-TENANT header", async () => {
    const [, r2, r3] = ring.receivers;
    const start = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    const team = (name: string, seed: number, url: string) =>
      startEmulator([
        "--scenario", "default", "--set", "hosts.count=2", "--seed", String(seed), "--remote-write-url", url,
        "--remote-write-header", `THANOS-TENANT=${name}`, "--push-interval", "500ms", "--start-at", new Date(start).toISOString(), "--duration", "4s",
      ]);
    const [a, b] = await Promise.all([team("team-a", 1, r2.writeUrl), team("team-b", 2, r3.writeUrl)]);
    expect(await Promise.all([a.exited(), b.exited()])).toEqual([0, 0]);
    for (const e of [a, b]) expect(finalStatus(e.process.output())).toMatchObject({ failed: 0, dropped: 0, pending: 0 });
    // Each tenant has a TSDB of its own in every receiver (replication factor 3).
    for (const r of ring.receivers) for (const t of ["team-a", "team-b"]) expect(fs.existsSync(path.join(r.dataDir, t))).toBe(true);

    // A querier enforcing tenancy: each team sees its own series only, with its own seed's values.
    const enforcing = await startQuerier(ring.receivers, ["--query.enforce-tenancy"]);
    const at = Math.ceil(Date.now() / 1000);
    for (const [name, seed] of [["team-a", 1], ["team-b", 2]] as const) {
      const seenByTeam = await query(enforcing.url, `{host=~".+"}[5m]`, at, { tenant: name });
      expect(seenByTeam.length).toBeGreaterThan(10);
      expect(new Set(seenByTeam.map((s) => s.metric.tenant_id))).toEqual(new Set([name]));
      const stamps = [...new Set(seenByTeam.flatMap((s) => s.values!.map(([t]) => Math.round(t * 1000))))];
      const reference = referenceSamples(seed, ["hosts.count=2"], start, stamps);
      for (const s of seenByTeam) for (const [t, v] of s.values!) expect(Number(v)).toBe(reference.get(Math.round(t * 1000))!.get(seriesKey(s.metric)));
      // Asking for the other team's label still gives this team's series only: the querier enforces the header's tenant.
      const other = name === "team-a" ? "team-b" : "team-a";
      const asked = await query(enforcing.url, `cpu_usage_percent{tenant_id="${other}"}`, at, { tenant: name });
      expect(new Set(asked.map((s) => s.metric.tenant_id))).toEqual(new Set([name]));
    }
    // Same host names, same series, different values: nothing mixed.
    const both = await query(querier.url, `cpu_usage_percent{host="worker-01", tenant_id=~"team-.*"}`, at);
    expect(both.map((s) => s.metric.tenant_id).sort()).toEqual(["team-a", "team-b"]);
    await enforcing.stop();
  }, 90_000);
});
