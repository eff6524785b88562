// Benchmark 2: live runs of `promemu run` against Debian's real Pushgateway with its DEFAULT flags
// (consistency check on), default scenario with N workers (16 series each), 15 s push interval.
// Measures each push cycle's duration against the interval, the emulator's CPU (% of one core,
// steady state after the first cycle) and RSS, and the Pushgateway's CPU. The last run also kills
// the emulator with SIGKILL and starts it again, to measure the restart that cleans up the
// orphaned groups of the killed run (the largest memory peak), then stops it with SIGTERM.
//
//   node bench/live.js                      # 1000, 5000, 10000 hosts, auto shards, 6 cycles each
//   BENCH_HOSTS=10000 BENCH_SHARDS=1,4,16,64 BENCH_CYCLES=3 node bench/live.js   # shard trade-off
//   BENCH_HOSTS=15000 BENCH_SCENARIO=hosts-load-with-peaks BENCH_RESTART=0 node bench/live.js   # memory at 225,000 series
//
// BENCH_SCENARIO picks the scenario (its hosts.count is set to each BENCH_HOSTS), BENCH_EMULATOR
// another build's bin/promemu.js (a copy from before a change, to compare), BENCH_NODE_OPTIONS the
// Node options of the emulator process alone.
"use strict";
const { EMULATOR, freePort, machine, parseExposition, processUsage, sleep, start, startPushgateway, waitForUrl } = require("./lib");

const HOSTS = (process.env.BENCH_HOSTS ?? "1000,5000,10000").split(",").map(Number);
const SHARDS = (process.env.BENCH_SHARDS ?? "auto").split(",");
const CYCLES = Number(process.env.BENCH_CYCLES ?? 6);
const INTERVAL = process.env.BENCH_INTERVAL ?? "15s";
const RESTART = process.env.BENCH_RESTART !== "0";
const SCENARIO = process.env.BENCH_SCENARIO ?? "default";
// Another build of the emulator to measure (e.g. a copy of bin/ and dist/ from before a change).
const BIN = process.env.BENCH_EMULATOR ?? EMULATOR;
// Node options of the emulator process only (e.g. --max-semi-space-size=4), not of this script.
const NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS;

async function scrape(url) {
  return parseExposition(await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text());
}

function startEmulator(pushgateway, hosts, shards, port) {
  return start(process.execPath, [
    BIN,
    "run",
    `--scenario=${SCENARIO}`,
    `--set=hosts.count=${hosts}`,
    `--pushgateway-url=${pushgateway.url}`,
    `--push-interval=${INTERVAL}`,
    `--listen=127.0.0.1:${port}`,
    "--status-interval=0",
    "--owner=bench",
    `--shards=${shards}`,
  ], NODE_OPTIONS === undefined ? {} : { env: { ...process.env, NODE_OPTIONS } });
}

/** Follows an emulator through `cycles` push cycles; returns per-cycle durations and usage figures. */
async function observe(emulator, url, pushgatewayPid, cycles) {
  const durations = [];
  let last = { count: 0, sum: 0 };
  let window;
  let rssMax = 0;
  let series = 0;
  let failures = 0;
  while (durations.length < cycles) {
    if (emulator.child.exitCode !== null) throw new Error(`the emulator exited:\n${emulator.output()}`);
    const values = await scrape(url);
    const count = values.get("promemu_push_duration_seconds_count") ?? 0;
    const sum = values.get("promemu_push_duration_seconds_sum") ?? 0;
    rssMax = Math.max(rssMax, values.get("process_resident_memory_bytes") ?? 0);
    if (count > last.count) {
      if (count - last.count === 1) durations.push(sum - last.sum);
      else durations.push((sum - last.sum) / (count - last.count));
      last = { count, sum };
      series = values.get("promemu_series") ?? 0;
      failures = values.get('promemu_pushes_total{result="failure"}') ?? 0;
      const point = { wall: Date.now() / 1000, cpu: values.get("process_cpu_seconds_total"), pg: processUsage(pushgatewayPid).cpuSeconds };
      // The steady-state window starts once the first cycle (start-up, cleanup) is over.
      if (durations.length === 1) window = { from: point };
      else window.to = point;
    }
    await sleep(250);
  }
  const span = window.to.wall - window.from.wall;
  return {
    durations,
    series,
    failures,
    rssMax,
    cpuPercent: ((window.to.cpu - window.from.cpu) / span) * 100,
    pushgatewayCpuPercent: ((window.to.pg - window.from.pg) / span) * 100,
  };
}

function row(hosts, shards, result, intervalSeconds) {
  const sorted = [...result.durations].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const max = sorted[sorted.length - 1];
  return (
    `| ${hosts.toLocaleString("en-US")} | ${result.series.toLocaleString("en-US")} | ${shards} | ${result.durations.length} | ` +
    `${median.toFixed(2)} s | ${max.toFixed(2)} s | ${max < intervalSeconds ? "yes" : "NO"} | ${result.cpuPercent.toFixed(1)} % | ` +
    `${(result.rssMax / 1e6).toFixed(0)} MB | ${result.pushgatewayCpuPercent.toFixed(0)} % | ${result.failures} |`
  );
}

async function main() {
  const intervalSeconds = Number(INTERVAL.replace(/s$/, ""));
  console.log(`machine: ${machine()}`);
  console.log(`scenario ${SCENARIO}, push interval ${INTERVAL}, ${CYCLES} cycles per run, Pushgateway with default flags\n`);
  console.log("| hosts | series per push | groups | cycles | cycle median | cycle max | within interval | emulator CPU (1 core) | emulator RSS max | Pushgateway CPU | failed pushes |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const hosts of HOSTS) {
    for (const shards of SHARDS) {
      const pushgateway = await startPushgateway();
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      let emulator = startEmulator(pushgateway, hosts, shards, port);
      try {
        await waitForUrl(`${url}/healthz`, 60000);
        const result = await observe(emulator, url, pushgateway.child.pid, CYCLES);
        const groups = /owner bench, (\d+) groups?/.exec(emulator.output())[1];
        console.log(row(hosts, shards === "auto" ? `${groups} (auto)` : groups, result, intervalSeconds));
        const last = hosts === HOSTS[HOSTS.length - 1] && shards === SHARDS[SHARDS.length - 1];
        if (RESTART && last) {
          await emulator.stop("SIGKILL");
          emulator = startEmulator(pushgateway, hosts, shards, port);
          await waitForUrl(`${url}/healthz`, 60000);
          const restarted = await observe(emulator, url, pushgateway.child.pid, 3);
          const cleaned = /removed (\d+) stale group/.exec(emulator.output());
          console.log(
            `\nrestart after SIGKILL: cleaned up ${cleaned ? cleaned[1] : 0} orphaned group(s); first cycle ${restarted.durations[0].toFixed(2)} s, ` +
              `RSS max ${(restarted.rssMax / 1e6).toFixed(0)} MB`,
          );
        }
        const stopStarted = Date.now();
        const exit = await emulator.stop("SIGTERM");
        const left = [...parseExposition(await (await fetch(`${pushgateway.url}/metrics`)).text()).keys()].filter((k) => k.includes('promemu_owner="bench"')).length;
        if (last) console.log(`SIGTERM: exit code ${exit.code} after ${Date.now() - stopStarted} ms, ${left} series of ours left on the Pushgateway`);
      } finally {
        await emulator.stop("SIGKILL");
        await pushgateway.stop();
      }
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
