#!/usr/bin/env node
/**
 * What emulated logs cost (docs/logs.md): lines per second one core writes and encodes as Loki JSON
 * (fleet-faults, an hour on the injected clock, drained every 15 s, no network), the same hour without
 * logs, and the heap per host with logs on (fleet-faults' node hosts x N).
 * Usage: node --expose-gc bench/logs.js   (after npm run build)
 *        node bench/logs.js --wire         the Loki push's encodings compared (bytes per line, encode speed)
 */
const { loadScenario, parseScenario } = require("../dist/scenario/loader");
const { Engine } = require("../dist/engine/engine");
const { LogBuffer } = require("../dist/logs/buffer");
const { encodeLokiJson } = require("../dist/sinks/loki/push");

function play(scenario, withLogs, ms) {
  const buffer = new LogBuffer();
  const engine = new Engine(scenario, { seed: 42, logs: withLogs ? { sink: buffer } : undefined });
  let lines = 0;
  let bytes = 0;
  const started = process.hrtime.bigint();
  for (let t = 15_000; t <= ms; t += 15_000) {
    engine.advanceTo(t);
    if (!withLogs) continue;
    for (const b of encodeLokiJson(buffer.take(), 5000, (s) => 1767571200000 + s)) {
      lines += b.samples;
      bytes += b.body.byteLength;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, lines, bytes };
}

const { scenario } = loadScenario("fleet-faults");

/**
 * --wire: the Loki push's three encodings on the same lines (fleet-faults, the hour above, drained every 15 s):
 * bytes per line on the wire and lines encoded per second, one core, the lines played beforehand (not timed).
 * json-gzip: the JSON body gzipped (zlib's default level, 6).
 */
if (process.argv.includes("--wire")) {
  const { encodeLokiProtobuf, encodeLokiJsonGzip } = require("../dist/sinks/loki/push");
  const buffer = new LogBuffer();
  const engine = new Engine(scenario, { seed: 42, logs: { sink: buffer } });
  const cycles = [];
  for (let t = 15_000; t <= 3600_000; t += 15_000) {
    engine.advanceTo(t);
    cycles.push(buffer.take());
  }
  const wall = (s) => 1767571200000 + s;
  const measure = (name, encode) => {
    // A few cycles to warm the encoder up, then timed.
    for (const groups of cycles.slice(0, 20)) encode(groups, 5000, wall);
    let lines = 0;
    let bytes = 0;
    const started = process.hrtime.bigint();
    for (const groups of cycles) {
      for (const b of encode(groups, 5000, wall)) {
        lines += b.samples;
        bytes += b.body.byteLength;
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(`${name.padEnd(18)} ${lines} lines, ${(bytes / 1e6).toFixed(1)} MB: ${(bytes / lines).toFixed(1)} bytes/line, ${Math.round(lines / seconds)} lines/s encoded (${seconds.toFixed(2)} s)`);
  };
  console.log("fleet-faults, 1 h on the injected clock, batches of 5000 lines:");
  measure("json", encodeLokiJson);
  measure("protobuf + snappy", encodeLokiProtobuf);
  measure("json-gzip", encodeLokiJsonGzip);
  process.exit(0);
}

const off = play(scenario, false, 3600_000);
const on = play(scenario, true, 3600_000);
const extra = on.seconds - off.seconds;
console.log(`fleet-faults, 1 h on the injected clock: without logs ${off.seconds.toFixed(2)} s; with logs ${on.seconds.toFixed(2)} s, ${on.lines} lines, ${(on.bytes / 1e6).toFixed(1)} MB of Loki JSON`);
console.log(`  ${Math.round(on.lines / on.seconds)} lines/s overall; ${Math.round(on.lines / extra)} lines/s for the logs' own share (${extra.toFixed(2)} s), one core`);

function heap(withLogs, count) {
  const yaml = `
tick: {interval: 15s, jitter: 0s}
roles: {node: {exporter: {profile: node, layout: small, faults: [{fault: memory_pressure, at: 1m}]}, logs: [{source: syslog}]}}
hosts: [{name: "n-{{i}}", count: ${count}, role: node}]`;
  const { scenario } = parseScenario(yaml, "bench.yaml", "bench", [], { maxSeries: 10_000_000 });
  global.gc();
  const before = process.memoryUsage().heapUsed;
  const buffer = new LogBuffer();
  const engine = new Engine(scenario, { seed: 1, logs: withLogs ? { sink: buffer } : undefined });
  engine.advanceTo(5 * 60_000);
  buffer.take();
  global.gc();
  const used = process.memoryUsage().heapUsed - before;
  return { engine, used };
}
const n = 500;
const a = heap(false, n);
const aUsed = a.used;
a.engine = null;
const b = heap(true, n);
console.log(`${n} node hosts with memory_pressure: heap ${(aUsed / 1e6).toFixed(1)} MB without logs, ${(b.used / 1e6).toFixed(1)} MB with their syslog: ${Math.round((b.used - aUsed) / n)} bytes per host for the log sources`);
