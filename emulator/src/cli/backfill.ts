/**
 * `promemu backfill`: a scenario played over [--from, --to) on the engine's injected clock, written
 * as one OpenMetrics file, or (--format blocks) as TSDB blocks by promtool, for any Prometheus. The
 * live engine started with `promemu run --start-at <from>` (same scenario, --set and --seed) goes on
 * from the state the backfill ended in. The hosts' log lines of the same play go to files
 * (--logs-out) and/or a Loki push (--loki-url); each output is asked for by its flag, so a backfill
 * of logs alone has no --out (docs/logs.md "Backfilling logs").
 */
import * as fs from "fs";
import * as path from "path";
import { Command, Option } from "commander";
import { createBlocks, findPromtool } from "../backfill/blocks";
import { blocksIn, moveBlocks, overlappingBlocks } from "../backfill/data-dir";
import {
  DEFAULT_MAX_SAMPLES,
  MAX_SAMPLES_LIMIT,
  describeEstimate,
  describeLogEstimate,
  diskProblem,
  estimateBackfill,
  estimateLogs,
  estimateProblem,
  logDiskProblem,
} from "../backfill/estimate";
import { type BackfillOptions, writeBackfill } from "../backfill/openmetrics";
import { LogFiles, logsOutProblem } from "../backfill/log-files";
import { LokiBackfill, type LokiTotals } from "../backfill/log-push";
import { LogDrain, type LogOutput, sampleLogs, scenarioLogStreams } from "../backfill/logs";
import type { Engine } from "../engine/engine";
import { TIME_HINT, parseTime } from "../backfill/time";
import { Failure, UsageError } from "../errors";
import { DEFAULT_MAX_SERIES, MAX_SERIES_LIMIT } from "../scenario/capacity";
import type { CompiledScenario } from "../model/types";
import { seriesPerHost } from "../scenario/compile";
import type { SetEntry } from "../scenario/params";
import { loadScenario } from "../scenario/loader";
import { DURATION_HINT, formatDuration, parseDuration } from "../util/duration";
import { WholeFile, ensureWritableDirectory, fsReason } from "../util/files";
import { LOKI_ENCODINGS, type LokiEncoding } from "../sinks/loki/push";
import { redactUrl } from "../util/url";
import { Interrupted, interruptible } from "./interrupt";
import { DEFAULT_LOKI_ENCODING, defaultOwner, lokiTenantProblem, parseLokiUrl, parseWhole } from "./options";
import { collectSet, parseSetOption } from "./set";
import type { Terminal } from "./status";

const FORMATS = ["openmetrics", "blocks"] as const;
type Format = (typeof FORMATS)[number];
const SINKS = ["pushgateway", "remote-write"] as const;
export type Sink = (typeof SINKS)[number];

interface RawBackfillOptions {
  scenario: string;
  set: string[];
  seed: string;
  from?: string;
  to: string;
  out?: string;
  format: string;
  sink: string;
  step: string;
  job: string;
  owner?: string;
  shards: string;
  maxSeries?: string;
  maxSamples?: string;
  logsOut?: string;
  lokiUrl?: string;
  lokiBatch?: string;
  lokiMaxPending?: string;
  lokiRetryFor?: string;
  lokiEncoding?: string;
  lokiTenant?: string;
}

/** The hosts' logs of a backfill: files, a Loki push, or both. */
export interface BackfillLogTargets {
  /** The folder of `<host>/<source>.log`. */
  out?: string;
  loki?: { url: string; maxLinesPerRequest: number; maxPendingLines: number; retryForMs: number; encoding: LokiEncoding; tenant?: string };
}

export const DEFAULT_LOKI_BATCH = 5000;
/**
 * Lines queued for the push at most: the engine waits beyond, so this bounds memory, not the retry window
 * (100,000 JSON lines are some 30 MB; a live run keeps 1,000,000 to ride out an outage).
 */
export const DEFAULT_BACKFILL_LOKI_MAX_PENDING = 100_000;
export const DEFAULT_LOKI_RETRY_FOR = "2m";

export interface BackfillCommandOptions {
  scenario: string;
  set: SetEntry[];
  seed: number;
  fromMs: number;
  toMs: number;
  out: string;
  format: Format;
  /** The sink of the live run this history stands for: it decides the labels of pushed hosts. */
  sink: Sink;
  stepMs: number;
  job: string;
  owner: string;
  /** undefined: as `run` chooses from the host count. */
  shards?: number;
  /** Emulators splitting the fleet (`run --shard k/n`); 1 when absent. */
  replicas?: number;
  /** Scenario time of the first sample written: a later part of the same history (0 when absent). */
  startMs?: number;
  /** The engine a previous part of the same history was played on (openmetrics.ts BackfillOptions.engine). */
  engine?: Engine;
  maxSeries: number;
  /** Refused above this many samples (estimated before anything is written). */
  maxSamples: number;
  /** The hosts' logs of the same play; absent: none. */
  logs?: BackfillLogTargets;
  /** false: no metrics (no --out: a backfill of logs alone, `out` is empty). Default true. */
  metrics?: boolean;
}

/** How the command names its flags: `history write` calls the start --start-at and the directory --data. */
export interface BackfillFlags {
  from: string;
  /** The end: `--to`, or `now` where it is not an option. */
  to: string;
  out: string;
}

const BACKFILL_FLAGS: BackfillFlags = { from: "--from", to: "--to", out: "--out" };

/** Checks every option at once; the UsageError has one problem per line, each naming its flag and what is allowed. */
export function parseBackfillOptions(raw: RawBackfillOptions, nowMs: number, flags: BackfillFlags = BACKFILL_FLAGS): BackfillCommandOptions {
  const problems: string[] = [];
  const bad = (flag: string, value: string, problem: string): undefined => {
    problems.push(`${flag} "${value}": ${problem}`);
    return undefined;
  };
  const whole = (flag: string, value: string, min: number, max: number, hint: string): number | undefined => parseWhole(value, min, max) ?? bad(flag, value, hint);
  const seed = whole("--seed", raw.seed, 0, 0xffffffff, "must be a whole number from 0 to 4294967295");
  let set: SetEntry[] = [];
  try {
    set = parseSetOption(raw.set, "--set");
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    problems.push(err.message);
  }
  let fromMs: number | undefined;
  if (raw.from === undefined) problems.push(`${flags.from} is required: ${TIME_HINT}`);
  else fromMs = parseTime(raw.from, nowMs) ?? bad(flags.from, raw.from, `must be ${TIME_HINT} (a date that exists)`);
  const toMs = parseTime(raw.to, nowMs) ?? bad("--to", raw.to, `must be ${TIME_HINT} (a date that exists)`);
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) {
    if (flags.to === "now") bad(flags.from, raw.from!, "must be in the past");
    else problems.push(`${flags.from} ${new Date(fromMs).toISOString()} must be before ${flags.to} ${new Date(toMs).toISOString()}`);
  }
  const logs = parseLogTargets(raw, problems);
  // Without --out but with a log output: the logs alone, no metrics.
  if (!raw.out) {
    if (!logs) problems.push(`${flags.out} is required: the directory to write into (created when missing)${flags === BACKFILL_FLAGS ? "; or --logs-out or --loki-url for the logs alone" : ""}`);
  } else if (fs.existsSync(raw.out) && !fs.statSync(raw.out).isDirectory()) bad(flags.out, raw.out, "is not a directory; give a directory (created when missing)");
  const format = (FORMATS as readonly string[]).includes(raw.format) ? (raw.format as Format) : bad("--format", raw.format, `must be one of ${FORMATS.join(", ")}`);
  const sink = (SINKS as readonly string[]).includes(raw.sink) ? (raw.sink as Sink) : bad("--sink", raw.sink, `must be one of ${SINKS.join(", ")}`);
  let stepMs = parseDuration(raw.step);
  if (stepMs === undefined) bad("--step", raw.step, `must be ${DURATION_HINT}`);
  else if (stepMs < 1000) stepMs = bad("--step", raw.step, "must be at least 1s (a scrape interval)");
  const shards = raw.shards === "auto" ? undefined : whole("--shards", raw.shards, 1, 1024, "must be auto or a whole number from 1 to 1024 (as given to promemu run)");
  const maxSeries =
    raw.maxSeries === undefined ? DEFAULT_MAX_SERIES : whole("--max-series", raw.maxSeries, 1, MAX_SERIES_LIMIT, `must be a whole number from 1 to ${MAX_SERIES_LIMIT}`);
  const maxSamples =
    raw.maxSamples === undefined
      ? DEFAULT_MAX_SAMPLES
      : whole("--max-samples", raw.maxSamples, 1, MAX_SAMPLES_LIMIT, `must be a whole number from 1 to ${MAX_SAMPLES_LIMIT} (the default is ${DEFAULT_MAX_SAMPLES})`);
  if (raw.job.trim() === "") bad("--job", raw.job, "must not be empty");
  const owner = raw.owner ?? defaultOwner();
  if (owner.trim() === "") bad("--owner", owner, "must not be empty");
  if (problems.length > 0) throw new UsageError(problems.join("\n"));
  return {
    scenario: raw.scenario,
    set,
    seed: seed!,
    fromMs: fromMs!,
    toMs: toMs!,
    out: raw.out!,
    format: format!,
    sink: sink!,
    stepMs: stepMs!,
    job: raw.job,
    owner,
    shards,
    maxSeries: maxSeries!,
    maxSamples: maxSamples!,
    ...(logs ? { logs } : {}),
    ...(raw.out ? {} : { metrics: false, out: "" }),
  };
}

/** --logs-out and the --loki-* flags; undefined when neither --logs-out nor --loki-url is given. */
function parseLogTargets(raw: RawBackfillOptions, problems: string[]): BackfillLogTargets | undefined {
  const bad = (flag: string, value: string, problem: string): undefined => {
    problems.push(`${flag} "${value}": ${problem}`);
    return undefined;
  };
  let out: string | undefined;
  if (raw.logsOut !== undefined) {
    if (raw.logsOut.trim() === "") bad("--logs-out", raw.logsOut, "must not be empty: the directory of the log files (created when missing)");
    else if (raw.out && path.resolve(raw.out) === path.resolve(raw.logsOut)) bad("--logs-out", raw.logsOut, "must not be --out: give the logs a directory of their own (it may be inside --out)");
    else {
      const problem = logsOutProblem(raw.logsOut);
      if (problem) bad("--logs-out", raw.logsOut, problem);
      else out = raw.logsOut;
    }
  }
  let loki: BackfillLogTargets["loki"];
  if (raw.lokiUrl !== undefined) {
    const url = parseLokiUrl(raw.lokiUrl, (problem) => bad("--loki-url", raw.lokiUrl!, problem));
    const batch = raw.lokiBatch === undefined ? DEFAULT_LOKI_BATCH : (parseWhole(raw.lokiBatch, 1, 100_000) ?? bad("--loki-batch", raw.lokiBatch, "must be a whole number from 1 to 100000 (log lines per request)"));
    const maxPending =
      raw.lokiMaxPending === undefined
        ? DEFAULT_BACKFILL_LOKI_MAX_PENDING
        : (parseWhole(raw.lokiMaxPending, 1, 100_000_000) ?? bad("--loki-max-pending", raw.lokiMaxPending, "must be a whole number from 1 to 100000000 (log lines queued at most)"));
    const retryFor = raw.lokiRetryFor ?? DEFAULT_LOKI_RETRY_FOR;
    const retryForMs = parseDuration(retryFor) ?? bad("--loki-retry-for", retryFor, `must be ${DURATION_HINT}`);
    const encoding =
      raw.lokiEncoding === undefined
        ? DEFAULT_LOKI_ENCODING
        : (LOKI_ENCODINGS.find((e) => e === raw.lokiEncoding) ?? bad("--loki-encoding", raw.lokiEncoding, `must be ${LOKI_ENCODINGS.join(", ")} (default ${DEFAULT_LOKI_ENCODING})`));
    const tenantProblem = raw.lokiTenant === undefined || !url ? undefined : lokiTenantProblem(raw.lokiTenant, url);
    if (tenantProblem) bad("--loki-tenant", raw.lokiTenant!, tenantProblem);
    if (batch !== undefined && maxPending !== undefined && maxPending < batch) bad("--loki-max-pending", String(maxPending), `must be at least --loki-batch (${batch}): a request's lines are queued whole`);
    else if (url && batch !== undefined && maxPending !== undefined && retryForMs !== undefined && encoding && !tenantProblem) {
      loki = { url, maxLinesPerRequest: batch, maxPendingLines: maxPending, retryForMs, encoding, ...(raw.lokiTenant === undefined ? {} : { tenant: raw.lokiTenant }) };
    }
  } else {
    for (const [flag, value] of [
      ["--loki-batch", raw.lokiBatch],
      ["--loki-max-pending", raw.lokiMaxPending],
      ["--loki-retry-for", raw.lokiRetryFor],
      ["--loki-encoding", raw.lokiEncoding],
      ["--loki-tenant", raw.lokiTenant],
    ] as const)
      if (value !== undefined) problems.push(`${flag} is for the Loki push: give --loki-url too`);
  }
  if (raw.logsOut === undefined && raw.lokiUrl === undefined) return undefined;
  return { ...(out !== undefined ? { out } : {}), ...(loki ? { loki } : {}) };
}

/** The help text of --max-samples (backfill and history write). */
export const MAX_SAMPLES_HELP = `refuse a range estimated above this many samples (default ${DEFAULT_MAX_SAMPLES}; the message shows the estimated disk and time)`;

export function addBackfillCommand(program: Command, terminal: Terminal): void {
  program
    .command("backfill")
    .description("write a scenario's past as OpenMetrics or TSDB blocks (promtool), for any Prometheus; `run --start-at <from>` continues it live")
    .addOption(new Option("--scenario <name|file>", "built-in scenario name or YAML file").default("default"))
    .option("--set <key=value>", "override a scenario parameter (repeatable, comma-separated, or a JSON object)", collectSet, [])
    .option("--seed <n>", "random seed: the same seed plays the same series", "42")
    .option("--from <time>", `start of the range, scenario time 0 (${TIME_HINT})`)
    .option("--to <time>", "end of the range, excluded (same forms)", "now")
    .option("--out <dir>", "directory to write into: <scenario>.om, or the blocks")
    .option("--format <format>", "openmetrics (one file) or blocks (TSDB blocks by promtool)", "openmetrics")
    .option("--sink <sink>", "how the live run sends pushed hosts, which decides their labels: pushgateway (grouping key added when scraped) or remote-write (their own labels)", "pushgateway")
    .option("--step <duration>", "time between two samples of a series (the scrape interval)", "15s")
    .option("--job <name>", "job label of pushed hosts (the Pushgateway job of `promemu run`)", "promemu")
    .option("--owner <id>", "promemu_owner label of pushed hosts (default promemu-<hostname>, as `promemu run`)")
    .option("--shards <n|auto>", "groups the pushed hosts are spread over (promemu_shard label), as given to `promemu run`", "auto")
    .option("--max-series <n>", `refuse a scenario above this many series (default ${DEFAULT_MAX_SERIES})`)
    .option("--max-samples <n>", MAX_SAMPLES_HELP)
    .option("--logs-out <dir>", "also write the hosts' logs of the range, one file per stream: <dir>/<host>/<source>.log (a new or empty directory); without --out, the logs alone")
    .option("--loki-url <url>", "also push the hosts' logs of the range, with their own timestamps, to this Loki push URL (.../loki/api/v1/push, VictoriaLogs .../insert/loki/api/v1/push); without --out, the logs alone")
    .option("--loki-batch <n>", `most log lines per request (default ${DEFAULT_LOKI_BATCH})`)
    .option("--loki-max-pending <n>", `log lines queued at most; the backfill waits for the store beyond (default ${DEFAULT_BACKFILL_LOKI_MAX_PENDING})`)
    .option("--loki-retry-for <duration>", `how long the push may fail in a row before the backfill gives up (default ${DEFAULT_LOKI_RETRY_FOR})`)
    .option("--loki-encoding <protobuf|json|json-gzip>", `body of the Loki pushes, as \`run --loki-encoding\` (default ${DEFAULT_LOKI_ENCODING})`)
    .option("--loki-tenant <id>", "send X-Scope-OrgID: <id> (Loki's tenant; VictoriaLogs: AccountID[:ProjectID])")
    .action(async (raw: RawBackfillOptions) => {
      const problems: string[] = [];
      let options: BackfillCommandOptions | undefined;
      try {
        options = parseBackfillOptions(raw, Date.now());
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        problems.push(err.message);
      }
      let scenario;
      try {
        scenario = loadScenario(raw.scenario, options?.set ?? [], { maxSeries: options?.maxSeries ?? DEFAULT_MAX_SERIES, override: "--max-series" }).scenario;
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        problems.push(err.message);
      }
      if (problems.length > 0) throw new UsageError([...new Set(problems)].join("\n"));
      const log = (line: string) => terminal.log(line);
      const metrics = options!.metrics !== false;
      // Before anything is played: a missing promtool, a folder that cannot be written, too large a range, earlier output.
      if (options!.logs) refuseWithoutLogs(options!, scenario!);
      if (metrics) {
        if (options!.format === "blocks") findPromtool();
        ensureWritableDirectory(options!.out, "--out");
        refuseEarlierOutput(options!, scenario!);
      }
      // Ctrl-C is heard from the estimates on: a user who reads "(estimated)" and presses it gets 130, not Node's
      // default death by the signal (seen in CI: the signal came between the estimate's line and the work's handlers).
      const result = await interruptible(async (signal) => {
        if (metrics) await checkBackfillSize(options!, scenario!, { what: `backfill of ${scenario!.name} over ${formatDuration(options!.toMs - options!.fromMs)}`, flags: BACKFILL_FLAGS, log });
        else log("no --out: the logs alone, no metrics written");
        if (options!.logs) checkLogsSize(options!, scenario!, log);
        // A signal heard during the estimates stops the work at its first turn, which says what it removed.
        return backfillCommand(options!, scenario!, log, signal);
      });
      const loki = result.loki;
      if (loki && loki.failed + loki.dropped > 0) {
        throw new Failure(`loki push to ${redactUrl(options!.logs!.loki!.url)}: ${loki.failed + loki.dropped} of ${loki.sent + loki.failed + loki.dropped} log lines were not accepted (${loki.failed} refused, ${loki.dropped} dropped; the reason is logged above)`);
      }
      log(`continue live from this state: promemu run --scenario ${raw.scenario} --seed ${options!.seed}${options!.set.length ? " --set ..." : ""} --start-at ${new Date(options!.fromMs).toISOString()} ...`);
    });
}

/**
 * With --format blocks, one OpenMetrics file per 2 h block of promtool (the same alignment: multiples
 * of 2 h since the epoch), turned into its block as soon as it is written and removed: promtool reads
 * its whole input once per 2 h block, so one file for a week would cost 84 passes over all of it, and
 * only one 2 h file is on disk at a time.
 */
export const BLOCKS_FILE_SPAN_MS = 2 * 3_600_000;

/** The options of the writer for these command options (the labels of pushed hosts as the live run sends them). */
function writerOptions(options: BackfillCommandOptions): BackfillOptions {
  return {
    seed: options.seed,
    durationMs: options.toMs - options.fromMs,
    stepMs: options.stepMs,
    epochMs: options.fromMs,
    startMs: options.startMs,
    engine: options.engine,
    pushed:
      options.sink === "remote-write"
        ? { sink: "remote-write" }
        : { sink: "pushgateway", job: options.job, owner: options.owner, shards: options.shards, replicas: options.replicas },
  };
}

/**
 * Estimates samples, disk and time (one step written on a fresh engine, or every host's series if more, times
 * the steps), logs them, and refuses above --max-samples or the free space of the folder (UsageError).
 */
export async function checkBackfillSize(
  options: BackfillCommandOptions,
  scenario: CompiledScenario,
  context: { what: string; flags: BackfillFlags; log: (line: string) => void },
): Promise<void> {
  const oneStep = await writeBackfill(scenario, { ...writerOptions(options), durationMs: options.stepMs, startMs: 0, engine: undefined }, () => undefined);
  let everyHost = 0;
  for (const host of scenario.hosts) if (!host.shape.exporter) everyHost += seriesPerHost(host.shape);
  const estimate = estimateBackfill(Math.max(oneStep, everyHost), options.toMs - options.fromMs - (options.startMs ?? 0), options.stepMs, options.format);
  const problem = estimateProblem(context.what, estimate, options.maxSamples, "--max-samples");
  if (problem) throw new UsageError(problem);
  const stats = fs.statfsSync(options.out);
  const disk = diskProblem(estimate, stats.bavail * stats.bsize, context.flags.out, options.out);
  if (disk) throw new UsageError(disk);
  context.log(`${context.what}: ${describeEstimate(estimate)} (estimated)`);
}

/**
 * An earlier backfill's file is not overwritten, and no blocks are written over the range of blocks already there:
 * Prometheus would merge the samples of both (another seed, another scenario) into one mixed history.
 */
function refuseEarlierOutput(options: BackfillCommandOptions, scenario: CompiledScenario): void {
  if (options.format === "openmetrics") {
    const file = path.join(options.out, `${scenario.name}.om`);
    if (fs.existsSync(file)) throw new UsageError(`--out "${options.out}": ${file} exists already (an earlier backfill?); remove it, or give another --out`);
    return;
  }
  const overlapping = overlappingBlocks(options.out, options.fromMs, options.toMs);
  if (overlapping.length === 0) return;
  const shown = overlapping
    .slice(0, 3)
    .map((b) => `${b.block} (${Number.isFinite(b.fromMs) ? new Date(b.fromMs).toISOString() : "?"} to ${Number.isFinite(b.toMs) ? new Date(b.toMs).toISOString() : "?"})`)
    .join(", ");
  throw new UsageError(
    `--out "${options.out}": holds ${overlapping.length} block${overlapping.length > 1 ? "s" : ""} within ${new Date(options.fromMs).toISOString()} to ${new Date(options.toMs).toISOString()}: ${shown}${overlapping.length > 3 ? ", ..." : ""}. ` +
      "Prometheus would merge them with the new samples into one mixed history: give an empty --out, or a range the blocks there do not cover",
  );
}

/** A backfill asked for logs of a scenario none of whose hosts writes any: said, not an empty folder. */
function refuseWithoutLogs(options: BackfillCommandOptions, scenario: CompiledScenario): void {
  if (scenarioLogStreams(scenario, options.job).length > 0) return;
  const flags = [options.logs!.out !== undefined ? "--logs-out" : undefined, options.logs!.loki ? "--loki-url" : undefined].filter(Boolean).join(" and ");
  throw new UsageError(
    `${flags}: scenario ${scenario.name} has no host with logs (a \`logs\` key on a host or its role), so there are no lines to write. ` +
      "Give a scenario with logs (default, fleet-faults), declare them (docs/logs.md \"Declaring logs\"), or leave " +
      (flags.includes(" and ") ? "those flags" : "the flag") +
      " out",
  );
}

/** Scenario time the log estimate plays at most: a cycle of default's peaks (10 min). */
const LOG_SAMPLE_MS = 10 * 60_000;

/**
 * Estimates the range's lines, file bytes and time from its first minutes played with logs (lines
 * follow the load, so a sample beats a constant), logs them, and refuses a --logs-out whose file system
 * cannot hold them (UsageError).
 */
export function checkLogsSize(options: BackfillCommandOptions, scenario: CompiledScenario, log: (line: string) => void): void {
  const logs = options.logs!;
  const rangeMs = options.toMs - options.fromMs;
  const sample = sampleLogs(scenario, options.seed, options.fromMs, options.job, Math.min(rangeMs, LOG_SAMPLE_MS));
  const estimate = estimateLogs(sample, rangeMs);
  if (logs.out !== undefined) {
    // The folder is created at the end (a rename of the staging folder beside it): its parent holds the files.
    const parent = path.dirname(path.resolve(logs.out));
    ensureWritableDirectory(parent, "--logs-out");
    const stats = fs.statfsSync(parent);
    const problem = logDiskProblem(estimate, stats.bavail * stats.bsize, "--logs-out", logs.out);
    if (problem) throw new UsageError(problem);
  }
  const streams = scenarioLogStreams(scenario, options.job).length;
  log(`logs of ${scenario.name} over ${formatDuration(rangeMs)}, ${streams} stream${streams > 1 ? "s" : ""}: ${describeLogEstimate(estimate, logs.out !== undefined)} (estimated from the first ${formatDuration(sample.playedMs)})`);
}

export interface BackfillResult {
  samples: number;
  /** Playing and writing the OpenMetrics, promtool's time apart. */
  seconds: number;
  promtoolSeconds: number;
  /** Log lines of the range (with --logs-out or --loki-url). */
  logLines?: number;
  /** Bytes of the log files (--logs-out). */
  logBytes?: number;
  /** What the Loki push made of them (--loki-url). */
  loki?: LokiTotals;
}

/** One push request's timeout: a batch of 5,000 JSON lines is some 1.5 MB. */
const LOKI_TIMEOUT_MS = 30_000;

/**
 * Writes the file, or the blocks, into `options.out`, whole or not at all: the file under a temporary name
 * renamed at the end, the blocks in a staging folder of `out` moved in at the end. On any failure, and when
 * `signal` aborts (Ctrl-C), what was written is removed and `out` is left as it was. The logs of the same
 * play likewise: their files in a staging folder renamed to --logs-out at the end; lines already pushed to
 * --loki-url stay in the store (a push cannot be taken back), and the message says how many.
 */
export async function backfillCommand(options: BackfillCommandOptions, scenario: CompiledScenario, log: (line: string) => void, signal?: AbortSignal): Promise<BackfillResult> {
  const metrics = options.metrics !== false;
  const promtool = metrics && options.format === "blocks" ? findPromtool() : undefined;
  if (metrics) fs.mkdirSync(options.out, { recursive: true });
  const from = new Date(options.fromMs + (options.startMs ?? 0)).toISOString();
  const to = new Date(options.toMs).toISOString();
  const began = Date.now();
  let promtoolMs = 0;
  let bytes = 0;
  let samples: number;
  let files = 0;
  // The file being written: the result (openmetrics) or the next 2 h part (blocks, in the staging folder).
  const staging = promtool ? path.join(options.out, `.promemu-backfill-${process.pid}`) : undefined;
  const nextFile = () => new WholeFile(staging ? path.join(staging, `part-${++files}.om`) : path.join(options.out, `${scenario.name}.om`));
  let current: WholeFile | undefined;
  const written = (err: unknown, file: string) => {
    const reason = fsReason(err);
    return reason ? new Failure(`cannot write ${file}: ${reason}`) : err;
  };
  // The logs: undefined once committed (files) or closed (the push).
  let logFiles: LogFiles | undefined;
  let loki: LokiBackfill | undefined;
  let drain: LogDrain | undefined;
  let logBytes: number | undefined;
  let lokiTotals: LokiTotals | undefined;
  try {
    if (staging) {
      fs.rmSync(staging, { recursive: true, force: true });
      fs.mkdirSync(staging);
    }
    if (metrics) current = nextFile();
    if (options.logs) {
      const outputs: LogOutput[] = [];
      if (options.logs.out !== undefined) outputs.push((logFiles = new LogFiles(options.logs.out, scenarioLogStreams(scenario, options.job))));
      const target = options.logs.loki;
      if (target) outputs.push((loki = new LokiBackfill({ ...target, userAgent: "promemu", timeoutMs: LOKI_TIMEOUT_MS }, options.fromMs, log, signal)));
      drain = new LogDrain(options.job, outputs, options.toMs - options.fromMs);
    }
    const toBlocks = async () => {
      const part = current!;
      current = undefined;
      part.commit();
      const started = Date.now();
      await createBlocks(promtool!, part.file, staging!, signal);
      fs.rmSync(part.file, { force: true });
      promtoolMs += Date.now() - started;
    };
    samples = await writeBackfill(
      scenario,
      {
        ...writerOptions(options),
        signal,
        logs: drain,
        metrics,
        split: promtool
          ? {
              everyMs: BLOCKS_FILE_SPAN_MS,
              next: async () => {
                await toBlocks();
                current = nextFile();
              },
            }
          : undefined,
      },
      (chunk) => {
        try {
          bytes += current!.write(chunk);
        } catch (err) {
          throw written(err, current!.file);
        }
      },
    );
    // The store's answers first: a push that gives up ends the backfill before anything is put in place.
    if (loki) {
      lokiTotals = await loki.finish();
      loki = undefined;
    }
    if (promtool) {
      await toBlocks();
      moveBlocks(staging!, options.out, blocksIn(staging!));
    } else if (current) {
      current.commit();
      current = undefined;
    }
    if (logFiles) {
      logFiles.commit();
      logBytes = logFiles.bytes;
      logFiles = undefined;
    }
  } catch (err) {
    if (err instanceof Interrupted) {
      const undone: string[] = [];
      if (metrics) undone.push(`nothing was written into ${options.out} (the partial ${promtool ? "blocks were" : "file was"} removed)`);
      if (logFiles) undone.push(`${metrics ? "nothing into" : "nothing was written into"} ${options.logs!.out} (the partial log files were removed)`);
      if (loki) undone.push(`${(await loki.close()).sent} log lines were pushed to ${loki.url} before (they stay there)`);
      err.detail = undone.join("; ");
    }
    throw err;
  } finally {
    current?.discard();
    if (staging) fs.rmSync(staging, { recursive: true, force: true });
    logFiles?.discard();
    await loki?.close();
  }
  const seconds = Math.max((Date.now() - began - promtoolMs) / 1000, 0.001);
  const range = `from ${from} to ${to} (${formatDuration(options.toMs - options.fromMs - (options.startMs ?? 0))}`;
  if (metrics) {
    log(
      `backfill ${scenario.name} ${range}, a sample every ${formatDuration(options.stepMs)}, seed ${options.seed}): ` +
        `${samples.toLocaleString("en-US")} samples, ${(bytes / 1e6).toFixed(1)} MB of OpenMetrics in ${seconds.toFixed(1)} s (${Math.round(samples / seconds).toLocaleString("en-US")} samples/s)` +
        (promtool ? "" : ` to ${path.join(options.out, `${scenario.name}.om`)}`),
    );
  }
  if (promtool) log(`TSDB blocks written into ${options.out} by promtool in ${(promtoolMs / 1000).toFixed(1)} s (${files} file${files > 1 ? "s" : ""} of at most 2h)`);
  if (drain) {
    const lines = drain.lines;
    const where = [
      logBytes !== undefined ? `${(logBytes / 1e6).toFixed(1)} MB of files in ${options.logs!.out}` : undefined,
      lokiTotals ? `pushed to ${redactUrl(options.logs!.loki!.url)}: ${lokiTotals.sent.toLocaleString("en-US")} sent, ${lokiTotals.failed} refused, ${lokiTotals.dropped} dropped` : undefined,
    ].filter(Boolean);
    log(
      `logs of ${scenario.name} ${range}, seed ${options.seed}): ${lines.toLocaleString("en-US")} lines in ${seconds.toFixed(1)} s (${Math.round(lines / seconds).toLocaleString("en-US")} lines/s${metrics ? ", with the metrics" : ""}); ${where.join("; ")}`,
    );
  }
  return { samples, seconds, promtoolSeconds: promtoolMs / 1000, logLines: drain?.lines, logBytes, loki: lokiTotals };
}
