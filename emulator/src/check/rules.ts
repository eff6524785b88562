/**
 * Prometheus rule files as `promemu check` reads them, and what their rules did over a time range:
 *  - an alert rule the server has loaded: its `ALERTS` series over the range (pending, firing, since when);
 *  - an alert rule it has not (or data backfilled offline, where no rule manager ran): evaluated the
 *    way Prometheus' rule manager would have, the rule's expression at every step; a series is pending
 *    from the first step it appears and firing once it has been there without a gap for the rule's `for`;
 *  - a recording rule: whether its series (loaded) or its expression (not loaded) has data.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import { loadYaml } from "../util/yaml";
import { z } from "zod";
import { UsageError, formatPath, valueAt } from "../errors";
import { DURATION_HINT, parseDuration } from "../util/duration";
import { type Server, queryRange } from "./prometheus";

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

const duration = z.string().refine((text) => parseDuration(text) !== undefined, { message: `must be ${DURATION_HINT}` });
const expr = z.union([z.string().min(1), z.number()], { message: "must be a PromQL expression" });
/** What Prometheus' rule loader (rulefmt) accepts as a recorded metric's name and as label names. */
const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { message: "must be a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), as Prometheus requires of a record" });
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** A map whose keys must be label names: each bad key is an issue at its own path. */
const labelMap = <T extends z.ZodType>(value: T) =>
  z.record(z.string(), value).superRefine((map, ctx) => {
    for (const key of Object.keys(map)) {
      if (!LABEL_NAME.test(key)) ctx.addIssue({ code: "custom", path: [key], message: "is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)" });
    }
  });
const labels = labelMap(z.union([z.string(), z.number(), z.boolean()])).optional();
const rule = z.union(
  [
    z.object({ alert: z.string().min(1), expr, for: duration.optional(), labels, annotations: labelMap(z.unknown()).optional() }).loose(),
    z.object({ record: metricName, expr, labels }).loose(),
  ],
  { message: "must be an alerting rule (alert, expr, for) or a recording rule (record, expr)" },
);
const ruleFile = z.object({ groups: z.array(z.object({ name: z.string().min(1), rules: z.array(rule).default([]) }).loose()) }).loose();

/** Reads and checks a rule file; a UsageError naming the file and the place otherwise. */
export function readRuleFile(file: string): { alerts: AlertRule[]; records: RecordingRule[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`${file}: cannot read the rule file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = loadYaml(text);
  } catch (err) {
    const mark = (err as yaml.YAMLException).mark;
    throw new UsageError(`${file}${mark ? `:${mark.line + 1}:${mark.column + 1}` : ""}: not valid YAML: ${(err as yaml.YAMLException).reason ?? (err as Error).message}`);
  }
  const parsed = ruleFile.safeParse(doc);
  if (!parsed.success) {
    // The union's own issue says only that neither kind fits: the closest kind's says what is wrong.
    const first = parsed.error.issues[0];
    const inner = first.code === "invalid_union" ? (first.errors.find((e) => e.every((i) => i.code !== "invalid_type" || i.path.length > 0)) ?? [])[0] : undefined;
    const issue = inner ? { ...inner, path: [...first.path, ...inner.path] } : first;
    const value = formatPath(issue.path).endsWith("labels") || issue.code !== "invalid_format" ? "" : ` (got ${JSON.stringify(valueAt(doc, issue.path))})`;
    throw new UsageError(`${file}: ${formatPath(issue.path)}: ${issue.message}${value} (a Prometheus rule file: groups: [{name, rules: [...]}])`);
  }
  const alerts: AlertRule[] = [];
  const records: RecordingRule[] = [];
  for (const group of parsed.data.groups) {
    for (const r of group.rules) {
      if ("alert" in r && typeof r.alert === "string") {
        alerts.push({ group: group.name, alert: r.alert, expr: String(r.expr), for: "for" in r && r.for ? parseDuration(String(r.for))! : 0, file });
      } else if ("record" in r && typeof r.record === "string") {
        records.push({ group: group.name, record: r.record, expr: String(r.expr), file });
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
  /** `ALERTS`: the server's rule manager; `evaluated`: the expression evaluated over the range here. */
  readonly source?: "ALERTS" | "evaluated";
  /** The query failed (a PromQL error): the state is unknown. */
  readonly error?: string;
}

/** Evaluates one alert rule every `stepSeconds` over [start, end] (seconds). */
export async function evaluateAlert(server: Server, rule: AlertRule, start: number, end: number, stepSeconds: number): Promise<AlertOutcome> {
  const series = await queryRange(server, rule.expr, start, end, stepSeconds);
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
  return { rule, state, fired, source: "evaluated" };
}

const quote = (text: string) => JSON.stringify(text);

/** What the server's rule manager recorded in `ALERTS` for a rule over [start, end] (seconds). */
export async function alertHistory(server: Server, rule: AlertRule, start: number, end: number, stepSeconds: number): Promise<AlertOutcome> {
  const series = await queryRange(server, `ALERTS{alertname=${quote(rule.alert)}}`, start, end, stepSeconds);
  let state: AlertState = "inactive";
  const fired: AlertOutcome["fired"] = [];
  for (const s of series) {
    if (s.values.length === 0) continue;
    const { alertstate, __name__: _, ...labels } = s.metric;
    if (alertstate === "firing") {
      state = "firing";
      fired.push({ labels, since: s.values[0][0] });
    } else if (state === "inactive") {
      state = "pending";
    }
  }
  fired.sort((a, b) => a.since - b.since);
  return { rule, state, fired, source: "ALERTS" };
}

export interface RecordingOutcome {
  readonly rule: RecordingRule;
  /** Series with data in the range. */
  readonly series: number;
  readonly source: "recorded" | "evaluated";
  readonly error?: string;
}

/** Whether a recording rule produces series over [start, end]: its recorded series when the server evaluates it, its expression otherwise. */
export async function checkRecording(server: Server, rule: RecordingRule, loaded: boolean, start: number, end: number, stepSeconds: number): Promise<RecordingOutcome> {
  const source = loaded ? "recorded" : "evaluated";
  const series = await queryRange(server, loaded ? `{__name__=${quote(rule.record)}}` : rule.expr, start, end, stepSeconds);
  return { rule, series: series.filter((s) => s.values.length > 0).length, source };
}
