/**
 * The `promemu history` commands of `emulator.history` (components/history.ts runs them): pure functions of the
 * settings. The history carries the labels the live emulator's samples get in Prometheus, so it is written as that
 * emulator sends: the same scenario, overrides, seed, sink, job, owner and replicas (config/emulator.ts).
 */
import { parseDuration } from "../emulator/src/index";
import { EMULATOR_JOB, emulatorOwner, encodeSet } from "./emulator";
import { logStorePushUrl } from "./logs";
import type { Settings } from "./settings";

/** Where the rule files are put in the rules step's container. */
export const HISTORY_RULES_DIR = "/etc/promemu/history-rules";

/**
 * The time between two samples of the history: what separates two samples of a series live. Scraped series (the
 * Pushgateway's, the exporters') come every scrape interval; remote-written ones every push interval.
 */
export function historyStepMs(settings: Settings): number {
  const step = settings.emulator.sink === "remote-write" ? settings.emulator.pushInterval : settings.prometheus.scrapeInterval;
  return parseDuration(step)!;
}

/** The history's length in milliseconds; undefined without `emulator.history` (or with the emulator off). */
export function historyLengthMs(settings: Settings): number | undefined {
  const { history, enabled } = settings.emulator;
  return enabled && history !== undefined ? parseDuration(history) : undefined;
}

export interface HistoryCommandArgs {
  settings: Settings;
  project: string;
  stack: string;
  /** Prometheus' data directory in the container. */
  dataPath: string;
}

/** `promemu history write` without --start-at (given as PROMEMU_START_AT). */
export function historyWriteCommand({ settings, project, stack, dataPath }: HistoryCommandArgs): string[] {
  const emulator = settings.emulator;
  const set = encodeSet(emulator.set);
  return [
    "history",
    "write",
    `--data=${dataPath}`,
    `--scenario=${emulator.scenario}`,
    ...(set ? [`--set=${set}`] : []),
    `--seed=${emulator.seed}`,
    `--step=${historyStepMs(settings) / 1000}s`,
    `--sink=${emulator.sink}`,
    `--job=${EMULATOR_JOB}`,
    `--owner=${emulatorOwner(project, stack)}`,
    `--replicas=${emulator.replicas}`,
    ...(emulator.maxSeries === undefined ? [] : [`--max-series=${emulator.maxSeries}`]),
  ];
}

/**
 * What the history is played from, as one string: when it changes (another scenario, seed, sink, ...), a new start
 * time is taken. The data directory keeps the first history anyway (the write step says so in `up`).
 */
export function historyIdentity(args: HistoryCommandArgs): string {
  return JSON.stringify(historyWriteCommand(args));
}

/** `promemu history rules` over these rule files (names under HISTORY_RULES_DIR), against Prometheus at `prometheusUrl`. */
export function historyRulesCommand(settings: Settings, dataPath: string, prometheusUrl: string, ruleFileNames: readonly string[]): string[] {
  return [
    "history",
    "rules",
    `--data=${dataPath}`,
    `--url=${prometheusUrl}`,
    `--eval-interval=${settings.prometheus.evaluationInterval}`,
    ...ruleFileNames.map((name) => `${HISTORY_RULES_DIR}/${name}`),
  ];
}

/** How long the history's push waits for the log store to answer. */
const HISTORY_LOGS_RETRY_FOR = "5m";

/**
 * `promemu backfill` of the history's log lines alone into the stack's log store, over the history's range as
 * `History` took it: from scenario time 0 (the live run's PROMEMU_START_AT) for `lengthMs`. The lines carry the
 * labels and times the live run's would (the same scenario, overrides, seed, job and step), so they are the lines
 * the live run plays, and does not push, while it catches up. Only for a history that fits in the store's retention
 * (historyLogsFit): the store would drop older lines, or refuse them.
 */
export function historyLogsCommand(settings: Settings, startMs: number, lengthMs: number): string[] {
  const emulator = settings.emulator;
  const set = encodeSet(emulator.set);
  return [
    "backfill",
    `--from=${new Date(startMs).toISOString()}`,
    `--to=${new Date(startMs + lengthMs).toISOString()}`,
    `--scenario=${emulator.scenario}`,
    ...(set ? [`--set=${set}`] : []),
    `--seed=${emulator.seed}`,
    `--step=${historyStepMs(settings) / 1000}s`,
    `--job=${EMULATOR_JOB}`,
    `--loki-url=${logStorePushUrl(settings.logs.backend)}`,
    // It starts beside the store (components/history.ts HistoryLogs): time for the store's first start.
    `--loki-retry-for=${HISTORY_LOGS_RETRY_FOR}`,
    ...(emulator.maxSeries === undefined ? [] : [`--max-series=${emulator.maxSeries}`]),
  ];
}

/** Whether the history's lines fit in the log store's retention (else they are not pushed, and `up` says so). */
export function historyLogsFit(settings: Settings, lengthMs: number): boolean {
  return lengthMs <= parseDuration(settings.logs.retention)!;
}
