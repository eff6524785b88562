// Benchmark: the emulator's shards into a Thanos Receive hash ring against a single Prometheus, side by side in one
// run on one machine (docs/scaling.md, "Measured: a Thanos ring on one machine").
//
//  For each fleet size (the default scenario, hosts.count stepped up through BENCH_HOSTS):
//  (ring)   three `thanos receive` in one hash ring, replication factor 3 (every sample stored 3 times, a write
//           acknowledged by 2 of 3), a `thanos query` deduplicating by `replica`, and BENCH_EMULATORS emulator
//           processes (`promemu run --shard k/n`), shard k writing to receiver k (mod 3);
//  (single) the same emulator processes, all writing into one pinned Prometheus (`--web.enable-remote-write-receiver`).
//  After a warm-up (the first interval creates every series) a few push intervals are observed: samples sent and
//  stored, retried/failed/dropped, lag (sample timestamp to acceptance, the emulator's histogram), freshness (how old
//  the newest sample the querier or Prometheus returns is, once every 2 s), CPU and memory of the emulators and of the
//  servers. A size is "clean" when every sample sent was stored, nothing was retried, failed or dropped, and the lag
//  did not grow. The ring acknowledges a write once 2 of its 3 copies are stored (quorum): there, "stored" means at
//  least 2 copies of every sample sent (receivers' appended samples >= 2 x sent), and the copies short of 3 (a
//  receiver's forward to another that failed or timed out: thanos_receive_forward_requests_total{result="error"})
//  are shown beside. Each backend's steps stop at its first size that is not clean.
//
//   npm run bench:thanos --prefix emulator                  # builds first; some 10 to 15 minutes
//   BENCH_HOSTS=5000,10000 BENCH_CYCLES=3 node bench/thanos-ring.js
//
// BENCH_HOSTS       fleet sizes, ascending (hosts.count; default 10000,20000,40000)
// BENCH_EMULATORS   emulator processes, --shard k/n (default 3)
// BENCH_CYCLES      push intervals observed per size, after the warm-up (default 4)
// BENCH_WARMUP      push intervals before the observation (default 2)
// BENCH_INTERVAL    push interval (default 15s)
// BENCH_PARTS       ring, single, or both (default ring,single)
//
// Thanos comes from `bash scripts/servers/build.sh thanos` (the same bin folder as the pinned servers). Every process
// is started here on free loopback ports and temporary folders, and stopped at the end, on an error and on Ctrl-C.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { EMULATOR, freePort, machine, processUsage, quantile, requireBuilt, scrape, sleep, slope, start, startPrometheus, stopAll, total, waitForUrl } = require("./lib");

const HOSTS = (process.env.BENCH_HOSTS ?? "10000,20000,40000").split(",").map(Number);
const EMULATORS = Number(process.env.BENCH_EMULATORS ?? 3);
const CYCLES = Number(process.env.BENCH_CYCLES ?? 4);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const INTERVAL = process.env.BENCH_INTERVAL ?? "15s";
const INTERVAL_S = Number(INTERVAL.replace(/s$/, ""));
const PARTS = new Set((process.env.BENCH_PARTS ?? "ring,single").split(","));
const RECEIVERS = 3;
const REPLICATION = 3;

const { loadScenario } = requireBuilt("scenario/loader.js");
const { processShardOf } = requireBuilt("scenario/shard.js");

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "-");
const mb = (bytes) => `${fmt(bytes / 1e6)} MB`;
const pct = (x) => `${fmt(x * 100)} %`;
const log = (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

function thanosBinary() {
  const cache = process.env.PROMEMU_CACHE_DIR || path.join(os.homedir(), ".cache", "promemu");
  const binary = process.env.PROMEMU_THANOS || path.join(process.env.PROMEMU_SERVERS_BIN || path.join(cache, "servers", "bin"), "thanos");
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: build it with \`bash scripts/servers/build.sh thanos\``);
  return binary;
}

/** Distinct free ports. */
async function ports(n) {
  const out = new Set();
  while (out.size < n) out.add(await freePort());
  return [...out];
}

const QUORUM = Math.floor(REPLICATION / 2) + 1;

/** Three receivers in one ring and a querier; stop() ends them and removes their data. */
async function startRing() {
  const bin = thanosBinary();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-bench-thanos-"));
  const p = await ports(RECEIVERS * 4 + 2);
  const receivers = Array.from({ length: RECEIVERS }, (_, i) => ({ http: p[i * 4], grpc: p[i * 4 + 1], write: p[i * 4 + 2], capnp: p[i * 4 + 3] }));
  const hashring = path.join(root, "hashring.json");
  fs.writeFileSync(hashring, JSON.stringify([{ hashring: "default", endpoints: receivers.map((r) => `127.0.0.1:${r.grpc}`) }]));
  const procs = receivers.map((r, i) =>
    start(bin, [
      "receive",
      `--tsdb.path=${path.join(root, `r${i + 1}`)}`,
      `--http-address=127.0.0.1:${r.http}`,
      `--grpc-address=127.0.0.1:${r.grpc}`,
      `--remote-write.address=127.0.0.1:${r.write}`,
      `--receive.capnproto-address=127.0.0.1:${r.capnp}`,
      `--receive.hashrings-file=${hashring}`,
      `--receive.local-endpoint=127.0.0.1:${r.grpc}`,
      `--receive.replication-factor=${REPLICATION}`,
      `--label=replica="r${i + 1}"`,
      "--tsdb.retention=1d",
      "--http-grace-period=0s",
      "--grpc-grace-period=0s",
      "--log.level=warn",
    ]),
  );
  const [qHttp, qGrpc] = p.slice(RECEIVERS * 4);
  const stop = async () => {
    await Promise.all([...procs, querier].filter(Boolean).map((x) => x.stop()));
    fs.rmSync(root, { recursive: true, force: true });
  };
  let querier;
  try {
    await Promise.all(receivers.map((r) => waitForUrl(`http://127.0.0.1:${r.http}/-/ready`, 60000)));
    querier = start(bin, ["query", `--http-address=127.0.0.1:${qHttp}`, `--grpc-address=127.0.0.1:${qGrpc}`, ...receivers.map((r) => `--endpoint=127.0.0.1:${r.grpc}`), "--query.replica-label=replica", "--log.level=warn"]);
    await waitForUrl(`http://127.0.0.1:${qHttp}/-/ready`, 60000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    servers: procs,
    writeUrls: receivers.map((r) => `http://127.0.0.1:${r.write}/api/v1/receive`),
    metricsUrls: receivers.map((r) => `http://127.0.0.1:${r.http}`),
    queryUrl: `http://127.0.0.1:${qHttp}`,
    querier,
    stop,
  };
}

async function instant(url, expr) {
  const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr, dedup: "true" })}`, { signal: AbortSignal.timeout(10000) });
  const body = await res.json();
  if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}


/** The emulator processes: shard k of n writing to urls[(k-1) % urls.length]. */
async function startEmulators(hosts, urls) {
  const out = [];
  for (let k = 1; k <= EMULATORS; k++) {
    const port = await freePort();
    const shard = EMULATORS > 1 ? [`--shard=${k}/${EMULATORS}`] : [];
    const args = [EMULATOR, "run", `--set=hosts.count=${hosts}`, `--max-series=${(hosts + 100) * 20}`, `--push-interval=${INTERVAL}`, "--status-interval=0", ...shard, `--remote-write-url=${urls[(k - 1) % urls.length]}`, `--listen=127.0.0.1:${port}`];
    out.push({ ...start(process.execPath, args), url: `http://127.0.0.1:${port}` });
  }
  await Promise.all(out.map((e) => waitForUrl(`${e.url}/healthz`, 180000)));
  return out;
}

/** Busy and total jiffies of the machine (/proc/stat). */
function machineTicks() {
  const f = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return { busy: f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3] - (f[4] ?? 0), all: f.slice(0, 8).reduce((a, b) => a + b, 0) };
}

const counter = (values, result) => values.get(`promemu_remote_write_samples_total{result="${result}"}`) ?? 0;

/**
 * One size on one backend: `servers` are the receiving processes (CPU, memory), `stored()` their appended samples,
 * `freshUrl` where the newest samples are asked for.
 */
async function step(kind, hosts, backend) {
  const { scenario } = loadScenario("default", [`hosts.count=${hosts}`], { maxSeries: (hosts + 100) * 20 });
  // One probe host per emulator process: the first of its shard.
  const probes = [...new Map(scenario.hosts.map((h) => [EMULATORS > 1 ? processShardOf(h.name, EMULATORS) : 1, h.name]).reverse()).values()];
  const emulators = await startEmulators(hosts, backend.writeUrls);
  try {
    const samplesOf = async () => Promise.all(emulators.map((e) => scrape(e.url)));
    const cycles = [];
    const fresh = [];
    let window;
    let lastFresh = 0;
    const rssMax = { emulators: 0, servers: 0 };
    const deadline = Date.now() + (WARMUP + CYCLES + 4) * INTERVAL_S * 1000 + 180000;
    for (;;) {
      if (emulators.some((e) => e.child.exitCode !== null)) throw new Error(`an emulator exited:\n${emulators.map((e) => e.output()).join("\n")}`);
      if (Date.now() > deadline) throw new Error(`${kind} ${hosts}: not ${WARMUP + CYCLES} cycles within the time allowed`);
      const values = await samplesOf();
      const count = Math.min(...values.map((v) => v.get("promemu_push_duration_seconds_count") ?? 0));
      if (window) {
        rssMax.emulators = Math.max(rssMax.emulators, values.reduce((s, v) => s + (v.get("process_resident_memory_bytes") ?? 0), 0));
        rssMax.servers = Math.max(rssMax.servers, backend.servers.reduce((s, p) => s + processUsage(p.child.pid).rssBytes, 0));
        if (Date.now() / 1000 - lastFresh >= 2) {
          lastFresh = Date.now() / 1000;
          try {
            const newest = (await instant(backend.queryUrl, `{host=~"${probes.join("|")}"}[5m]`)).map((s) => s.values[s.values.length - 1][0]);
            if (newest.length > 0) fresh.push(lastFresh - Math.min(...newest));
          } catch (err) {
            log(`freshness query failed: ${err.message}`);
          }
        }
      }
      if (cycles.length === 0 || count > cycles[cycles.length - 1].count) {
        const point = {
          count,
          wall: Date.now() / 1000,
          values,
          emuCpu: values.reduce((s, v) => s + (v.get("process_cpu_seconds_total") ?? 0), 0),
          srvCpu: backend.servers.reduce((s, p) => s + processUsage(p.child.pid).cpuSeconds, 0),
          machine: machineTicks(),
        };
        cycles.push(point);
        if (!window && count >= WARMUP) window = { from: point };
        if (window && count >= WARMUP + CYCLES) {
          window.to = point;
          break;
        }
      }
      await sleep(250);
    }
    // Mean lag per observed interval, over every emulator's batches.
    const lags = [];
    const observed = cycles.slice(cycles.indexOf(window.from));
    for (let i = 1; i < observed.length; i++) {
      const sum = (c, name) => c.values.reduce((s, v) => s + (v.get(name) ?? 0), 0);
      const n = sum(observed[i], "promemu_remote_write_lag_seconds_count") - sum(observed[i - 1], "promemu_remote_write_lag_seconds_count");
      const s = sum(observed[i], "promemu_remote_write_lag_seconds_sum") - sum(observed[i - 1], "promemu_remote_write_lag_seconds_sum");
      lags.push(n > 0 ? s / n : NaN);
    }
    const span = window.to.wall - window.from.wall;
    const emuCpu = (window.to.emuCpu - window.from.emuCpu) / span;
    const srvCpu = (window.to.srvCpu - window.from.srvCpu) / span;
    const machineCores = ((window.to.machine.busy - window.from.machine.busy) / (window.to.machine.all - window.from.machine.all)) * os.cpus().length;
    const sentIn = (c) => c.values.reduce((s, v) => s + counter(v, "sent"), 0);
    const sentPerSecond = (sentIn(window.to) - sentIn(window.from)) / span;
    // A quiet point: nothing queued or in flight in any emulator, twice with the same count sent in between.
    let check;
    const quietBy = Date.now() + 3 * INTERVAL_S * 1000;
    for (;;) {
      const first = await samplesOf();
      const pending = (vs) => vs.reduce((s, v) => s + (v.get("promemu_remote_write_pending_samples") ?? 0), 0);
      const sent = first.reduce((s, v) => s + counter(v, "sent"), 0);
      if (pending(first) === 0 || Date.now() > quietBy) {
        const stored = await backend.stored();
        const second = await samplesOf();
        const quiet = pending(first) === 0 && pending(second) === 0 && second.reduce((s, v) => s + counter(v, "sent"), 0) === sent;
        if (quiet || Date.now() > quietBy) {
          const counts = Object.fromEntries(["sent", "retried", "failed", "dropped"].map((r) => [r, second.reduce((s, v) => s + counter(v, r), 0)]));
          check = { sent, stored, quiet, counts };
          break;
        }
      }
      await sleep(20);
    }
    const storedOk = check.quiet && (backend.copies === 1 ? check.stored === check.sent : check.stored >= check.sent * QUORUM && check.stored <= check.sent * backend.copies);
    const forwardErrors = backend.forwardErrors ? await backend.forwardErrors() : undefined;
    const growing = slope(lags) > 0.5;
    const ok = storedOk && check.counts.retried === 0 && check.counts.failed === 0 && check.counts.dropped === 0 && !growing;
    return {
      kind,
      hosts: scenario.hosts.length,
      series: window.to.values.reduce((s, v) => s + (v.get("promemu_series") ?? 0), 0),
      sentPerSecond,
      check,
      lags,
      fresh,
      emuCpu,
      srvCpu,
      rssMax,
      elsewhere: Math.max(0, machineCores - emuCpu - srvCpu),
      growing,
      forwardErrors,
      ok,
    };
  } finally {
    await Promise.all(emulators.map((e) => e.stop()));
  }
}

async function ringStep(hosts) {
  log(`ring: ${fmt(hosts)} hosts.count, ${EMULATORS} emulators into ${RECEIVERS} receivers (replication factor ${REPLICATION})`);
  const ring = await startRing();
  try {
    const appended = async () => {
      let sum = 0;
      for (const url of ring.metricsUrls) sum += total(await scrape(url), 'prometheus_tsdb_head_samples_appended_total{tenant="default-tenant",type="float"}');
      return sum;
    };
    const forwardErrors = async () => {
      let sum = 0;
      for (const url of ring.metricsUrls) sum += total(await scrape(url), 'thanos_receive_forward_requests_total{result="error"}');
      return sum;
    };
    return await step("ring", hosts, { writeUrls: ring.writeUrls, servers: [...ring.servers, ring.querier], queryUrl: ring.queryUrl, stored: appended, copies: REPLICATION, forwardErrors });
  } finally {
    await ring.stop();
  }
}

async function singleStep(hosts) {
  log(`single Prometheus: ${fmt(hosts)} hosts.count, ${EMULATORS} emulators`);
  const prometheus = await startPrometheus("global:\n  scrape_interval: 1m\n", ["--web.enable-remote-write-receiver"]);
  try {
    const appended = async () => total(await scrape(prometheus.url), "prometheus_tsdb_head_samples_appended_total");
    return await step("single", hosts, { writeUrls: [`${prometheus.url}/api/v1/write`], servers: [prometheus], queryUrl: prometheus.url, stored: appended, copies: 1 });
  } finally {
    await prometheus.stop();
  }
}

function table(rows) {
  const out = [
    "| into | hosts | series | samples/s sent | sent / stored (copies per sample) | copies short of 3 (forward errors) | retried / failed / dropped | mean lag per interval | freshness median / max | emulators CPU (cores), RSS max (all) | servers CPU (cores), RSS max (all) | other processes (cores) | clean |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    if (r.error) {
      out.push(`| ${r.kind} | ${fmt(r.param)} | | | | | | | | | | | no: ${r.error.split("\n")[0].slice(0, 120)} |`);
      continue;
    }
    const c = r.check;
    out.push(
      `| ${r.kind === "ring" ? `Thanos ring (${RECEIVERS} x receive, RF ${REPLICATION}, + query)` : "one Prometheus"} | ${fmt(r.hosts)} | ${fmt(r.series)} | ${fmt(r.sentPerSecond)} | ${fmt(c.sent)} / ${fmt(c.stored)} (${fmt(c.stored / c.sent, 3)})${c.quiet ? "" : " not quiet"} | ${r.kind === "ring" ? `${fmt(c.sent * REPLICATION - c.stored)} (${fmt(r.forwardErrors)})` : ""} | ${fmt(c.counts.retried)} / ${fmt(c.counts.failed)} / ${fmt(c.counts.dropped)} | ${r.lags.map((l) => fmt(l, 1)).join(", ")} s | ${fmt(quantile(r.fresh, 0.5), 1)} / ${fmt(Math.max(...r.fresh), 1)} s | ${fmt(r.emuCpu, 2)}, ${mb(r.rssMax.emulators)} | ${fmt(r.srvCpu, 2)}, ${mb(r.rssMax.servers)} | ${fmt(r.elsewhere, 2)} | ${r.ok ? "**yes**" : "no"} |`,
    );
  }
  return out.join("\n");
}

async function main() {
  const began = new Date();
  log(`machine: ${machine()}`);
  const rows = [];
  for (const [kind, run] of [
    ["ring", ringStep],
    ["single", singleStep],
  ]) {
    if (!PARTS.has(kind)) continue;
    for (const hosts of HOSTS) {
      let row;
      try {
        row = await run(hosts);
      } catch (err) {
        row = { kind, param: hosts, error: err.message };
      }
      rows.push(row);
      log(`${kind} ${fmt(hosts)}: ${row.error ? `error: ${row.error.split("\n")[0]}` : row.ok ? "clean" : "not clean"}`);
      if (row.error || !row.ok) break;
    }
  }
  const clean = (kind) => rows.filter((r) => r.kind === kind && r.ok).map((r) => r.hosts);
  console.log(`Run ${began.toISOString().slice(0, 16)} UTC, ${machine()}; default scenario, push interval ${INTERVAL}, ${EMULATORS} emulator processes (--shard k/${EMULATORS}), ${WARMUP} warm-up and ${CYCLES} observed intervals per size.\n`);
  console.log(table(rows));
  for (const kind of ["ring", "single"]) if (PARTS.has(kind)) console.log(`\nlargest clean fleet, ${kind}: ${clean(kind).length ? fmt(Math.max(...clean(kind))) : "none"} hosts`);
}

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping every process`);
    await stopAll();
    process.exit(130);
  });
}
main()
  .catch((err) => {
    console.error(err.stack ?? err);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
