#!/usr/bin/env node
/**
 * What a backfill of logs costs (docs/logs.md "Costs, measured"): a scenario's range played once, its
 * lines drained every 20,000 into the files `promemu backfill --logs-out` writes (the same LogDrain and
 * LogFiles), metrics not written; time, lines, bytes and the process' peak RSS (memory must not grow
 * with the range). `--count` counts the bytes the files would hold instead of writing them, for a range
 * whose files would not fit the disk (a week of `default` is some 50 GB).
 * Usage (after npm run build): node bench/logs-backfill.js [scenario] [range] [--count]
 *   e.g. node bench/logs-backfill.js default 1d; node bench/logs-backfill.js fleet-faults 7d --count
 */
const fs = require("fs");
const os = require("os");
const path = require("path");
const { loadScenario } = require("../dist/scenario/loader");
const { writeBackfill } = require("../dist/backfill/openmetrics");
const { LogDrain, scenarioLogStreams } = require("../dist/backfill/logs");
const { LogFiles } = require("../dist/backfill/log-files");
const { parseDuration } = require("../dist/util/duration");

const args = process.argv.slice(2);
const count = args.includes("--count");
const [name = "default", range = "1d"] = args.filter((a) => !a.startsWith("--"));
const rangeMs = parseDuration(range);
const { scenario } = loadScenario(name);
const fromMs = Date.UTC(2026, 0, 5);

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-bench-logs-"));
  const out = path.join(dir, "logs");
  let bytes = 0;
  const files = count ? undefined : new LogFiles(out, scenarioLogStreams(scenario, "promemu"));
  const counter = {
    write: (groups) => {
      for (const g of groups) for (const line of g.lines) bytes += Buffer.byteLength(line) + 1;
    },
  };
  const drain = new LogDrain("promemu", [files ?? counter], rangeMs);
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const started = process.hrtime.bigint();
  try {
    await writeBackfill(scenario, { seed: 42, durationMs: rangeMs, stepMs: 15_000, epochMs: fromMs, logs: drain, metrics: false }, () => undefined);
    files?.commit();
  } finally {
    files?.discard();
    clearInterval(sampler);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  if (files) bytes = files.bytes;
  console.log(
    `${name}, ${range} of logs (seed 42, ${count ? "bytes counted, no files" : "files written"}): ${drain.lines.toLocaleString("en-US")} lines, ` +
      `${(bytes / 1e9).toFixed(2)} GB, ${seconds.toFixed(1)} s (${Math.round(drain.lines / seconds).toLocaleString("en-US")} lines/s), peak RSS ${(peakRss / 1e6).toFixed(0)} MB`,
  );
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
