/**
 * `promemu backfill`: a scenario played over [--from, --to) on the engine's injected clock, written
 * as one OpenMetrics file, or (--format blocks) as TSDB blocks by promtool, for any Prometheus. The
 * live engine started with `promemu run --start-at <from>` (same scenario, --set and --seed) goes on
 * from the state the backfill ended in.
 */
import * as fs from "fs";
import * as path from "path";
import { Command, Option } from "commander";
import { createBlocksSync, findPromtool } from "../backfill/blocks";
import { writeBackfill } from "../backfill/openmetrics";
import type { Engine } from "../engine/engine";
import { TIME_HINT, parseTime } from "../backfill/time";
import { ToolMissing } from "../check/offline";
import { UsageError } from "../errors";
import { DEFAULT_MAX_SERIES, MAX_SERIES_LIMIT } from "../scenario/capacity";
import type { CompiledScenario } from "../model/types";
import type { SetEntry } from "../scenario/params";
import { loadScenario } from "../scenario/loader";
import { DURATION_HINT, formatDuration, parseDuration } from "../util/duration";
import { defaultOwner, parseWhole } from "./options";
import { collectSet } from "./set";
import type { Terminal } from "./status";

/** Exit code when promtool is missing or fails (as `promemu check` when it cannot check). */
const EXIT_UNAVAILABLE = 3;
const FORMATS = ["openmetrics", "blocks"] as const;
type Format = (typeof FORMATS)[number];
const SINKS = ["pushgateway", "remote-write"] as const;
export type Sink = (typeof SINKS)[number];

interface RawBackfillOptions {
  scenario: string;
  set: SetEntry[];
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
}

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
}

/** Checks every option at once; the UsageError has one problem per line, each naming its flag and what is allowed. */
export function parseBackfillOptions(raw: RawBackfillOptions, nowMs: number): BackfillCommandOptions {
  const problems: string[] = [];
  const bad = (flag: string, value: string, problem: string): undefined => {
    problems.push(`${flag} "${value}": ${problem}`);
    return undefined;
  };
  const whole = (flag: string, value: string, min: number, max: number, hint: string): number | undefined => parseWhole(value, min, max) ?? bad(flag, value, hint);
  const seed = whole("--seed", raw.seed, 0, 0xffffffff, "must be a whole number from 0 to 4294967295");
  let fromMs: number | undefined;
  if (raw.from === undefined) problems.push(`--from is required: ${TIME_HINT}`);
  else fromMs = parseTime(raw.from, nowMs) ?? bad("--from", raw.from, `must be ${TIME_HINT}`);
  const toMs = parseTime(raw.to, nowMs) ?? bad("--to", raw.to, `must be ${TIME_HINT}`);
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) {
    problems.push(`--from ${new Date(fromMs).toISOString()} must be before --to ${new Date(toMs).toISOString()}`);
  }
  if (!raw.out) problems.push("--out is required: the directory to write into (created when missing)");
  else if (fs.existsSync(raw.out) && !fs.statSync(raw.out).isDirectory()) bad("--out", raw.out, "is a file; give a directory (created when missing)");
  const format = (FORMATS as readonly string[]).includes(raw.format) ? (raw.format as Format) : bad("--format", raw.format, `must be one of ${FORMATS.join(", ")}`);
  const sink = (SINKS as readonly string[]).includes(raw.sink) ? (raw.sink as Sink) : bad("--sink", raw.sink, `must be one of ${SINKS.join(", ")}`);
  let stepMs = parseDuration(raw.step);
  if (stepMs === undefined) bad("--step", raw.step, `must be ${DURATION_HINT}`);
  else if (stepMs < 1000) stepMs = bad("--step", raw.step, "must be at least 1s (a scrape interval)");
  const shards = raw.shards === "auto" ? undefined : whole("--shards", raw.shards, 1, 1024, "must be auto or a whole number from 1 to 1024 (as given to promemu run)");
  const maxSeries =
    raw.maxSeries === undefined ? DEFAULT_MAX_SERIES : whole("--max-series", raw.maxSeries, 1, MAX_SERIES_LIMIT, `must be a whole number from 1 to ${MAX_SERIES_LIMIT}`);
  if (raw.job.trim() === "") bad("--job", raw.job, "must not be empty");
  const owner = raw.owner ?? defaultOwner();
  if (owner.trim() === "") bad("--owner", owner, "must not be empty");
  if (problems.length > 0) throw new UsageError(problems.join("\n"));
  return {
    scenario: raw.scenario,
    set: raw.set,
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
  };
}

export function addBackfillCommand(program: Command, terminal: Terminal, exit: { code: number }): void {
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
        scenario = loadScenario(raw.scenario, raw.set, { maxSeries: options?.maxSeries ?? DEFAULT_MAX_SERIES, override: "--max-series" }).scenario;
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        problems.push(err.message);
      }
      if (problems.length > 0) throw new UsageError(problems.join("\n"));
      await withPromtool(exit, async () => {
        await backfillCommand(options!, scenario!, (line) => terminal.log(line));
        terminal.log(`continue live from this state: promemu run --scenario ${raw.scenario} --seed ${options!.seed}${raw.set.length ? " --set ..." : ""} --start-at ${new Date(options!.fromMs).toISOString()} ...`);
      });
    });
}

/** Runs a command that needs promtool: exit 0 when it ends, 3 with what to install when promtool is missing. */
export async function withPromtool(exit: { code: number }, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    exit.code = 0;
  } catch (err) {
    if (!(err instanceof ToolMissing)) throw err;
    process.stderr.write(`promemu: ${err.message}\n`);
    exit.code = EXIT_UNAVAILABLE;
  }
}

/**
 * With --format blocks, one OpenMetrics file per 2 h block of promtool (the same alignment: multiples
 * of 2 h since the epoch), turned into its block as soon as it is written and removed: promtool reads
 * its whole input once per 2 h block, so one file for a week would cost 84 passes over all of it, and
 * only one 2 h file is on disk at a time.
 */
export const BLOCKS_FILE_SPAN_MS = 2 * 3_600_000;

export interface BackfillResult {
  samples: number;
  /** Playing and writing the OpenMetrics, promtool's time apart. */
  seconds: number;
  promtoolSeconds: number;
}

/** Writes the file (and the blocks). */
export async function backfillCommand(options: BackfillCommandOptions, scenario: CompiledScenario, log: (line: string) => void): Promise<BackfillResult> {
  // Before anything is played: a missing promtool is known at once.
  const promtool = options.format === "blocks" ? findPromtool() : undefined;
  fs.mkdirSync(options.out, { recursive: true });
  const files: string[] = [];
  const nextFile = () =>
    files.push(promtool ? path.join(options.out, `.promemu-backfill-${process.pid}-${files.length}.om`) : path.join(options.out, `${scenario.name}.om`));
  const removeTemporary = () => {
    if (promtool) for (const file of files) fs.rmSync(file, { force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    removeTemporary();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const from = new Date(options.fromMs + (options.startMs ?? 0)).toISOString();
    const to = new Date(options.toMs).toISOString();
    const began = Date.now();
    nextFile();
    let fd = fs.openSync(files[0], "w");
    let samples: number;
    let bytes = 0;
    let promtoolMs = 0;
    const toBlocks = (file: string) => {
      const started = Date.now();
      createBlocksSync(promtool!, file, options.out);
      fs.rmSync(file, { force: true });
      promtoolMs += Date.now() - started;
    };
    try {
      samples = writeBackfill(
        scenario,
        {
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
          split: promtool
            ? {
                everyMs: BLOCKS_FILE_SPAN_MS,
                next: () => {
                  fs.closeSync(fd);
                  toBlocks(files[files.length - 1]);
                  nextFile();
                  fd = fs.openSync(files[files.length - 1], "w");
                },
              }
            : undefined,
        },
        (chunk) => (bytes += fs.writeSync(fd, chunk)),
      );
    } finally {
      fs.closeSync(fd);
    }
    if (promtool) toBlocks(files[files.length - 1]);
    const seconds = Math.max((Date.now() - began - promtoolMs) / 1000, 0.001);
    log(
      `backfill ${scenario.name} from ${from} to ${to} (${formatDuration(options.toMs - options.fromMs - (options.startMs ?? 0))}, a sample every ${formatDuration(options.stepMs)}, seed ${options.seed}): ` +
        `${samples.toLocaleString("en-US")} samples, ${(bytes / 1e6).toFixed(1)} MB of OpenMetrics in ${seconds.toFixed(1)} s (${Math.round(samples / seconds).toLocaleString("en-US")} samples/s)` +
        (promtool ? "" : ` to ${files[0]}`),
    );
    if (promtool) log(`TSDB blocks written into ${options.out} by promtool in ${(promtoolMs / 1000).toFixed(1)} s (${files.length} file${files.length > 1 ? "s" : ""} of at most 2h)`);
    return { samples, seconds, promtoolSeconds: promtoolMs / 1000 };
  } finally {
    removeTemporary();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
