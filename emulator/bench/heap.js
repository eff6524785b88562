// Benchmark 3: where the memory goes, without I/O. Builds a scenario with N hosts on the engine's
// injected clock, starts every host, renders one full body, plays into the first peak, and prints
// the V8 heap after each step (after a full GC) and the heap per series. With a file name as the
// third argument it also writes a heap snapshot there (open it in Chrome's DevTools, Memory tab).
//   node --expose-gc bench/heap.js [scenario=hosts-load-with-peaks] [hosts=15000] [snapshot file]
"use strict";
const v8 = require("v8");
const { requireBuilt, machine } = require("./lib");
const { loadScenario } = requireBuilt("scenario/loader.js");
const { Engine } = requireBuilt("engine/engine.js");
const { renderHosts } = requireBuilt("exposition/render.js");
const { BufferWriter } = requireBuilt("exposition/buffer-writer.js");

if (typeof gc !== "function") {
  console.error("run with node --expose-gc bench/heap.js ...");
  process.exit(2);
}
const scenarioName = process.argv[2] ?? "hosts-load-with-peaks";
const hosts = Number(process.argv[3] ?? 15000);
const snapshot = process.argv[4];

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const heap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

const empty = heap();
const { scenario } = loadScenario(scenarioName, [`hosts.count=${hosts}`]);
const compiled = heap();
const engine = new Engine(scenario, { seed: 42 });
const constructed = heap();
engine.advanceTo(30_000);
const started = heap();
const writer = new BufferWriter();
const series = renderHosts(engine.headers, engine.hosts, writer);
const body = writer.bytes().length;
const rendered = heap();
engine.advanceTo(6 * 60_000);
const peak = heap();

console.log(`machine: ${machine()}`);
console.log(`scenario ${scenarioName}, hosts.count=${hosts}: ${scenario.hosts.length} hosts, ${series.toLocaleString("en-US")} series, body ${mb(body)}`);
console.log(`heap: empty ${mb(empty)}; compiled scenario +${mb(compiled - empty)}; engine +${mb(constructed - compiled)}; hosts started +${mb(started - constructed)}; ` +
  `after a render +${mb(rendered - started)}; in a peak +${mb(peak - rendered)}`);
console.log(`heap used ${mb(peak)}: ${Math.round((peak - empty) / series)} bytes per series; RSS ${mb(process.memoryUsage().rss)}`);
if (snapshot) console.log(`heap snapshot: ${v8.writeHeapSnapshot(snapshot)}`);
