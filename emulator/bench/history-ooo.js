// The other way to write a history into Prometheus (docs/emulator.md, "History in the stack"): remote write
// into a Prometheus that already has live samples, with an out-of-order window as wide as the history. It sends
// the same samples `promemu history write` turns into blocks (the backfill writer's OpenMetrics, parsed back into
// series), oldest first, in requests of BATCH samples, one in flight per shard (each series in one shard, so in
// time order), and reports the time, the samples per second accepted and what it cost Prometheus.
//
//   npm run build && node bench/history-ooo.js            (HISTORY=7d SET=hosts.count=2 BATCH=2000 SHARDS=4)
"use strict";
const fs = require("fs");
const path = require("path");
const { requireBuilt, startPrometheus, query, processUsage, machine, stopAll, sleep } = require("./lib");

const { writeBackfill } = requireBuilt("backfill/openmetrics");
const { loadScenario } = requireBuilt("scenario/loader");
const { parseDuration } = requireBuilt("util/duration");
const { WriteRequestWriter } = requireBuilt("sinks/remote-write/write-request");
const { compress } = requireBuilt("sinks/remote-write/batcher");
const { REMOTE_WRITE_HEADERS } = requireBuilt("sinks/remote-write/client");
const { parseSampleLine } = requireBuilt("sinks/remote-write/exposition-samples");
const { hashString } = requireBuilt("util/random");

const HISTORY = process.env.HISTORY ?? "7d";
const SET = process.env.SET ? process.env.SET.split(",") : [];
const BATCH = Number(process.env.BATCH ?? 2000);
const SHARDS = Number(process.env.SHARDS ?? 4);
const STEP = 15000;

/** `name{a="x"} value timestamp` -> the series text, its labels (parseSampleLine: sorted, __name__ among them), value, ms. */
function parseLine(line) {
  const stamp = line.lastIndexOf(" ");
  const { labels, value } = parseSampleLine(line.slice(0, stamp));
  return { key: line.slice(0, line.lastIndexOf(" ", stamp - 1)), labels, value, ms: Math.round(Number(line.slice(stamp + 1)) * 1000) };
}

async function main() {
  const historyMs = parseDuration(HISTORY);
  const config = `global:\n  scrape_interval: 1m\nstorage:\n  tsdb:\n    out_of_order_time_window: ${Math.ceil(historyMs / 86400000) + 1}d\n`;
  const prometheus = await startPrometheus(config, ["--web.enable-remote-write-receiver", "--storage.tsdb.retention.time=30d"]);
  const url = `${prometheus.url}/api/v1/write`;
  const headers = { ...REMOTE_WRITE_HEADERS, "User-Agent": "promemu-bench" };
  const scenario = loadScenario("default", SET).scenario;
  const now = Math.floor(Date.now() / STEP) * STEP;
  const from = now - historyMs;

  const send = async (writer) => {
    const body = compress(writer.bytes());
    writer.reset();
    const res = await fetch(url, { method: "POST", headers, body });
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  };
  // Live samples first, as in a running stack: the head's time is now, and the history is out of order.
  const live = new WriteRequestWriter();
  const liveText = [];
  writeBackfill(scenario, { seed: 42, durationMs: STEP, stepMs: STEP, epochMs: now, pushed: { sink: "remote-write" } }, (chunk) => liveText.push(chunk));
  for (const line of liveText.join("").split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const { labels, value, ms } = parseLine(line);
    live.addSeries(labels, value, ms);
  }
  await send(live);

  const before = processUsage(prometheus.child.pid);
  const writers = Array.from({ length: SHARDS }, () => ({ writer: new WriteRequestWriter(), samples: 0, inFlight: Promise.resolve() }));
  let samples = 0;
  let peakRss = 0;
  const began = Date.now();
  const pending = [];
  let text = "";
  const flushLines = async (final) => {
    const cut = final ? text.length : text.lastIndexOf("\n") + 1;
    const lines = text.slice(0, cut).split("\n");
    text = text.slice(cut);
    for (const line of lines) {
      if (!line || line.startsWith("#")) continue;
      const sample = parseLine(line);
      const shard = writers[hashString(sample.key) % SHARDS];
      shard.writer.addSeries(sample.labels, sample.value, sample.ms);
      shard.samples++;
      samples++;
      if (shard.samples >= BATCH) {
        const writer = shard.writer;
        shard.writer = new WriteRequestWriter();
        shard.samples = 0;
        // One request in flight per shard: the next waits for the one before.
        shard.inFlight = shard.inFlight.then(() => send(writer));
        pending.push(shard.inFlight);
        if (pending.length >= SHARDS * 2) await Promise.all(pending.splice(0));
        peakRss = Math.max(peakRss, processUsage(prometheus.child.pid).rssBytes);
      }
    }
  };
  const chunks = [];
  writeBackfill(scenario, { seed: 42, durationMs: historyMs, stepMs: STEP, epochMs: from, pushed: { sink: "remote-write" } }, (chunk) => chunks.push(chunk));
  // The writer is synchronous; its chunks are sent in order as they come (memory: the OpenMetrics of the history).
  for (const chunk of chunks.splice(0)) {
    text += chunk;
    if (text.length > 1 << 20) await flushLines(false);
  }
  await flushLines(true);
  for (const shard of writers) if (shard.samples > 0) pending.push((shard.inFlight = shard.inFlight.then(() => send(shard.writer))));
  await Promise.all(pending);
  const seconds = (Date.now() - began) / 1000;
  const after = processUsage(prometheus.child.pid);
  peakRss = Math.max(peakRss, after.rssBytes);
  await sleep(2000);
  const stored = await query(prometheus, `count_over_time(cpu_usage_percent{host="worker-01"}[${Math.ceil(historyMs / 3600000) + 1}h])`);
  const wbl = path.join(path.dirname(prometheus.child.spawnargs.find((a) => a.startsWith("--storage.tsdb.path=")).slice(20)), "data", "wbl");
  const wblBytes = fs.existsSync(wbl) ? fs.readdirSync(wbl).reduce((n, f) => n + fs.statSync(path.join(wbl, f)).size, 0) : 0;
  console.log(`machine: ${machine()}`);
  console.log(`history ${HISTORY} of default${SET.length ? ` (${SET.join(",")})` : ""} by remote write, out-of-order window ${Math.ceil(historyMs / 86400000) + 1}d, batches of ${BATCH}, ${SHARDS} shards`);
  console.log(`| samples | time | samples/s accepted | Prometheus CPU | Prometheus peak RSS | out-of-order WAL |`);
  console.log(`|---|---|---|---|---|---|`);
  console.log(
    `| ${samples.toLocaleString("en-US")} | ${seconds.toFixed(1)} s | ${Math.round(samples / seconds).toLocaleString("en-US")} | ${(after.cpuSeconds - before.cpuSeconds).toFixed(1)} s | ${(peakRss / 1e6).toFixed(0)} MB | ${(wblBytes / 1e6).toFixed(1)} MB |`,
  );
  console.log(`worker-01 cpu_usage_percent samples stored over the range: ${stored[0] ? stored[0].value[1] : 0} (expected ${historyMs / STEP + 1})`);
  await prometheus.stop();
}

process.on("SIGINT", () => stopAll().then(() => process.exit(130)));
main().catch(async (err) => {
  console.error(err.stack || String(err));
  await stopAll();
  process.exit(1);
});
