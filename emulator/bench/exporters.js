// Benchmark 4: the cost of node exporter hosts (docs/emulator.md, "Node exporter hosts").
//  1. In process, on the injected clock: series per host of each layout, heap per host (after a
//     full GC) with BENCH_HOSTS medium node hosts, and the CPU time of one tick + one render per host.
//  2. Live: `promemu run --listen` with fleet-calm widened to BENCH_HOSTS hosts at a 15 s interval,
//     scraped the way Prometheus scrapes exporters: every host's /hosts/<host>/metrics fetched once
//     per interval, the hosts spread evenly over it. Measures the emulator's CPU (% of one core, from
//     /proc, after the first interval) and RSS over BENCH_SECONDS.
//
//   node --expose-gc bench/exporters.js                      # 1000 hosts, 150 s live
//   BENCH_HOSTS=1000 BENCH_SECONDS=180 BENCH_INTERVAL=15 node --expose-gc bench/exporters.js
//   BENCH_LIVE=0 node --expose-gc bench/exporters.js         # the in-process part only
// BENCH_NODE_ARGS: Node flags of the emulator process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
"use strict";
const { EMULATOR, freePort, machine, processUsage, sleep, start, waitForUrl } = require("./lib");
const { requireBuilt } = require("./lib");
const { loadScenario } = requireBuilt("scenario/loader.js");
const { Engine } = requireBuilt("engine/engine.js");
const { BufferWriter } = requireBuilt("exposition/buffer-writer.js");

const HOSTS = Number(process.env.BENCH_HOSTS ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 150);
const INTERVAL_S = Number(process.env.BENCH_INTERVAL ?? 15);
const LIVE = process.env.BENCH_LIVE !== "0";
// Another build's bin/promemu.js (a copy from before a change), to compare.
const BIN = process.env.BENCH_EMULATOR ?? EMULATOR;
// fleet-calm has 3 hosts besides its web servers (medium layout).
const WEB = HOSTS - 3;

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const heap = () => {
  if (typeof gc === "function") gc();
  return process.memoryUsage().heapUsed;
};

function inProcess() {
  const { scenario } = loadScenario("fleet-calm", [`web.count=${WEB}`, `scrape.interval=${INTERVAL_S}s`]);
  const before = heap();
  const engine = new Engine(scenario, { seed: 42 });
  engine.advanceTo(INTERVAL_S * 1000);
  const after = heap();
  const exporters = engine.hosts.filter((h) => h.exporter);
  const seriesOf = (host) => {
    const writer = new BufferWriter();
    host.exporter.renderTo(writer);
    return writer.bytes().toString().split("\n").filter((l) => l && !l.startsWith("#")).length;
  };
  const byRole = new Map();
  let total = 0;
  for (const host of exporters) {
    const n = seriesOf(host);
    total += n;
    if (!byRole.has(host.def.shape.role)) byRole.set(host.def.shape.role, n);
  }
  // CPU of ticking every host for an interval and rendering each once, as a scrape cycle does.
  const cycles = 10;
  const cpu0 = process.cpuUsage();
  let bytes = 0;
  for (let i = 2; i < 2 + cycles; i++) {
    engine.advanceTo(i * INTERVAL_S * 1000);
    for (const host of exporters) {
      const writer = new BufferWriter();
      host.exporter.renderTo(writer);
      bytes += writer.bytes().length;
    }
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuPerCycle = (cpu.user + cpu.system) / 1e6 / cycles;
  console.log(`in process: ${exporters.length} node hosts (fleet-calm, web.count=${WEB}), ${total} series`);
  console.log(`  series per host: ${[...byRole].map(([role, n]) => `${role} ${n}`).join(", ")}; mean ${(total / exporters.length).toFixed(0)}`);
  console.log(`  samples per second at a ${INTERVAL_S}s interval: ${Math.round(total / INTERVAL_S)}`);
  console.log(`  heap: ${mb(after - before)} for ${exporters.length} hosts = ${((after - before) / exporters.length / 1024).toFixed(1)} KiB per host, ${((after - before) / total).toFixed(0)} bytes per series`);
  console.log(`  one cycle (tick every host + render every host): ${(cpuPerCycle * 1000).toFixed(0)} ms CPU, ${mb(bytes / cycles)} of exposition = ${((100 * cpuPerCycle) / INTERVAL_S).toFixed(2)} % of a core at ${INTERVAL_S}s`);
  return { hosts: exporters.map((h) => h.name) };
}

async function live(hostNames) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(" ") : [];
  const emulator = start(process.execPath, [
    ...nodeArgs,
    BIN,
    "run",
    "--scenario=fleet-calm",
    `--set=web.count=${WEB},scrape.interval=${INTERVAL_S}s`,
    `--listen=127.0.0.1:${port}`,
    "--status-interval=0",
  ]);
  try {
    await waitForUrl(`${url}/healthz`, 60000);
    const pid = emulator.child.pid;
    const gap = (INTERVAL_S * 1000) / hostNames.length;
    let scrapes = 0;
    let failures = 0;
    let bytes = 0;
    let rssMax = 0;
    let slowest = 0;
    const began = Date.now();
    let measureFrom;
    const deadline = began + SECONDS * 1000;
    const inflight = new Set();
    // Each host at its own offset in the interval, as Prometheus spreads its targets.
    for (let i = 0; Date.now() < deadline; i++) {
      const due = began + i * gap;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      if (!measureFrom && Date.now() - began >= INTERVAL_S * 1000) measureFrom = { at: Date.now(), usage: processUsage(pid) };
      if (i % hostNames.length === 0) rssMax = Math.max(rssMax, processUsage(pid).rssBytes);
      const host = hostNames[i % hostNames.length];
      const t0 = Date.now();
      const p = fetch(`${url}/hosts/${host}/metrics`, { signal: AbortSignal.timeout(10000) })
        .then(async (res) => {
          const body = await res.arrayBuffer();
          if (res.ok) bytes += body.byteLength;
          else failures++;
          scrapes++;
          slowest = Math.max(slowest, Date.now() - t0);
        })
        .catch(() => failures++)
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
    const end = { at: Date.now(), usage: processUsage(pid) };
    const cpu = (end.usage.cpuSeconds - measureFrom.usage.cpuSeconds) / ((end.at - measureFrom.at) / 1000);
    rssMax = Math.max(rssMax, end.usage.rssBytes);
    console.log(`live: ${hostNames.length} node hosts served by one emulator, each scraped every ${INTERVAL_S}s for ${SECONDS}s`);
    console.log(`  scrapes ${scrapes} (${failures} failed), mean body ${(bytes / scrapes / 1024).toFixed(1)} KiB, slowest ${slowest} ms`);
    console.log(`  emulator CPU ${(100 * cpu).toFixed(1)} % of one core (after the first interval), RSS max ${mb(rssMax)}`);
  } finally {
    await emulator.stop();
  }
}

(async () => {
  console.log(machine());
  const { hosts } = inProcess();
  if (LIVE) await live(hosts);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
