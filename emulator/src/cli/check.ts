/**
 * `promemu check`: which panel targets of the given dashboards return data and what the given rules
 * did, against a running Prometheus (`--prometheus-url`) or offline, on a scenario played in seconds
 * (`--offline --scenario`). Exit 0; 1 below --min-coverage; 2 on bad input (every problem at once);
 * 3 when the check could not be made (Prometheus unreachable, prometheus/promtool missing).
 */
import { Command, Option } from "commander";
import { readRecordingGroups } from "../backfill/rules";
import { parseRfc3339 } from "../backfill/time";
import { UsageError } from "../errors";
import { type ReportContext, coverageOk, formatJson, formatTable } from "../check/format";
import { type Dashboard, readDashboard } from "../check/inputs";
import { startOffline } from "../check/offline";
import { ToolMissing, findOnPath } from "../util/programs";
import { checkRuleFiles } from "../backfill/rules";
import { PrometheusUnavailable } from "../check/prometheus";
import { runCheck } from "../check/report";
import { type AlertRule, type RecordingRule, readRuleFile } from "../check/rules";
import type { CompiledScenario } from "../model/types";
import type { SetEntry } from "../scenario/params";
import { loadScenario } from "../scenario/loader";
import { DURATION_HINT, formatDuration, parseDuration } from "../util/duration";
import { type Endpoint, redactUrl, splitCredentials } from "../util/url";
import { parseWhole } from "./options";
import { collectSet, parseSetOption } from "./set";
import type { Terminal } from "./status";

/** Exit code when the check could not be made at all. */
export const EXIT_UNAVAILABLE = 3;
/** Prometheus refuses range queries of more points per series. */
const MAX_POINTS = 11_000;
const HISTORY_STEP_MS = 300_000;

interface RawCheckOptions {
  prometheusUrl?: string;
  dashboard: string[];
  rules: string[];
  from?: string;
  to?: string;
  range?: string;
  scrapeInterval: string;
  step?: string;
  format: string;
  minCoverage?: string;
  offline?: boolean;
  scenario?: string;
  set: SetEntry[];
  seed: string;
  duration?: string;
  evaluateFrom?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addCheckCommand(program: Command, out: (text: string) => void, terminal: Terminal, exit: { code: number }): void {
  program
    .command("check")
    .description("which dashboard panels return data and which alert rules fire: against a Prometheus, or offline on a scenario played in seconds")
    .addOption(new Option("--prometheus-url <url>", "Prometheus base URL; http://user:password@host authenticates (shown redacted)").env("PROMEMU_PROMETHEUS_URL"))
    .option("--dashboard <file>", "Grafana dashboard JSON (repeatable)", collect, [])
    .option("--rules <file>", "Prometheus rule file (repeatable)", collect, [])
    .option("--from <time>", "start of the range: RFC 3339 (2026-01-05T10:00:00Z) or Unix seconds (default: --range before --to)")
    .option("--to <time>", "end of the range (default: now)")
    .option("--range <duration>", "length of the range ending at --to (default 1h)")
    .option("--scrape-interval <duration>", "the data source's scrape interval: $__rate_interval's base", "15s")
    .option("--step <duration>", "rule evaluation step (default: the scrape interval; offline 30s)")
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .option("--min-coverage <percent>", "exit 1 when fewer panel targets than this share (0-100) return data")
    .option("--offline", "play --scenario offline (needs prometheus and promtool on PATH) instead of asking a running Prometheus")
    .option("--scenario <name|file>", "offline: built-in scenario name or YAML file")
    .option("--set <key=value>", "offline: override a scenario parameter (repeatable)", collectSet, [])
    .option("--seed <n>", "offline: random seed", "42")
    .option("--duration <duration>", "offline: scenario time to play, e.g. 26h")
    .option("--evaluate-from <duration>", "offline: scenario time from which rules are evaluated (before it, samples every 5m serve long windows only)", "0")
    .action(async (raw: RawCheckOptions) => {
      exit.code = await checkCommand(raw, out, terminal);
    });
}

interface Parsed {
  endpoint?: Endpoint;
  dashboards: Dashboard[];
  alerts: AlertRule[];
  records: RecordingRule[];
  start?: number;
  end?: number;
  scrapeSeconds: number;
  stepMs?: number;
  minCoverage?: number;
  scenario?: CompiledScenario;
  seed: number;
  durationMs?: number;
  evaluateFromMs: number;
}

/** RFC 3339 (a date that exists) or Unix seconds, to seconds; undefined when neither. */
function parseTime(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Number(text);
  const ms = parseRfc3339(text);
  return ms === undefined ? undefined : ms / 1000;
}

export function parseCheckOptions(raw: RawCheckOptions, now = Date.now()): Parsed {
  const problems: string[] = [];
  const bad = (flag: string, value: string, problem: string) => void problems.push(`${flag} "${value}": ${problem}`);
  const duration = (flag: string, value: string, allowZero = false): number | undefined => {
    const ms = parseDuration(value.trim());
    if (ms === undefined) return void bad(flag, value, `must be ${DURATION_HINT}`);
    if (ms === 0 && !allowZero) return void bad(flag, value, "must be more than 0");
    return ms;
  };
  const offline = raw.offline === true;

  if (raw.dashboard.length === 0 && raw.rules.length === 0) problems.push("nothing to check: give --dashboard <file> and/or --rules <file> (each repeatable)");
  const dashboards: Dashboard[] = [];
  for (const file of raw.dashboard) {
    try {
      dashboards.push(readDashboard(file));
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      problems.push(`--dashboard ${err.message}`);
    }
  }
  const alerts: AlertRule[] = [];
  const records: RecordingRule[] = [];
  for (const file of raw.rules) {
    try {
      const rules = readRuleFile(file);
      alerts.push(...rules.alerts);
      records.push(...rules.records);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      problems.push(`--rules ${err.message}`);
    }
  }

  const scrapeMs = duration("--scrape-interval", raw.scrapeInterval);
  const stepMs = raw.step === undefined ? undefined : duration("--step", raw.step);
  let minCoverage: number | undefined;
  if (raw.minCoverage !== undefined) {
    const n = Number(raw.minCoverage);
    if (raw.minCoverage.trim() === "" || !Number.isFinite(n) || n < 0 || n > 100) bad("--min-coverage", raw.minCoverage, "must be a percentage from 0 to 100, e.g. 95");
    else if (raw.dashboard.length === 0) problems.push("--min-coverage needs at least one --dashboard: it is the share of their panel targets that return data");
    else minCoverage = n;
  }

  let endpoint: Endpoint | undefined;
  let start: number | undefined;
  let end: number | undefined;
  let scenario: CompiledScenario | undefined;
  let durationMs: number | undefined;
  let evaluateFromMs = 0;
  const seed = parseWhole(raw.seed, 0, 0xffffffff);
  if (seed === undefined) bad("--seed", raw.seed, "must be a whole number from 0 to 4294967295");

  if (offline) {
    for (const [flag, value] of [["--prometheus-url", raw.prometheusUrl], ["--from", raw.from], ["--to", raw.to], ["--range", raw.range]] as const) {
      if (value !== undefined) problems.push(`${flag} is not used with --offline: the range is the scenario's (--duration, --evaluate-from), the Prometheus a temporary one`);
    }
    if (raw.duration === undefined) problems.push("--offline needs --duration: the scenario time to play, e.g. --duration 2h");
    else durationMs = duration("--duration", raw.duration);
    evaluateFromMs = duration("--evaluate-from", raw.evaluateFrom ?? "0", true) ?? 0;
    if (durationMs !== undefined && evaluateFromMs >= durationMs) bad("--evaluate-from", raw.evaluateFrom!, `must be before the end of --duration (${formatDuration(durationMs)})`);
    if (raw.scenario === undefined) problems.push("--offline needs --scenario <name|file>: the scenario to play");
    else {
      try {
        scenario = loadScenario(raw.scenario, parseSetOption(raw.set, "--set")).scenario;
        if (!scenario.hosts.some((h) => h.shape.exporter)) {
          problems.push(`--scenario ${raw.scenario}: has no exporter hosts; the offline mode plays exporter profiles (hosts with exporter: {profile: node, ...}), e.g. fleet-faults`);
        }
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        problems.push(err.message);
      }
    }
    const step = stepMs ?? 30_000;
    if (durationMs !== undefined && (durationMs - evaluateFromMs) / step > MAX_POINTS) {
      problems.push(`--step ${formatDuration(step)} over ${formatDuration(durationMs - evaluateFromMs)} is more than ${MAX_POINTS.toLocaleString("en-US")} points per series (Prometheus' limit): give a larger --step or a later --evaluate-from`);
    }
  } else {
    for (const [flag, value] of [["--scenario", raw.scenario], ["--duration", raw.duration]] as const) {
      if (value !== undefined) problems.push(`${flag} is used only with --offline`);
    }
    if (raw.set.length) problems.push("--set is used only with --offline");
    if (raw.prometheusUrl === undefined) problems.push("give --prometheus-url <url> (PROMEMU_PROMETHEUS_URL) to check a running Prometheus, or --offline --scenario <name> --duration <d> to play a scenario");
    else {
      let url: URL | undefined;
      const shown = redactUrl(raw.prometheusUrl);
      try {
        url = new URL(raw.prometheusUrl);
      } catch {
        bad("--prometheus-url", shown, "is not a URL; give Prometheus' base URL, e.g. http://localhost:9090");
      }
      if (url && url.protocol !== "http:" && url.protocol !== "https:") bad("--prometheus-url", shown, `the scheme ${url.protocol.replace(/:$/, "")} is not supported; use http:// or https://`);
      else if (url && (url.search || url.hash)) bad("--prometheus-url", shown, "must not have a query or a fragment");
      else if (url && /\/api\/v1\/?$/.test(url.pathname)) bad("--prometheus-url", shown, "give the base URL without /api/v1");
      else if (url) endpoint = splitCredentials(raw.prometheusUrl);
    }
    end = now / 1000;
    if (raw.to !== undefined) {
      end = parseTime(raw.to);
      if (end === undefined) bad("--to", raw.to, "must be a time in RFC 3339 (2026-01-05T10:00:00Z) or Unix seconds");
    }
    if (raw.from !== undefined && raw.range !== undefined) problems.push("give --from or --range, not both");
    if (raw.from !== undefined) {
      start = parseTime(raw.from);
      if (start === undefined) bad("--from", raw.from, "must be a time in RFC 3339 (2026-01-05T10:00:00Z) or Unix seconds");
      else if (end !== undefined && start >= end) bad("--from", raw.from, "must be before --to (or now)");
    } else {
      const rangeMs = duration("--range", raw.range ?? "1h");
      if (rangeMs !== undefined && end !== undefined) start = end - rangeMs / 1000;
    }
    const step = stepMs ?? scrapeMs;
    if (start !== undefined && end !== undefined && step && (end - start) / (step / 1000) > MAX_POINTS) {
      problems.push(`--step ${formatDuration(step)} over ${formatDuration((end - start) * 1000)} is more than ${MAX_POINTS.toLocaleString("en-US")} points per series (Prometheus' limit): give a larger --step`);
    }
  }
  // Values of the scenario's flags that look scenario-related but came without --offline are reported above.
  if (!offline && raw.evaluateFrom !== undefined && raw.evaluateFrom !== "0") problems.push("--evaluate-from is used only with --offline");

  if (problems.length) throw new UsageError(problems.join("\n"));
  return { endpoint, dashboards, alerts, records, start, end, scrapeSeconds: scrapeMs! / 1000, stepMs, minCoverage, scenario, seed: seed!, durationMs, evaluateFromMs };
}

/** Every metric name the rules and dashboards could read; undefined when one selects by __name__ (then nothing is left out). */
export function namesRead(texts: string[]): Set<string> | undefined {
  if (texts.some((t) => t.includes("__name__"))) return undefined;
  const names = new Set<string>(["up"]);
  for (const text of texts) for (const match of text.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) names.add(match[0]);
  return names;
}

/** The alerts each host's faults are annotated with, by alert name. */
function annotatedAlerts(scenario: CompiledScenario): Map<string, string[]> {
  const expected = new Map<string, string[]>();
  for (const host of scenario.hosts) {
    const faults = (host.shape.exporter as { faults?: { alerts?: string[] }[] } | undefined)?.faults ?? [];
    for (const alert of new Set(faults.flatMap((f) => f.alerts ?? []))) expected.set(alert, [...(expected.get(alert) ?? []), host.name]);
  }
  return expected;
}

async function checkCommand(raw: RawCheckOptions, out: (text: string) => void, terminal: Terminal): Promise<number> {
  const options = parseCheckOptions(raw);
  // Rule files Prometheus would refuse are refused first, as promtool says it (when it is here; else by the server's parser).
  const promtool = findOnPath("promtool");
  if (promtool) await checkRuleFiles(promtool, raw.rules);
  const format = raw.format === "json" ? formatJson : formatTable;
  try {
    if (!options.scenario) {
      const report = await runCheck({
        server: options.endpoint!,
        dashboards: options.dashboards,
        alerts: options.alerts,
        records: options.records,
        start: options.start!,
        end: options.end!,
        scrapeSeconds: options.scrapeSeconds,
        stepSeconds: (options.stepMs ?? options.scrapeSeconds * 1000) / 1000,
      });
      const context: ReportContext = { prometheus: options.endpoint!.display, minCoverage: options.minCoverage };
      return finish(report, context, format, out, terminal);
    }

    const stepMs = options.stepMs ?? 30_000;
    const texts = [
      ...options.alerts.map((a) => a.expr),
      ...options.records.map((r) => r.expr),
      ...options.dashboards.flatMap((d) => [...d.targets.map((t) => t.expr), ...d.variables.map((v) => JSON.stringify(v.query ?? ""))]),
    ];
    const server = await startOffline({
      scenario: options.scenario,
      seed: options.seed,
      durationMs: options.durationMs!,
      stepMs,
      evaluateFromMs: options.evaluateFromMs,
      historyStepMs: Math.max(HISTORY_STEP_MS, stepMs),
      names: namesRead(texts),
      recordingRules: readRecordingGroups(raw.rules),
      log: (line) => terminal.log(line),
    });
    try {
      const report = await runCheck({
        server: server.url,
        dashboards: options.dashboards,
        alerts: options.alerts,
        records: options.records,
        start: server.start + options.evaluateFromMs / 1000,
        end: server.start + options.durationMs! / 1000,
        scrapeSeconds: stepMs / 1000,
        stepSeconds: stepMs / 1000,
        evaluateAll: true,
      });
      const context: ReportContext = {
        minCoverage: options.minCoverage,
        scenario: { name: options.scenario.name, seed: options.seed, start: server.start, durationMs: options.durationMs!, evaluateFromMs: options.evaluateFromMs, stepMs },
        expected: annotatedAlerts(options.scenario),
      };
      return finish(report, context, format, out, terminal);
    } finally {
      await server.close();
    }
  } catch (err) {
    if (err instanceof PrometheusUnavailable || err instanceof ToolMissing) {
      process.stderr.write(`promemu: ${err.message}\n`);
      return EXIT_UNAVAILABLE;
    }
    throw err;
  }
}

function finish(
  report: Awaited<ReturnType<typeof runCheck>>,
  context: ReportContext,
  format: typeof formatTable,
  out: (text: string) => void,
  terminal: Terminal,
): number {
  out(format(report, context));
  if (coverageOk(report, context) === false) {
    terminal.log(`coverage ${report.coverage.percent?.toFixed(1) ?? 0} % of panel targets with data is below --min-coverage ${context.minCoverage} %`);
    return 1;
  }
  return 0;
}
