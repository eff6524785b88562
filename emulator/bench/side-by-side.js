// Benchmark 5: side by side, in one run on one machine.
//  (a) Remote write into Debian's real Prometheus (`--web.enable-remote-write-receiver`, a fresh
//      data directory per step, nothing else to do): the default scenario stepped up through
//      BENCH_HOSTS; the largest fleet whose every sample is accepted with no growing lag, and what
//      the emulator and Prometheus use there. Stops at the first size that does not keep up.
//  (b) At that size, the Pushgateway path: the real Pushgateway (default flags) and a Prometheus
//      scraping it with honor_labels every push interval: emulator CPU and memory, and freshness.
//  (c) Backfill: samples written per second (openmetrics, and blocks through promtool) against
//      the engine's own samples per second (bench/samples.js).
// Prints markdown tables (docs/emulator.md, "Measured side by side").
//
//   npm run bench:side-by-side                                   # builds first; some 15 minutes
//   BENCH_HOSTS=20000,100000 BENCH_CYCLES=8 node bench/side-by-side.js
//   BENCH_PARTS=rw BENCH_HOSTS=100000 BENCH_CYCLES=6 node bench/side-by-side.js    # one size, longer
//
// BENCH_HOSTS       fleet sizes to step through, ascending (hosts.count; default 25000,50000,75000,100000)
// BENCH_CYCLES      push intervals observed per size, after a warm-up (default 6)
// BENCH_WARMUP      push intervals before the observation (default 2: the first creates every series)
// BENCH_INTERVAL    push interval, and the Pushgateway's scrape interval (default 15s)
// BENCH_SHARDS      --shards of the emulator (default auto)
// BENCH_PARTS       which of rw, pg, backfill to run (default rw,pg,backfill)
// BENCH_PG_HOSTS    fleet of the Pushgateway part (default: the largest size (a) accepted)
// BENCH_BACKFILL    hosts.count and range of the backfill part (default 1000,2h); the engine's
//                   rate is measured at the same hosts.count (bench/samples.js <hosts> 300)
// BENCH_EMULATOR    another build's bin/promemu.js (e.g. a copy from before a change)
//
// Freshness, both paths alike: once a second during the observation, how old the newest sample
// Prometheus has is, at the time of asking, for probe series spread over every queue or group; the
// worst probe counts. Remote write: the raw samples (`{host=~"..."}[5m]`) of every series of one
// host per queue, the newest timestamp of each. Pushgateway: `time() - push_time_seconds` of every
// group, scraped with the data. The median and the maximum over the observation are reported. A
// remote-write sample is stamped when it is rendered, a push time is when the Pushgateway accepted
// the push (after rendering and sending): if anything, that flatters the Pushgateway path.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { EMULATOR, freePort, machine, processUsage, quantile, query, requireBuilt, scrape, sleep, slope, start, startPrometheus, startPushgateway, stopAll, total, waitForUrl } = require("./lib");

const HOSTS = (process.env.BENCH_HOSTS ?? "25000,50000,75000,100000").split(",").map(Number);
const CYCLES = Number(process.env.BENCH_CYCLES ?? 6);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const INTERVAL = process.env.BENCH_INTERVAL ?? "15s";
const INTERVAL_S = Number(INTERVAL.replace(/s$/, ""));
const SHARDS = process.env.BENCH_SHARDS ?? "auto";
const PARTS = new Set((process.env.BENCH_PARTS ?? "rw,pg,backfill").split(","));
const [BACKFILL_HOSTS, BACKFILL_RANGE] = (process.env.BENCH_BACKFILL ?? "1000,2h").split(",");
const BIN = process.env.BENCH_EMULATOR ?? EMULATOR;
/** The emulator's default --remote-write-batch. */
const BATCH = 2000;

const { loadScenario } = requireBuilt("scenario/loader.js");
const { autoShardCount, shardOf } = requireBuilt("sinks/grouping.js");

const fmt = (n, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mb = (bytes) => `${fmt(bytes / 1e6)} MB`;
const pct = (x) => `${fmt(x * 100)} %`;
const log = (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

function emulatorArgs(hosts, sink) {
  return [BIN, "run", `--set=hosts.count=${hosts}`, `--max-series=${(hosts + 100) * 20}`, `--push-interval=${INTERVAL}`, "--status-interval=0", `--shards=${SHARDS}`, ...sink];
}

/** The scenario's hosts as the emulator has them, and one probe host per queue (the first in each). */
function probeHosts(hosts) {
  const { scenario } = loadScenario("default", [`hosts.count=${hosts}`], { maxSeries: (hosts + 100) * 20 });
  const shards = SHARDS === "auto" ? autoShardCount(scenario.hosts.length) : Number(SHARDS);
  const probes = new Map();
  for (const host of scenario.hosts) {
    const shard = shardOf(host.name, shards);
    if (!probes.has(shard)) probes.set(shard, host.name);
  }
  return { count: scenario.hosts.length, shards, probes: [...probes.values()] };
}

/**
 * Follows a run through its warm-up and `CYCLES` observed push intervals: emulator self-metrics,
 * /proc figures of the other processes, freshness once a second. The window runs from the end of
 * the last warm-up cycle to the end of the last observed one (cycle ends: promemu_push_duration count).
 */
/** Busy and total jiffies of the whole machine (/proc/stat): what every process used, ours and others'. */
function machineTicks() {
  const fields = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + (fields[4] ?? 0);
  const all = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: all - idle, all };
}

async function observe({ emulator, url, others, freshness, atCycleEnd }) {
  const cycles = [];
  const fresh = [];
  let rssMax = 0;
  const othersRssMax = others.map(() => 0);
  let lastCount = 0;
  let window;
  let lastFresh = 0;
  const began = Date.now();
  const deadline = began + (WARMUP + CYCLES + 4) * INTERVAL_S * 1000 + 180_000;
  let overran = false;
  for (;;) {
    if (emulator.child.exitCode !== null) throw new Error(`the emulator exited:\n${emulator.output()}`);
    if (Date.now() > deadline) {
      // Cycles far longer than the interval (the Pushgateway path at a large fleet): what was seen.
      if (!window || cycles.length <= WARMUP) throw new Error(`not even ${WARMUP + 1} cycles ended within ${Math.round((deadline - began) / 1000)} s`);
      window.to = cycles[cycles.length - 1];
      overran = true;
      break;
    }
    const values = await scrape(url);
    const now = Date.now() / 1000;
    rssMax = Math.max(rssMax, values.get("process_resident_memory_bytes") ?? 0);
    const usage = others.map((o) => processUsage(o.child.pid));
    usage.forEach((u, i) => (othersRssMax[i] = Math.max(othersRssMax[i], u.rssBytes)));
    const count = values.get("promemu_push_duration_seconds_count") ?? 0;
    const point = { wall: now, values, cpu: values.get("process_cpu_seconds_total"), others: usage };
    if (window && freshness && now - lastFresh >= 1) {
      lastFresh = now;
      try {
        const age = await freshness();
        if (Number.isFinite(age)) fresh.push(age);
      } catch (err) {
        log(`freshness query failed: ${err.message}`);
      }
    }
    if (window) window.pendingSeen.push(values.get("promemu_remote_write_pending_samples") ?? 0);
    if (count > lastCount) {
      lastCount = count;
      point.pending = values.get("promemu_remote_write_pending_samples") ?? 0;
      point.machine = machineTicks();
      if (atCycleEnd) point.extra = await atCycleEnd();
      cycles.push(point);
      if (!window && count >= WARMUP) {
        window = { from: point, pendingSeen: [], floors: [] };
        // The observation starts once every series exists: only then do samples rather than new series count.
        rssMax = 0;
        othersRssMax.fill(0);
      }
      if (window !== undefined && point !== window.from) {
        // The fewest samples queued since the last cycle ended: 0 when the queues emptied before this
        // cycle began; otherwise the backlog it found.
        window.floors.push(Math.min(...window.pendingSeen));
        window.pendingSeen = [];
      }
      if (count >= WARMUP + CYCLES) {
        window.to = point;
        break;
      }
    }
    await sleep(200);
  }
  const span = window.to.wall - window.from.wall;
  const ourCpu = (window.to.cpu - window.from.cpu + window.to.others.reduce((sum, u, i) => sum + u.cpuSeconds - window.from.others[i].cpuSeconds, 0)) / span;
  const machineCores = ((window.to.machine.busy - window.from.machine.busy) / (window.to.machine.all - window.from.machine.all)) * os.cpus().length;
  // Mean lag per observed cycle (sample timestamp to acceptance), from the lag histogram.
  const lags = [];
  for (let i = WARMUP; i < cycles.length; i++) {
    const a = cycles[i - 1].values;
    const b = cycles[i].values;
    const n = (b.get("promemu_remote_write_lag_seconds_count") ?? 0) - (a.get("promemu_remote_write_lag_seconds_count") ?? 0);
    const s = (b.get("promemu_remote_write_lag_seconds_sum") ?? 0) - (a.get("promemu_remote_write_lag_seconds_sum") ?? 0);
    lags.push(n > 0 ? s / n : NaN);
  }
  return {
    window,
    span,
    series: window.to.values.get("promemu_series") ?? 0,
    cpu: (window.to.cpu - window.from.cpu) / span,
    rssMax,
    others: others.map((_, i) => ({ cpu: (window.to.others[i].cpuSeconds - window.from.others[i].cpuSeconds) / span, rssMax: othersRssMax[i] })),
    lags,
    floors: window.floors,
    observed: cycles.length - WARMUP,
    overran,
    extra: window.to.extra - window.from.extra,
    // CPU the rest of the machine used meanwhile (another engineer's tests, say), in cores.
    elsewhere: Math.max(0, machineCores - ourCpu),
    cycleSeconds:
      ((window.to.values.get("promemu_push_duration_seconds_sum") ?? 0) - (window.from.values.get("promemu_push_duration_seconds_sum") ?? 0)) /
      ((window.to.values.get("promemu_push_duration_seconds_count") ?? 0) - (window.from.values.get("promemu_push_duration_seconds_count") ?? 0)),
    fresh,
  };
}

/** Remote write of `hosts` into a fresh Prometheus; whether every sample was accepted with no growing lag. */
async function remoteWriteStep(hosts) {
  const { count, shards, probes } = probeHosts(hosts);
  log(`remote write: ${fmt(count)} hosts, ${shards} queues`);
  const prometheus = await startPrometheus("global:\n  scrape_interval: 1m\n", ["--web.enable-remote-write-receiver"]);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const emulator = start(process.execPath, emulatorArgs(hosts, [`--remote-write-url=${prometheus.url}/api/v1/write`, `--listen=127.0.0.1:${port}`]));
  try {
    await waitForUrl(`${url}/healthz`, 180000);
    const selector = `{host=~"${probes.join("|")}"}`;
    const appended = async () => total(await scrape(prometheus.url), "prometheus_tsdb_head_samples_appended_total");
    const result = await observe({
      emulator,
      url,
      others: [prometheus],
      atCycleEnd: appended,
      // Raw samples (a range selector): the newest of each probe series, the oldest of those.
      freshness: async () => {
        const asked = Date.now() / 1000;
        const newest = (await query(prometheus, `${selector}[5m]`)).map((s) => s.values[s.values.length - 1][0]);
        return newest.length === 0 ? NaN : asked - Math.min(...newest);
      },
    });
    const windowAppended = result.extra;
    // Quiet point: nothing queued nor in flight (pending counts a batch until its answer), twice with
    // the same count sent in between: then Prometheus has appended exactly what was accepted. When
    // the queues are never idle that long (a fleet near the limit), the last reads differ by what
    // was in flight at most: one batch per queue.
    let check;
    const quietBy = Date.now() + 3 * INTERVAL_S * 1000;
    for (;;) {
      const first = await scrape(url);
      const sent = first.get('promemu_remote_write_samples_total{result="sent"}') ?? 0;
      if (first.get("promemu_remote_write_pending_samples") === 0 || Date.now() > quietBy) {
        const stored = await appended();
        const second = await scrape(url);
        const quiet = first.get("promemu_remote_write_pending_samples") === 0 && second.get("promemu_remote_write_pending_samples") === 0 && second.get('promemu_remote_write_samples_total{result="sent"}') === sent;
        if (quiet || Date.now() > quietBy) {
          check = { sent, stored, quiet, sentAfter: second.get('promemu_remote_write_samples_total{result="sent"}') ?? 0, values: second };
          break;
        }
      }
      await sleep(20);
    }
    const counts = Object.fromEntries(["sent", "retried", "failed", "dropped"].map((r) => [r, check.values.get(`promemu_remote_write_samples_total{result="${r}"}`) ?? 0]));
    // Growing: the mean lag per interval rising by more than 0.5 s an interval (least squares over
    // the observed intervals): a backlog that the queues do not work off.
    const growing = slope(result.lags) > 0.5;
    // Acknowledged before the first read: appended. Appended: acknowledged by the last read, or in flight then.
    const stored = check.quiet ? check.stored === check.sent : check.stored >= check.sent && check.stored <= check.sentAfter + shards * BATCH;
    const ok = stored && counts.failed === 0 && counts.dropped === 0 && counts.retried === 0 && !growing;
    return { param: hosts, hosts: count, shards, ...result, prometheus: result.others[0], windowAppended, check, counts, growing, ok };
  } finally {
    await emulator.stop();
    await prometheus.stop();
  }
}

/** The Pushgateway path at `hosts`: emulator, Pushgateway, and a Prometheus scraping it every push interval. */
async function pushgatewayRun(hosts) {
  const { count } = probeHosts(hosts);
  log(`Pushgateway: ${fmt(count)} hosts`);
  const pushgateway = await startPushgateway();
  const config = `global:\n  scrape_interval: ${INTERVAL}\n  scrape_timeout: ${INTERVAL}\nscrape_configs:\n  - job_name: pushgateway\n    honor_labels: true\n    static_configs:\n      - targets: ["127.0.0.1:${pushgateway.port}"]\n`;
  let prometheus;
  let emulator;
  try {
    prometheus = await startPrometheus(config);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    emulator = start(process.execPath, emulatorArgs(hosts, [`--pushgateway-url=${pushgateway.url}`, "--owner=bench", `--listen=127.0.0.1:${port}`]));
    await waitForUrl(`${url}/healthz`, 180000);
    const result = await observe({
      emulator,
      url,
      others: [prometheus, pushgateway],
      freshness: async () => Number((await query(prometheus, 'max(time() - push_time_seconds{promemu_owner="bench"})'))[0]?.value[1]),
    });
    const values = await scrape(url);
    const scrapes = await query(prometheus, 'scrape_samples_scraped{job="pushgateway"}');
    const duration = await query(prometheus, 'scrape_duration_seconds{job="pushgateway"}');
    const up = await query(prometheus, 'avg_over_time(up{job="pushgateway"}[5m])');
    return {
      hosts: count,
      ...result,
      prometheus: result.others[0],
      pushgateway: result.others[1],
      pushes: { ok: values.get('promemu_pushes_total{result="success"}') ?? 0, failed: values.get('promemu_pushes_total{result="failure"}') ?? 0 },
      scraped: Number(scrapes[0]?.value[1]),
      scrapeSeconds: Number(duration[0]?.value[1]),
      up: Number(up[0]?.value[1]),
      // Why pushes failed, in the emulator's own words (it logs each change of state once).
      trouble: emulator.output().split("\n").filter((line) => /unreachable|refused|longer than the push interval/.test(line)),
    };
  } finally {
    await emulator?.stop();
    await prometheus?.stop();
    await pushgateway.stop();
  }
}

/** Runs a command to its end; its exit code, output and wall seconds. */
function runToEnd(command, args) {
  return new Promise((resolve) => {
    const began = Date.now();
    const child = start(command, args);
    child.exited.then(({ code }) => resolve({ code, output: child.output(), seconds: (Date.now() - began) / 1000 }));
  });
}

async function backfill() {
  log("backfill: the engine's own rate (bench/samples.js)");
  // At the backfill's size: the engine's rate falls with the fleet (its working set outgrows the caches).
  const engine = await runToEnd(process.execPath, [path.join(__dirname, "samples.js"), BACKFILL_HOSTS, "300"]);
  const engineRate = Number(/: ([\d,]+) samples\/s on one core/.exec(engine.output)?.[1].replace(/,/g, ""));
  const rows = [];
  for (const format of ["openmetrics", "blocks"]) {
    log(`backfill: ${BACKFILL_HOSTS} hosts, ${BACKFILL_RANGE}, --format ${format}`);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-bench-backfill-"));
    try {
      const run = await runToEnd(process.execPath, [BIN, "backfill", `--set=hosts.count=${BACKFILL_HOSTS}`, `--from=-${BACKFILL_RANGE}`, "--to=now", `--out=${out}`, `--format=${format}`, "--owner=bench"]);
      if (run.code !== 0) throw new Error(`backfill --format ${format} failed:\n${run.output}`);
      const written = /([\d,]+) samples, ([\d.]+) MB of OpenMetrics in ([\d.]+) s/.exec(run.output);
      const promtool = /by promtool in ([\d.]+) s/.exec(run.output);
      const samples = Number(written[1].replace(/,/g, ""));
      rows.push({ format, samples, writeSeconds: Number(written[3]), promtoolSeconds: promtool ? Number(promtool[1]) : undefined, seconds: run.seconds, megabytes: Number(written[2]) });
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }
  return { engineRate, rows };
}

function rwRow(r) {
  const lag = r.lags.map((l) => fmt(l, 1)).join(", ");
  const accepted = `${fmt(r.check.sent)} / ${fmt(r.check.stored)}${r.check.quiet ? "" : " (never idle: the difference was in flight)"}`;
  return (
    `| ${fmt(r.hosts)} | ${fmt(r.series)} | ${fmt(r.series / INTERVAL_S)} | ${r.shards} | ${accepted} | ${fmt(r.windowAppended / r.span)} | ` +
    `${fmt(r.counts.retried)} / ${fmt(r.counts.failed)} / ${fmt(r.counts.dropped)} | ${r.floors.map((b) => fmt(b)).join(", ")} | ${lag} s${r.growing ? " (growing)" : ""} | ${fmt(r.cycleSeconds, 1)} s | ` +
    `${pct(r.cpu)} | ${mb(r.rssMax)} | ${pct(r.prometheus.cpu)} | ${mb(r.prometheus.rssMax)} | ${fmt(r.elsewhere, 2)} | ${r.ok ? "**yes**" : "no"} |`
  );
}

async function main() {
  log(`side by side: ${[...PARTS].join(", ")}`);
  console.log(`machine: ${machine()}`);
  console.log(`${new Date().toISOString()}; the machine's 2 cores may be shared with other jobs (load average at start ${os.loadavg().map((l) => l.toFixed(2)).join(" ")})`);
  console.log(`default scenario, push interval ${INTERVAL}, ${WARMUP} warm-up + ${CYCLES} observed intervals per run, emulator --shards ${SHARDS}\n`);
  let best;
  let last;
  const rows = [];
  if (PARTS.has("rw")) {
    for (const hosts of HOSTS) {
      const result = await remoteWriteStep(hosts);
      rows.push(result);
      last = result;
      log(rwRow(result));
      if (!result.ok) break;
      best = result;
    }
    console.log("### (a) Remote write into Prometheus, stepped up\n");
    console.log("| hosts | series | samples/s | queues | sent / appended (at a quiet point, if any) | appended/s in the window | retried / failed / dropped | fewest queued per interval (0: emptied) | mean lag per interval | encode per interval | emulator CPU (1 core) | emulator RSS max | Prometheus CPU (1 core) | Prometheus RSS max | other processes' CPU (cores) | every sample accepted, lag flat |");
    console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (const r of rows) console.log(rwRow(r));
    console.log(best ? `\nlargest fleet with every sample accepted: ${fmt(best.hosts)} hosts (${fmt(best.series / INTERVAL_S)} samples/s)\n` : "\nno size kept up\n");
  }
  let pg;
  if (PARTS.has("pg")) {
    const hosts = Number(process.env.BENCH_PG_HOSTS ?? best?.param ?? last?.param ?? HOSTS[0]);
    try {
      pg = await pushgatewayRun(hosts);
    } catch (err) {
      console.log(`### (b) The Pushgateway path at ${fmt(hosts)} hosts (hosts.count) did not run its course: ${err.message}\n`);
    }
  }
  if (PARTS.has("pg") && pg) {
    const hosts = Number(process.env.BENCH_PG_HOSTS ?? best?.param ?? last?.param ?? HOSTS[0]);
    const rw = rows.find((r) => r.param === hosts);
    const q = (r) => (r ? `${fmt(quantile(r.fresh, 0.5), 1)} s / ${fmt(Math.max(...r.fresh), 1)} s` : "");
    console.log(`### (b) Remote write vs the Pushgateway at ${fmt(pg.hosts)} hosts\n`);
    console.log("| | remote write | Pushgateway (scraped every push interval, honor_labels) |");
    console.log("|---|---|---|");
    console.log(`| series per interval | ${rw ? fmt(rw.series) : ""} | ${fmt(pg.series)} (scraped: ${fmt(pg.scraped)}, scrape ${fmt(pg.scrapeSeconds, 1)} s, up ${fmt(pg.up, 2)}) |`);
    console.log(`| delivered | ${rw ? `${fmt(rw.check.sent)} samples sent, ${fmt(rw.check.stored)} appended, ${fmt(rw.counts.dropped)} dropped` : ""} | ${fmt(pg.pushes.ok)} pushes ok, ${fmt(pg.pushes.failed)} failed |`);
    console.log(`| emulator CPU (one core) | ${rw ? pct(rw.cpu) : ""} | ${pct(pg.cpu)} |`);
    console.log(`| emulator RSS max | ${rw ? mb(rw.rssMax) : ""} | ${mb(pg.rssMax)} |`);
    console.log(`| emulator time per cycle (encode, or push) | ${rw ? `${fmt(rw.cycleSeconds, 1)} s` : ""} | ${fmt(pg.cycleSeconds, 1)} s${pg.overran ? ` (only ${pg.observed} cycles in the time ${WARMUP + CYCLES} should take)` : ""} |`);
    console.log(`| freshness in Prometheus, median / max | ${q(rw)} | ${q(pg)} |`);
    console.log(`| Prometheus CPU, RSS max | ${rw ? `${pct(rw.prometheus.cpu)}, ${mb(rw.prometheus.rssMax)}` : ""} | ${pct(pg.prometheus.cpu)}, ${mb(pg.prometheus.rssMax)} |`);
    console.log(`| Pushgateway CPU, RSS max | | ${pct(pg.pushgateway.cpu)}, ${mb(pg.pushgateway.rssMax)} |`);
    console.log(`| other processes on the machine meanwhile (cores) | ${rw ? fmt(rw.elsewhere, 2) : ""} | ${fmt(pg.elsewhere, 2)} |\n`);
    const trouble = new Map();
    for (const line of pg.trouble) {
      const text = line.replace(/^\S+ /, "").replace(/promemu_shard\/\d+/, "promemu_shard/<k>");
      trouble.set(text, (trouble.get(text) ?? 0) + 1);
    }
    for (const [text, times] of trouble) console.log(`emulator (Pushgateway path)${times > 1 ? `, ${times} times` : ""}: ${text}`);
    console.log("");
  }
  if (PARTS.has("backfill")) {
    const { engineRate, rows } = await backfill();
    console.log(`### (c) Backfill: ${BACKFILL_HOSTS} hosts (hosts.count), ${BACKFILL_RANGE}, against the engine's ${fmt(engineRate)} samples/s (bench/samples.js ${BACKFILL_HOSTS} 300, one core)\n`);
    console.log("| format | samples | MB of OpenMetrics | writing | samples/s written | of the engine's rate | promtool | whole command | samples/s end to end |");
    console.log("|---|---|---|---|---|---|---|---|---|");
    for (const r of rows) {
      console.log(
        `| ${r.format} | ${fmt(r.samples)} | ${fmt(r.megabytes)} | ${fmt(r.writeSeconds, 1)} s | ${fmt(r.samples / r.writeSeconds)} | ${pct(r.samples / r.writeSeconds / engineRate)} | ` +
          `${r.promtoolSeconds === undefined ? "" : `${fmt(r.promtoolSeconds, 1)} s`} | ${fmt(r.seconds, 1)} s | ${fmt(r.samples / r.seconds)} |`,
      );
    }
  }
}

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping every child`);
    void stopAll().finally(() => process.exit(130));
  });
}

main()
  .catch(async (err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
