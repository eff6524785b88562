// Helpers of the benchmark scripts (plain CommonJS: they run the built emulator from ../dist).
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const net = require("net");
const os = require("os");
const path = require("path");

const EMULATOR = path.resolve(__dirname, "..", "bin", "promemu.js");

function requireBuilt(module) {
  try {
    return require(path.resolve(__dirname, "..", "dist", module));
  } catch (err) {
    if (err.code === "MODULE_NOT_FOUND") {
      console.error("the emulator is not built: run `npm run build` in emulator/ first (npm run bench does)");
      process.exit(2);
    }
    throw err;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForUrl(url, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** Every child start() made that has not exited yet: stopAll() ends them (on an error or SIGINT). */
const running = new Set();

/** A child process whose output is kept for error messages; stop() sends SIGTERM (SIGKILL after 10 s). */
function start(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  let output = "";
  const keep = (chunk) => (output = (output + chunk).slice(-20000));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const handle = {
    child,
    exited,
    output: () => output,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 10000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  running.add(handle);
  void exited.then(() => running.delete(handle));
  return handle;
}

/** Stops every child still running, at once. */
function stopAll() {
  return Promise.all([...running].map((handle) => handle.stop()));
}

/**
 * Debian's Prometheus on a free loopback port and a fresh temporary data directory (removed by
 * stop()), with `config` as its configuration file and `args` added (`--web.enable-remote-write-receiver`).
 */
async function startPrometheus(config, args = []) {
  const binary = serverProgram("prometheus");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-bench-prometheus-"));
  fs.writeFileSync(path.join(dir, "prometheus.yml"), config);
  const port = await freePort();
  const server = start(binary, [
    `--config.file=${path.join(dir, "prometheus.yml")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--storage.tsdb.path=${path.join(dir, "data")}`,
    ...args,
  ]);
  const url = `http://127.0.0.1:${port}`;
  const removed = server.exited.then(() => fs.rmSync(dir, { recursive: true, force: true }));
  try {
    await waitForUrl(`${url}/-/ready`, 60000);
  } catch (err) {
    await server.stop();
    throw new Error(`${err.message}:\n${server.output()}`);
  }
  return {
    ...server,
    url,
    port,
    async stop(signal) {
      const result = await server.stop(signal);
      await removed;
      return result;
    },
  };
}

/** A Prometheus instant query; the result's vector. */
async function query(prometheus, expr) {
  const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(10000) });
  const body = await response.json();
  if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

/** A process's /metrics, parsed (parseExposition). */
async function scrape(url) {
  return parseExposition(await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10000) })).text());
}

/** The sum of a metric's samples over all its label sets, from parseExposition's map. */
function total(values, name) {
  let sum = 0;
  for (const [key, value] of values) if (key === name || key.startsWith(`${name}{`)) sum += value;
  return sum;
}

/**
 * A server program at the version the stack pins, as scripts/servers/build.sh builds it (PROMEMU_SERVERS_BIN,
 * else its default cache folder): the benchmarks measure what the stack runs.
 */
function serverProgram(name) {
  const cache = process.env.PROMEMU_CACHE_DIR || path.join(os.homedir(), ".cache", "promemu");
  const binary = path.join(process.env.PROMEMU_SERVERS_BIN || path.join(cache, "servers", "bin"), name);
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: build the pinned servers with \`bash scripts/servers/build.sh\``);
  return binary;
}

/** The pinned Pushgateway with its default flags (metrics in memory only), on a free loopback port. */
async function startPushgateway() {
  const binary = serverProgram("pushgateway");
  const port = await freePort();
  const server = start(binary, [`--web.listen-address=127.0.0.1:${port}`]);
  const url = `http://127.0.0.1:${port}`;
  await waitForUrl(`${url}/-/ready`);
  return { ...server, url, port };
}

/** Sample values of a text exposition, keyed by `name{labels}` as written. */
function parseExposition(text) {
  const values = new Map();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

/** CPU seconds (user + system) and RSS bytes of a process, from /proc. */
function processUsage(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { cpuSeconds: ticks / 100, rssBytes: rssPages * 4096 };
}

/** Least-squares slope of values over their index (NaN values left out): how fast a per-interval figure grows. */
function slope(values) {
  const v = values.filter(Number.isFinite);
  const n = v.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = v.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  v.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return num / den;
}

/** The q-quantile of values (NaN when there are none). */
function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function machine() {
  const cpus = os.cpus();
  return `${cpus.length} x ${cpus[0] ? cpus[0].model.trim() : "unknown CPU"}, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

module.exports = {
  EMULATOR,
  requireBuilt,
  freePort,
  sleep,
  waitForUrl,
  start,
  stopAll,
  startPushgateway,
  startPrometheus,
  query,
  scrape,
  total,
  parseExposition,
  processUsage,
  machine,
  slope,
  quantile,
};
