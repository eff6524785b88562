/**
 * The offline mode of `promemu check`: a scenario's exporter hosts played on the engine's injected
 * clock, written as OpenMetrics (../backfill/openmetrics.ts, the writer of `promemu backfill`), turned into TSDB blocks by `promtool tsdb
 * create-blocks-from openmetrics`, and opened by a temporary Prometheus on a free loopback port,
 * which the ordinary check then queries. The recording rules of the rule files are evaluated over the
 * played range first (../backfill/rules.ts, `promtool tsdb create-blocks-from rules`, one pass per
 * dependency level, each level's blocks loaded before the next), so that their series exist as on a
 * live server for the alerts and dashboards that read them. Everything it creates (a temporary directory, two child
 * processes) is removed by `close()`, and on SIGINT/SIGTERM before the process exits.
 *
 * Why blocks and a Prometheus rather than `promtool test rules`: a rule test asserts the alerts
 * expected at chosen times and prints only the differences; it cannot be asked "when does each
 * alert first fire", its input series are literal value lists in YAML (hours of hundreds of series
 * per host), and it evaluates every rule at every interval of the test in memory. Blocks are written
 * in one pass, and one range query per rule then gives every state at every step.
 */
import { type ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import type { CompiledScenario } from "../model/types";
import { blocksIn, moveBlocks } from "../backfill/data-dir";
import { writeBackfill } from "../backfill/openmetrics";
import { type RecordingGroup, createBlocksFromRules, dependencyLevels, renderRuleFile } from "../backfill/rules";
import { ToolMissing, findOnPath } from "../util/programs";
import { waitUntilReady } from "./prometheus";

/** prometheus and promtool, or a ToolMissing naming what is missing. */
export function findTools(): { prometheus: string; promtool: string } {
  const prometheus = findOnPath("prometheus");
  const promtool = findOnPath("promtool");
  const missing = [prometheus ? "" : "prometheus", promtool ? "" : "promtool"].filter(Boolean);
  if (missing.length) {
    throw new ToolMissing(
      `the offline mode needs ${missing.join(" and ")} on PATH (it backfills the played scenario with promtool and queries it with a temporary Prometheus): ` +
        "install them (Debian/Ubuntu: apt-get install prometheus; or the release archive from prometheus.io/download) or check against a running Prometheus with --prometheus-url",
    );
  }
  return { prometheus: prometheus!, promtool: promtool! };
}

/** A port the kernel had free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface OfflineOptions {
  scenario: CompiledScenario;
  seed: number;
  durationMs: number;
  /** Sample and evaluation step after `evaluateFromMs`. */
  stepMs: number;
  /** Before it, samples every `historyStepMs` only (history for long windows, at little cost). */
  evaluateFromMs: number;
  historyStepMs: number;
  /** Only these metric names (all when absent). */
  names?: ReadonlySet<string>;
  /** Recording rules evaluated over the whole played range, at `stepMs` (or their group's interval), before the server is handed over. */
  recordingRules?: readonly RecordingGroup[];
  log: (line: string) => void;
}

export interface OfflineServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Seconds since the epoch at scenario time 0. */
  readonly start: number;
  readonly samples: number;
  close(): Promise<void>;
}

/** Temporary files and processes, removed on close() and on SIGINT/SIGTERM. */
class Workspace {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-check-"));
  private readonly children = new Set<ChildProcess>();
  private closed = false;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.removeNow();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };

  constructor() {
    process.once("SIGINT", this.onSignal);
    process.once("SIGTERM", this.onSignal);
  }

  spawn(command: string, args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.children.add(child);
    let output = "";
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    const exited = new Promise<number | null>((resolve) => {
      child.once("error", (err) => {
        output += String(err);
        resolve(-1);
      });
      child.once("exit", (code) => resolve(code));
    });
    void exited.then(() => this.children.delete(child));
    return { child, output: () => output, exited };
  }

  /** Synchronous: also what a signal handler can do before exiting. */
  private removeNow(): void {
    for (const child of this.children) child.kill("SIGKILL");
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** SIGTERM, and SIGKILL after 5 s; resolves once the child has exited. */
  stop(child: ChildProcess): Promise<void> {
    return new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    process.off("SIGINT", this.onSignal);
    process.off("SIGTERM", this.onSignal);
    await Promise.all([...this.children].map((child) => this.stop(child)));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Plays, backfills and serves a scenario; the caller must close() the result. */
export async function startOffline(options: OfflineOptions, tools = findTools()): Promise<OfflineServer> {
  const workspace = new Workspace();
  try {
    // Whole minutes, an hour clear of the head block Prometheus keeps for new samples.
    const epochMs = Math.floor(Date.now() / 60_000) * 60_000 - options.durationMs - 3_600_000;
    const file = path.join(workspace.dir, "scenario.om");
    const fd = fs.openSync(file, "w");
    const began = Date.now();
    let samples: number;
    try {
      samples = await writeBackfill(
        options.scenario,
        {
          seed: options.seed,
          // Up to and including durationMs (the writer's end is excluded).
          durationMs: options.durationMs + 1,
          stepMs: options.stepMs,
          detailFromMs: options.evaluateFromMs,
          historyStepMs: options.historyStepMs,
          names: options.names,
          epochMs,
        },
        (chunk) => fs.writeSync(fd, chunk),
      );
    } finally {
      fs.closeSync(fd);
    }
    options.log(`played ${options.scenario.name} offline: ${samples.toLocaleString("en-US")} samples in ${((Date.now() - began) / 1000).toFixed(1)} s`);

    const data = path.join(workspace.dir, "data");
    const blocks = workspace.spawn(tools.promtool, ["tsdb", "create-blocks-from", "openmetrics", file, data]);
    if ((await blocks.exited) !== 0) throw new Error(`promtool tsdb create-blocks-from openmetrics failed:\n${blocks.output()}`);
    fs.rmSync(file);
    options.log(`backfilled with promtool in ${((Date.now() - began) / 1000).toFixed(1)} s`);

    const config = path.join(workspace.dir, "prometheus.yml");
    fs.writeFileSync(config, "global: {scrape_interval: 1m}\n");
    const retentionDays = Math.ceil(options.durationMs / 86_400_000) + 2;
    const serve = () => startServer(workspace, tools.prometheus, [`--config.file=${config}`, `--storage.tsdb.path=${data}`, `--storage.tsdb.retention.time=${retentionDays}d`]);
    let server = await serve();
    options.log(`temporary Prometheus ready on ${server.url} after ${((Date.now() - began) / 1000).toFixed(1)} s`);

    const levels = dependencyLevels(options.recordingRules ?? []);
    for (const [n, level] of levels.entries()) {
      const staging = path.join(workspace.dir, `rules-${n}`);
      fs.mkdirSync(staging);
      const ruleFile = path.join(staging, "rules.yml");
      fs.writeFileSync(ruleFile, renderRuleFile(level));
      const evalInterval = `${options.stepMs}ms`;
      await createBlocksFromRules({ promtool: tools.promtool, url: server.url, fromMs: epochMs, toMs: epochMs + options.durationMs, evalInterval, ruleFile, outDir: staging });
      // Prometheus looks for new blocks once a minute; a restart on the same data opens them at once.
      await workspace.stop(server.child);
      moveBlocks(staging, data, blocksIn(staging));
      server = await serve();
      const names = level.flatMap((g) => g.rules.map((r) => r.record));
      options.log(`recording rules${levels.length > 1 ? ` (level ${n + 1} of ${levels.length})` : ""} evaluated over the played range: ${names.join(", ")}, after ${((Date.now() - began) / 1000).toFixed(1)} s`);
    }
    return { url: server.url, start: epochMs / 1000, samples, close: () => workspace.close() };
  } catch (err) {
    await workspace.close();
    throw err;
  }
}

/** A Prometheus on a free loopback port, ready; a few ports are tried (another process may take one meanwhile). */
async function startServer(workspace: Workspace, prometheus: string, args: string[]): Promise<{ url: string; child: ChildProcess }> {
  let lastOutput = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const server = workspace.spawn(prometheus, [...args, `--web.listen-address=127.0.0.1:${port}`]);
    const url = `http://127.0.0.1:${port}`;
    if (await ready(url, server.exited, 60_000)) return { url, child: server.child };
    lastOutput = server.output();
    server.child.kill("SIGKILL");
    await server.exited;
  }
  throw new Error(`the temporary Prometheus did not start:\n${lastOutput}`);
}

/** True once GET /-/ready answers 200; false when the process exits first or the time is up. */
async function ready(url: string, exited: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  return (await waitUntilReady(url, timeoutMs, { intervalMs: 100, attemptMs: 1000, stop: () => gone })) === undefined;
}
