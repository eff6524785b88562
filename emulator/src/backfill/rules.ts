/**
 * Recording rules over a backfilled history: the rule files read for their recording rules, and
 * `promtool tsdb create-blocks-from rules`, which evaluates them against a running Prometheus (that
 * has the history) at each step of the range and writes the results as blocks.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import { loadYaml } from "../util/yaml";
import { UsageError } from "../errors";
import { PromtoolFailed, runPromtool } from "./blocks";

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface RecordingGroup {
  name: string;
  /** The group's own evaluation interval, when it sets one. */
  interval?: string;
  rules: RecordingRule[];
}

/** What identifies a recording rule's output: evaluated once, never again for the same history. */
export function ruleKey(rule: RecordingRule): string {
  const labels = Object.entries(rule.labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([rule.record, rule.expr.trim(), labels]);
}

/** The recording rules of Prometheus rule files (alerting rules are left out: promtool does not backfill them). */
export function readRecordingGroups(files: readonly string[]): RecordingGroup[] {
  const groups: RecordingGroup[] = [];
  const problems: string[] = [];
  for (const file of files) {
    let doc: unknown;
    try {
      doc = loadYaml(fs.readFileSync(file, "utf8"));
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message.split("\n")[0]}`);
      continue;
    }
    const list = (doc as { groups?: unknown } | null)?.groups;
    if (!Array.isArray(list)) {
      problems.push(`${file}: is not a Prometheus rule file (no groups list)`);
      continue;
    }
    list.forEach((group: { name?: unknown; interval?: unknown; rules?: unknown }, i) => {
      if (typeof group?.name !== "string" || !Array.isArray(group.rules)) {
        problems.push(`${file}: groups[${i}]: needs a name and a rules list`);
        return;
      }
      const rules = (group.rules as Array<Record<string, unknown>>)
        .filter((rule) => typeof rule?.record === "string")
        .map((rule) => ({ record: rule.record as string, expr: String(rule.expr ?? ""), ...(rule.labels ? { labels: rule.labels as Record<string, string> } : {}) }));
      if (rules.length) groups.push({ name: group.name, ...(typeof group.interval === "string" ? { interval: group.interval } : {}), rules });
    });
  }
  if (problems.length) throw new UsageError(problems.join("\n"));
  return groups;
}

/**
 * The groups split into dependency levels: a rule goes one level after the latest of the recorded series its
 * expression names (rules of this list). `promtool tsdb create-blocks-from rules` evaluates every rule of a file
 * against the server in one pass, so a rule that reads another's series sees it only once the other's blocks are
 * in that server: one promtool run per level, each level's blocks loaded before the next. Each level keeps the
 * groups' names, intervals and rule order. A circle (a rule reading itself, two reading each other: Prometheus
 * then reads the previous evaluation's value) cannot be ordered: its rules go into the level after everything else.
 */
export function dependencyLevels(groups: readonly RecordingGroup[]): RecordingGroup[][] {
  const rules = groups.flatMap((g) => g.rules);
  const recorded = new Set(rules.map((r) => r.record));
  const reads = new Map(rules.map((r) => [r, [...r.expr.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]).filter((name) => recorded.has(name))]));
  const level = new Map<RecordingRule, number>();
  /** Level of each record name: the highest of the rules writing it (several rules may write one name). */
  const levelOf = (name: string) => Math.max(...rules.filter((r) => r.record === name).map((r) => level.get(r) ?? Infinity));
  for (let changed = true; changed; ) {
    changed = false;
    for (const rule of rules) {
      if (level.has(rule)) continue;
      const after = reads.get(rule)!.map(levelOf);
      if (after.every(Number.isFinite)) {
        level.set(rule, after.length ? Math.max(...after) + 1 : 0);
        changed = true;
      }
    }
  }
  const last = Math.max(-1, ...level.values()) + 1;
  const levels: RecordingGroup[][] = [];
  for (let n = 0; n <= last; n++) {
    const at = groups.map((g) => ({ ...g, rules: g.rules.filter((r) => (level.get(r) ?? last) === n) })).filter((g) => g.rules.length > 0);
    if (at.length) levels.push(at);
  }
  return levels;
}

/** A rule file of these groups, for promtool. */
export function renderRuleFile(groups: readonly RecordingGroup[]): string {
  return yaml.dump({ groups: groups.map((g) => ({ name: g.name, ...(g.interval ? { interval: g.interval } : {}), rules: g.rules })) }, { lineWidth: -1 });
}

export interface RulesBackfill {
  promtool: string;
  url: string;
  fromMs: number;
  toMs: number;
  /** Evaluation interval of the groups that set none (Prometheus' global evaluation_interval). */
  evalInterval: string;
  ruleFile: string;
  outDir: string;
}

/** Runs promtool; rejects with its output when it fails, with the signal's reason when stopped. */
export function createBlocksFromRules(options: RulesBackfill, signal?: AbortSignal): Promise<void> {
  const args = [
    "tsdb",
    "create-blocks-from",
    "rules",
    `--url=${options.url}`,
    `--start=${new Date(options.fromMs).toISOString()}`,
    `--end=${new Date(options.toMs).toISOString()}`,
    `--output-dir=${options.outDir}`,
    `--eval-interval=${options.evalInterval}`,
    options.ruleFile,
  ];
  return runPromtool(options.promtool, args, signal);
}

/**
 * `promtool check rules` on the files as given: a rule Prometheus would refuse (invalid PromQL, a record name that
 * is no metric name, a bad label name) is a UsageError naming the file, the group and the rule, as promtool says it.
 */
export async function checkRuleFiles(promtool: string, files: readonly string[], signal?: AbortSignal): Promise<void> {
  if (files.length === 0) return;
  try {
    await runPromtool(promtool, ["check", "rules", ...files], signal);
  } catch (err) {
    if (signal?.aborted || !(err instanceof PromtoolFailed)) throw err;
    const problems = err.output
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line && !/^(Checking |SUCCESS|FAILED:?$)/.test(line));
    throw new UsageError(problems.join("\n") || err.message);
  }
}
