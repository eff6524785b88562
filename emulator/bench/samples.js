// Benchmark 1: samples generated per second on one core, without I/O (target: at least 2 million),
// and the rendering rate of the text exposition. Plays the default scenario with many workers on
// the engine's injected clock, as fast as it goes.
//   node bench/samples.js [hosts=10000] [scenario minutes=30]
"use strict";
const { requireBuilt, machine } = require("./lib");
const { loadScenario } = requireBuilt("scenario/loader.js");
const { Engine } = requireBuilt("engine/engine.js");
const { renderHosts } = requireBuilt("exposition/render.js");
const { BufferWriter } = requireBuilt("exposition/buffer-writer.js");

const hosts = Number(process.argv[2] ?? 10000);
const minutes = Number(process.argv[3] ?? 30);

function cpuSeconds(since) {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

const { scenario } = loadScenario("default", [`hosts.count=${hosts}`]);
const engine = new Engine(scenario, { seed: 42 });
engine.advanceTo(0);
// Warm-up: let the JIT settle on the hot paths before measuring.
engine.advanceTo(60_000);

const before = engine.samples;
const cpu = process.cpuUsage();
const wall = process.hrtime.bigint();
engine.advanceTo(60_000 + minutes * 60_000);
const generated = engine.samples - before;
const genCpu = cpuSeconds(cpu);
const genWall = Number(process.hrtime.bigint() - wall) / 1e9;

const renderCpu = process.cpuUsage();
const rounds = 5;
let series = 0;
let bytes = 0;
const writer = new BufferWriter();
for (let i = 0; i < rounds; i++) {
  writer.reset();
  series += renderHosts(engine.headers, engine.hosts, writer);
  bytes += writer.bytes().length;
}
const renderSeconds = cpuSeconds(renderCpu);

console.log(`machine: ${machine()}`);
console.log(`scenario default, hosts.count=${hosts} (${scenario.hosts.length} hosts), ${minutes} min of scenario time`);
console.log(`generation: ${generated} samples in ${genCpu.toFixed(2)} s CPU (${genWall.toFixed(2)} s wall): ${Math.round(generated / genCpu).toLocaleString("en-US")} samples/s on one core`);
console.log(`rendering:  ${series / rounds} series (${(bytes / rounds / 1e6).toFixed(1)} MB) per body, ${((renderSeconds / rounds) * 1000).toFixed(0)} ms CPU each: ${Math.round(series / renderSeconds).toLocaleString("en-US")} series/s`);
console.log(`heap used: ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB, RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
