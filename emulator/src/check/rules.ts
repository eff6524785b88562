/**
 * Alert rules evaluated over a time range, the way Prometheus' rule manager would have: the rule's
 * expression at every evaluation step; a series is pending from the first step it appears and
 * firing once it has been there without a gap for the rule's `for`. Used on data backfilled from a
 * scenario played offline, where no rule manager ran while the data was written.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import { parseDuration } from "../util/duration";
import { queryRange } from "./prometheus";

export interface AlertRule {
  readonly group: string;
  readonly alert: string;
  readonly expr: string;
  /** ms */
  readonly for: number;
  readonly file: string;
}

export interface RecordingRule {
  readonly group: string;
  readonly record: string;
  readonly expr: string;
  readonly file: string;
}

export function readRuleFile(file: string): { alerts: AlertRule[]; records: RecordingRule[] } {
  const doc = yaml.load(fs.readFileSync(file, "utf8")) as { groups?: { name: string; rules: Record<string, unknown>[] }[] };
  const alerts: AlertRule[] = [];
  const records: RecordingRule[] = [];
  for (const group of doc?.groups ?? []) {
    for (const rule of group.rules ?? []) {
      if (typeof rule.alert === "string") {
        alerts.push({ group: group.name, alert: rule.alert, expr: String(rule.expr), for: rule.for ? (parseDuration(String(rule.for)) ?? 0) : 0, file });
      } else if (typeof rule.record === "string") {
        records.push({ group: group.name, record: rule.record, expr: String(rule.expr), file });
      }
    }
  }
  return { alerts, records };
}

/** Metric names an expression reads (for backfilling only what the rules need). */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  for (const match of expr.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=\{|\[|\)|\s|$|>|<|=|!|\*|\/|-|\+)/g)) {
    if (/^(node|pg|process|up|http)_?/.test(match[1])) names.add(match[1]);
  }
  return [...names];
}

export type AlertState = "inactive" | "pending" | "firing";

export interface AlertOutcome {
  readonly rule: AlertRule;
  /** The worst state reached. */
  readonly state: AlertState;
  /** Labels of each series that fired, with the time (s) it started firing. */
  readonly fired: { labels: Record<string, string>; since: number }[];
}

/** Evaluates one alert rule every `stepSeconds` over [start, end] (seconds). */
export async function evaluateAlert(baseUrl: string, rule: AlertRule, start: number, end: number, stepSeconds: number): Promise<AlertOutcome> {
  const series = await queryRange(baseUrl, rule.expr, start, end, stepSeconds);
  let state: AlertState = "inactive";
  const fired: AlertOutcome["fired"] = [];
  for (const s of series) {
    let runStart: number | undefined;
    let previous: number | undefined;
    for (const [time] of s.values) {
      if (previous === undefined || time - previous > stepSeconds * 1.5) runStart = time;
      previous = time;
      if (state === "inactive") state = "pending";
      if ((time - runStart!) * 1000 >= rule.for) {
        state = "firing";
        fired.push({ labels: s.metric, since: time });
        break;
      }
    }
  }
  return { rule, state, fired };
}
