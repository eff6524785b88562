/**
 * `promemu check` against one Prometheus over one time range: every dashboard's panel targets (its
 * variables resolved first), every alert rule's states and every recording rule's series. The same
 * code serves the offline mode, on a temporary Prometheus over backfilled data (`evaluateAll`: no
 * rule manager ran there, so every rule is evaluated from its expression).
 */
import { type TargetResult, type TimeContext, checkTargets, resolveVariables } from "./dashboard";
import type { Dashboard } from "./inputs";
import { UsageError } from "../errors";
import { PrometheusQueryError, type Server, loadedRules } from "./prometheus";
import { type AlertOutcome, type AlertRule, type RecordingOutcome, type RecordingRule, alertHistory, checkRecording, evaluateAlert } from "./rules";

export interface CheckInput {
  server: Server;
  dashboards: Dashboard[];
  alerts: AlertRule[];
  records: RecordingRule[];
  /** Seconds since the epoch. */
  start: number;
  end: number;
  /** The data source's scrape interval (s): $__rate_interval's base. */
  scrapeSeconds: number;
  /** Step of the rules' range queries (s): the evaluation interval. */
  stepSeconds: number;
  /** Evaluate every rule from its expression, whether the server has loaded it or not. */
  evaluateAll?: boolean;
}

export interface DashboardResult {
  readonly file: string;
  readonly title: string;
  readonly variables: Record<string, string[]>;
  readonly problems: string[];
  readonly targets: TargetResult[];
}

export interface Coverage {
  /** Panel targets not hidden, over every dashboard. */
  readonly targets: number;
  readonly withData: number;
  /** undefined without any target. */
  readonly percent?: number;
}

export interface CheckReport {
  readonly start: number;
  readonly end: number;
  readonly dashboards: DashboardResult[];
  readonly alerts: AlertOutcome[];
  readonly records: RecordingOutcome[];
  readonly coverage: Coverage;
}

export async function runCheck(input: CheckInput, progress: (line: string) => void = () => undefined): Promise<CheckReport> {
  const range = { start: input.start, end: input.end };
  const ctx: TimeContext = { rangeSeconds: Math.round(input.end - input.start), scrapeSeconds: input.scrapeSeconds };
  const dashboards: DashboardResult[] = [];
  for (const dashboard of input.dashboards) {
    progress(`dashboard ${dashboard.file}: resolving ${dashboard.variables.length} variables, querying ${dashboard.targets.length} panel targets`);
    const { values, problems } = await resolveVariables(input.server, dashboard.variables, ctx, range);
    const targets = await checkTargets(input.server, dashboard.targets, values, ctx, range);
    dashboards.push({ file: dashboard.file, title: dashboard.title, variables: Object.fromEntries(values), problems, targets });
  }

  const loaded = input.evaluateAll || (input.alerts.length === 0 && input.records.length === 0) ? [] : await loadedRules(input.server);
  const loadedAlerts = new Set(loaded.filter((r) => r.type === "alerting").map((r) => r.name));
  const loadedRecords = new Set(loaded.filter((r) => r.type === "recording").map((r) => r.name));
  if (input.alerts.length + input.records.length > 0) progress(`rules: ${input.alerts.length} alerting, ${input.records.length} recording`);
  const alerts: AlertOutcome[] = [];
  // An expression Prometheus cannot parse is bad input, not an outcome: the check is a CI gate.
  const refused: string[] = [];
  const unparsable = (rule: { file: string; group: string }, name: string, err: unknown) =>
    err instanceof PrometheusQueryError && err.errorType === "bad_data" ? `${rule.file}: group "${rule.group}", rule "${name}": ${err.message}` : undefined;
  for (const rule of input.alerts) {
    try {
      alerts.push(
        loadedAlerts.has(rule.alert)
          ? await alertHistory(input.server, rule, input.start, input.end, input.stepSeconds)
          : await evaluateAlert(input.server, rule, input.start, input.end, input.stepSeconds),
      );
    } catch (err) {
      if ((err as Error).name === "PrometheusUnavailable") throw err;
      const problem = unparsable(rule, rule.alert, err);
      if (problem) refused.push(problem);
      alerts.push({ rule, state: "inactive", fired: [], source: "evaluated", error: (err as Error).message });
    }
  }
  const records: RecordingOutcome[] = [];
  for (const rule of input.records) {
    try {
      records.push(await checkRecording(input.server, rule, loadedRecords.has(rule.record), input.start, input.end, input.stepSeconds));
    } catch (err) {
      if ((err as Error).name === "PrometheusUnavailable") throw err;
      const problem = unparsable(rule, rule.record, err);
      if (problem) refused.push(problem);
      records.push({ rule, series: 0, source: loadedRecords.has(rule.record) ? "recorded" : "evaluated", error: (err as Error).message });
    }
  }

  if (refused.length) throw new UsageError(refused.join("\n"));

  const visible = dashboards.flatMap((d) => d.targets).filter((t) => !t.target.hidden);
  const withData = visible.filter((t) => t.series > 0).length;
  const coverage: Coverage = { targets: visible.length, withData, percent: visible.length ? (100 * withData) / visible.length : undefined };
  return { start: input.start, end: input.end, dashboards, alerts, records, coverage };
}
