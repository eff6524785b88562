/**
 * `promemu history`: a scenario's past written into a Prometheus data directory before Prometheus
 * starts (`write`), then its recording rules evaluated over that past once Prometheus is up (`rules`).
 * Both are idempotent (backfill/data-dir.ts): the stack runs them on every replacement of their
 * containers, and they write the history once per data volume. A condition that leaves the history
 * as it is (another history, or data scraped before) is a line starting with `warning:`, which the
 * stack shows in `pulumi up`.
 */
import * as fs from "fs";
import * as path from "path";
import { Command, Option } from "commander";
import { findPromtool } from "../backfill/blocks";
import {
  type HistoryIdentity,
  type HistoryRecord,
  STAGING_DIR,
  blocksIn,
  finishMoves,
  foreignEntries,
  readRecord,
  sameIdentity,
  sizeOf,
  writeRecord,
} from "../backfill/data-dir";
import { checkRuleFiles, createBlocksFromRules, readRecordingGroups, renderRuleFile, ruleKey } from "../backfill/rules";
import { TIME_HINT } from "../backfill/time";
import { PrometheusUnavailable, waitUntilReady } from "../check/prometheus";
import { redactUrl } from "../util/url";
import { Engine } from "../engine/engine";
import { UsageError } from "../errors";
import type { CompiledScenario } from "../model/types";
import { DEFAULT_MAX_SERIES } from "../scenario/capacity";
import { loadScenario } from "../scenario/loader";
import { DURATION_HINT, formatDuration, parseDuration } from "../util/duration";
import { ensureWritableDirectory } from "../util/files";
import { type BackfillCommandOptions, MAX_SAMPLES_HELP, backfillCommand, checkBackfillSize, parseBackfillOptions } from "./backfill";
import { Interrupted, interruptible } from "./interrupt";
import { parseWhole } from "./options";
import { collectSet } from "./set";
import type { Terminal } from "./status";

/** Catch-up passes after the first: each writes what passed while the one before ran. */
const MAX_CATCH_UP_PASSES = 3;

export interface HistoryWriteOptions {
  backfill: BackfillCommandOptions;
  replicas: number;
}

/** The identity recorded with the history, from the options that decide its samples. */
function identityOf({ backfill, replicas }: HistoryWriteOptions): HistoryIdentity {
  return {
    scenario: backfill.scenario,
    set: backfill.set.map(String),
    seed: backfill.seed,
    startAt: new Date(backfill.fromMs).toISOString(),
    stepSeconds: backfill.stepMs / 1000,
    sink: backfill.sink,
    job: backfill.job,
    owner: backfill.owner,
    replicas,
  };
}

/** `seed 42 -> 7, owner a -> b`: what differs between the history there and the one asked for. */
function differences(there: HistoryIdentity, asked: HistoryIdentity): string {
  return (Object.keys(asked) as (keyof HistoryIdentity)[])
    .filter((key) => JSON.stringify(there[key]) !== JSON.stringify(asked[key]))
    .map((key) => `${key} ${JSON.stringify(there[key])} -> ${JSON.stringify(asked[key])}`)
    .join(", ");
}

/**
 * Writes the history [start, now) into `data`, unless it is there already or the directory holds other data. Then,
 * as writing a week takes a while, it writes what passed meanwhile (a few passes), so that the history ends
 * within a step or two of the moment it returns: Prometheus, started right after, goes on from there.
 */
export async function historyWrite(
  options: HistoryWriteOptions,
  scenario: CompiledScenario,
  log: (line: string) => void,
  now: () => number = Date.now,
  signal?: AbortSignal,
): Promise<void> {
  const dir = options.backfill.out;
  fs.mkdirSync(dir, { recursive: true });
  const identity = identityOf(options);
  const existing = readRecord(dir);
  if (existing) {
    const moved = finishMoves(dir, existing);
    if (moved) log(`finished putting ${moved} block(s) of an interrupted run in place`);
    if (sameIdentity(existing.identity, identity)) {
      log(`history already in ${dir}: ${existing.from} to ${existing.to}, ${existing.samples.toLocaleString("en-US")} samples (written ${existing.writtenAt}); nothing to do`);
    } else {
      log(
        `warning: ${dir} already holds a history written with other settings (${differences(existing.identity, identity)}); it is kept as it is, and no new one is written. ` +
          "For a history of the new settings, remove Prometheus' data volume (it holds the old history and what was scraped since) and run up again.",
      );
    }
    return;
  }
  const foreign = foreignEntries(dir);
  if (foreign.length) {
    log(
      `warning: ${dir} already holds Prometheus data (${foreign.slice(0, 4).join(", ")}${foreign.length > 4 ? ", ..." : ""}), so no history is written: ` +
        "it goes only into an empty data directory, where it cannot interleave with samples scraped before. For a history, remove Prometheus' data volume and run up again.",
    );
    return;
  }
  const promtool = findPromtool();
  const staging = path.join(dir, STAGING_DIR);
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging);
  try {
    await writeStaged(options, scenario, { dir, staging, promtool }, log, now, signal);
  } catch (err) {
    // Nothing half-done stays: the record is written only once every block is in the staging folder.
    fs.rmSync(staging, { recursive: true, force: true });
    if (err instanceof Interrupted) err.detail = `no history was written into ${dir} (the partial blocks were removed)`;
    throw err;
  }
}

/** The passes into the staging folder, then the record, then the blocks moved into place. */
async function writeStaged(
  options: HistoryWriteOptions,
  scenario: CompiledScenario,
  where: { dir: string; staging: string; promtool: string },
  log: (line: string) => void,
  now: () => number,
  signal?: AbortSignal,
): Promise<void> {
  const { dir, staging, promtool } = where;
  const identity = identityOf(options);
  const { fromMs, stepMs } = options.backfill;
  // Whole steps since the start, so that every sample sits where the live engine would have put it.
  const alignedNow = () => fromMs + Math.floor((now() - fromMs) / stepMs) * stepMs;
  const began = now();
  let writtenTo = fromMs;
  let samples = 0;
  // One engine for every pass: a catch-up pass goes on from where the one before stopped.
  const engine = new Engine(scenario, { seed: options.backfill.seed, epochMs: fromMs });
  for (let pass = 0; pass <= MAX_CATCH_UP_PASSES; pass++) {
    const toMs = alignedNow();
    // Done once less than a step has passed since the end written: the history ends within a step of now.
    if (toMs <= writtenTo) break;
    const result = await backfillCommand({ ...options.backfill, toMs, startMs: writtenTo - fromMs, out: staging, engine }, scenario, log, signal);
    samples += result.samples;
    writtenTo = toMs;
  }
  const blocks = blocksIn(staging);
  const record: HistoryRecord = {
    version: 1,
    identity,
    from: new Date(fromMs).toISOString(),
    to: new Date(writtenTo).toISOString(),
    samples,
    blocks,
    writtenAt: new Date(now()).toISOString(),
  };
  const bytes = blocks.reduce((sum, block) => sum + sizeOf(path.join(staging, block)), 0);
  // The record first, then the renames: a run cut short in between finishes them next time (finishMoves).
  writeRecord(dir, record);
  finishMoves(dir, record);
  log(
    `history written into ${dir}: ${formatDuration(writtenTo - fromMs)} of ${scenario.name} (${record.from} to ${record.to}), ` +
      `${samples.toLocaleString("en-US")} samples in ${blocks.length} blocks, ${(bytes / 1e6).toFixed(1)} MB, in ${((now() - began) / 1000).toFixed(1)} s (promtool ${promtool})`,
  );
}

export interface HistoryRulesOptions {
  data: string;
  url: string;
  evalInterval: string;
  waitMs: number;
  ruleFiles: string[];
}

/**
 * Evaluates over the recorded history every recording rule of the files not evaluated over it before, with promtool
 * against the Prometheus at `url`, and puts the blocks into the data directory, where Prometheus finds them within
 * a minute (it looks for new blocks every minute). Nothing to do without a history or without new rules.
 */
export async function historyRules(options: HistoryRulesOptions, log: (line: string) => void, now: () => number = Date.now, signal?: AbortSignal): Promise<void> {
  const groups = readRecordingGroups(options.ruleFiles);
  const promtool = findPromtool();
  // The user's files are checked as Prometheus would load them, so that a problem names them, not the staging copy.
  await checkRuleFiles(promtool, options.ruleFiles, signal);
  const record = readRecord(options.data);
  if (!record) {
    log(`no promemu history in ${options.data}: no recording rules to evaluate over it`);
    return;
  }
  finishMoves(options.data, record);
  const evaluated = new Set(record.rules?.evaluated ?? []);
  const fresh = groups.map((g) => ({ ...g, rules: g.rules.filter((rule) => !evaluated.has(ruleKey(rule))) })).filter((g) => g.rules.length > 0);
  const total = groups.reduce((n, g) => n + g.rules.length, 0);
  if (fresh.length === 0) {
    log(`recording rules over the history: nothing new to evaluate (${total} recording rule${total === 1 ? "" : "s"} in ${options.ruleFiles.length} file${options.ruleFiles.length === 1 ? "" : "s"}, all done before)`);
    return;
  }
  const notReady = await waitUntilReady(options.url, options.waitMs, { intervalMs: 1_000, attemptMs: 5_000, signal });
  if (notReady !== undefined) throw new PrometheusUnavailable(`Prometheus at ${redactUrl(options.url)} was not ready within ${formatDuration(options.waitMs)} (last answer: ${notReady})`);
  const staging = path.join(options.data, STAGING_DIR);
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging);
  const ruleFile = path.join(staging, "rules.yml");
  fs.writeFileSync(ruleFile, renderRuleFile(fresh));
  const began = now();
  const fromMs = Date.parse(record.from);
  const toMs = Date.parse(record.to);
  try {
    await createBlocksFromRules({ promtool, url: options.url, fromMs, toMs, evalInterval: options.evalInterval, ruleFile, outDir: staging }, signal);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    if (err instanceof Interrupted) err.detail = `no recording rule was added to ${options.data} (the partial blocks were removed)`;
    throw err;
  }
  const blocks = blocksIn(staging);
  const rules = fresh.flatMap((g) => g.rules);
  record.rules = {
    evaluated: [...evaluated, ...rules.map(ruleKey)],
    blocks: [...(record.rules?.blocks ?? []), ...blocks],
    evaluatedAt: new Date(now()).toISOString(),
  };
  writeRecord(options.data, record);
  finishMoves(options.data, record);
  log(
    `recording rules over the history (${record.from} to ${record.to}): ${rules.map((r) => r.record).join(", ")} evaluated in ${((now() - began) / 1000).toFixed(1)} s, ` +
      `${blocks.length} block${blocks.length === 1 ? "" : "s"} put into ${options.data} (Prometheus loads them within a minute)`,
  );
}

interface RawWriteOptions {
  data?: string;
  startAt?: string;
  scenario: string;
  set: string[];
  seed: string;
  step: string;
  sink: string;
  job: string;
  owner?: string;
  shards: string;
  replicas: string;
  maxSeries?: string;
  maxSamples?: string;
}

interface RawRulesOptions {
  data?: string;
  url?: string;
  evalInterval: string;
  wait: string;
}

/** How `history write` names the start and the directory (backfill's --from and --out). */
const HISTORY_FLAGS = { from: "--start-at", to: "now", out: "--data" };

export function addHistoryCommand(program: Command, terminal: Terminal): void {
  const history = program
    .command("history")
    .description("write a scenario's past into a Prometheus data directory, once (`write`, before Prometheus starts), and evaluate recording rules over it (`rules`, once it runs)");

  history
    .command("write")
    .description("write [--start-at, now) as TSDB blocks into --data, unless a history or other data is there already; `run --start-at` continues it live")
    .option("--data <dir>", "Prometheus' data directory (its --storage.tsdb.path)")
    .addOption(new Option("--start-at <time>", `scenario time 0: the live emulator's --start-at (${TIME_HINT})`).env("PROMEMU_START_AT"))
    .addOption(new Option("--scenario <name|file>", "built-in scenario name or YAML file").default("default"))
    .option("--set <key=value>", "override a scenario parameter (repeatable, comma-separated, or a JSON object)", collectSet, [])
    .option("--seed <n>", "random seed, as given to promemu run", "42")
    .option("--step <duration>", "time between two samples of a series (the scrape interval; with remote write, the push interval)", "15s")
    .option("--sink <sink>", "how the live emulator sends pushed hosts, which decides their labels: pushgateway or remote-write", "pushgateway")
    .option("--job <name>", "job label of pushed hosts (the live emulator's --job)", "promemu")
    .option("--owner <id>", "promemu_owner of pushed hosts (the live emulator's --owner; with --replicas, the base of each replica's)")
    .option("--shards <n|auto>", "groups per emulator (promemu_shard), as given to promemu run", "auto")
    .option("--replicas <n>", "emulators splitting the fleet (run --shard k/n, owner <owner>-k-of-n)", "1")
    .option("--max-series <n>", `refuse a scenario above this many series (default ${DEFAULT_MAX_SERIES})`)
    .option("--max-samples <n>", MAX_SAMPLES_HELP)
    .action(async (raw: RawWriteOptions) => {
      const problems: string[] = [];
      const replicas = parseWhole(raw.replicas, 1, 100_000);
      if (replicas === undefined) problems.push(`--replicas "${raw.replicas}": must be a whole number from 1 to 100000`);
      let backfill: BackfillCommandOptions | undefined;
      try {
        backfill = parseBackfillOptions({ ...raw, from: raw.startAt, to: "now", out: raw.data, format: "blocks" }, Date.now(), HISTORY_FLAGS);
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        problems.push(err.message);
      }
      let scenario: CompiledScenario | undefined;
      try {
        scenario = loadScenario(raw.scenario, backfill?.set ?? [], { maxSeries: backfill?.maxSeries ?? DEFAULT_MAX_SERIES, override: "--max-series" }).scenario;
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        problems.push(err.message);
      }
      if (problems.length > 0) throw new UsageError([...new Set(problems)].join("\n"));
      const log = (line: string) => terminal.log(line);
      findPromtool();
      ensureWritableDirectory(backfill!.out, "--data");
      const options = { backfill: backfill!, replicas: replicas! };
      // Ctrl-C is heard from the estimate on (as in backfill): the write's first turn stops on it.
      await interruptible(async (signal) => {
        // A history there already is only checked: nothing to estimate.
        if (!readRecord(backfill!.out)) {
          await checkBackfillSize(backfill!, scenario!, { what: `history of ${scenario!.name} since ${new Date(backfill!.fromMs).toISOString()}`, flags: HISTORY_FLAGS, log });
        }
        return historyWrite(options, scenario!, log, Date.now, signal);
      });
    });

  history
    .command("rules")
    .description("evaluate the recording rules of the files over the history in --data (promtool, against the running Prometheus at --url), once per rule")
    .argument("<rule-files...>", "Prometheus rule files (alerting rules in them are left out)")
    .option("--data <dir>", "Prometheus' data directory, holding the history (promemu history write)")
    .option("--url <url>", "the Prometheus serving that directory, e.g. http://prometheus:9090")
    .option("--eval-interval <duration>", "evaluation interval of groups that set none (Prometheus' evaluation_interval)", "1m")
    .option("--wait <duration>", "how long to wait for Prometheus to be ready", "2m")
    .action(async (ruleFiles: string[], raw: RawRulesOptions) => {
      const problems: string[] = [];
      if (!raw.data) problems.push("--data is required: Prometheus' data directory");
      if (!raw.url) problems.push("--url is required: the Prometheus serving --data, e.g. http://prometheus:9090");
      else if (!/^https?:\/\/[^/\s]+/.test(raw.url)) problems.push(`--url "${raw.url}": must be an http:// or https:// URL`);
      if (!parseDuration(raw.evalInterval)) problems.push(`--eval-interval "${raw.evalInterval}": must be ${DURATION_HINT}, above 0`);
      const waitMs = parseDuration(raw.wait);
      if (waitMs === undefined) problems.push(`--wait "${raw.wait}": must be ${DURATION_HINT}`);
      for (const file of ruleFiles) if (!fs.existsSync(file)) problems.push(`${file}: no such rule file`);
      if (problems.length > 0) throw new UsageError(problems.join("\n"));
      await interruptible((signal) => historyRules({ data: raw.data!, url: raw.url!, evalInterval: raw.evalInterval, waitMs: waitMs!, ruleFiles }, (line) => terminal.log(line), Date.now, signal));
    });
}
