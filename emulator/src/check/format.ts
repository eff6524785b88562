/**
 * A check report as a table for people and as JSON for scripts. Online, times are UTC; offline, they
 * are scenario time (`+24h32m`: since the scenario started), which is what "when does it fire" means there.
 */
import { formatDuration } from "../util/duration";
import type { CheckReport } from "./report";

export interface ReportContext {
  /** The server as it may be shown (credentials redacted); undefined offline. */
  prometheus?: string;
  /** Offline: the scenario played, its start (s since the epoch) and the times it was played over. */
  scenario?: { name: string; seed: number; start: number; durationMs: number; evaluateFromMs: number; stepMs: number };
  /** Offline: the alerts each host's faults are annotated with (`alerts: [...]`), by alert name. */
  expected?: Map<string, string[]>;
  /** --min-coverage, in percent. */
  minCoverage?: number;
}

const iso = (seconds: number) => new Date(Math.round(seconds) * 1000).toISOString().replace(/\.000Z$/, "Z");

/** A time as the report shows it: UTC online, scenario time offline. */
function when(seconds: number, context: ReportContext): string {
  return context.scenario ? `+${formatDuration(Math.round(seconds - context.scenario.start) * 1000)}` : iso(seconds);
}

const instanceOf = (labels: Record<string, string>) => labels.instance ?? Object.entries(labels).filter(([k]) => k !== "alertname" && k !== "severity").map(([k, v]) => `${k}=${v}`).join(",") ?? "";

export function coverageOk(report: CheckReport, context: ReportContext): boolean | undefined {
  if (context.minCoverage === undefined) return undefined;
  return (report.coverage.percent ?? 0) >= context.minCoverage;
}

export function formatJson(report: CheckReport, context: ReportContext): string {
  const out = {
    prometheus: context.prometheus ?? null,
    ...(context.scenario
      ? {
          scenario: {
            name: context.scenario.name,
            seed: context.scenario.seed,
            durationSeconds: context.scenario.durationMs / 1000,
            evaluateFromSeconds: context.scenario.evaluateFromMs / 1000,
            stepSeconds: context.scenario.stepMs / 1000,
            start: iso(context.scenario.start),
          },
        }
      : {}),
    range: { from: iso(report.start), to: iso(report.end), seconds: report.end - report.start },
    coverage: { ...report.coverage, percent: report.coverage.percent ?? null, minimum: context.minCoverage ?? null, ok: coverageOk(report, context) ?? null },
    dashboards: report.dashboards.map((d) => ({
      file: d.file,
      title: d.title,
      variables: d.variables,
      problems: d.problems,
      targets: d.targets.map((t) => ({
        panel: t.target.panel,
        refId: t.target.refId,
        hidden: t.target.hidden,
        expr: t.target.expr,
        query: t.query,
        series: t.series,
        data: t.series > 0,
        ...(t.error ? { error: t.error } : {}),
      })),
    })),
    alerts: report.alerts.map((a) => ({
      file: a.rule.file,
      group: a.rule.group,
      alert: a.rule.alert,
      forSeconds: a.rule.for / 1000,
      state: a.state,
      source: a.source,
      ...(a.error ? { error: a.error } : {}),
      firing: a.fired.map((f) => ({
        instance: instanceOf(f.labels),
        labels: f.labels,
        since: iso(f.since),
        ...(context.scenario ? { sinceScenarioStartSeconds: Math.round(f.since - context.scenario.start) } : {}),
      })),
      ...(context.expected ? { expectedOn: context.expected.get(a.rule.alert) ?? [] } : {}),
    })),
    recording: report.records.map((r) => ({ file: r.rule.file, group: r.rule.group, record: r.rule.record, series: r.series, source: r.source, ...(r.error ? { error: r.error } : {}) })),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** Columns padded to their widest cell; the last column is not padded. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ").trimEnd()).join("\n") + "\n";
}

const percent = (value: number | undefined) => (value === undefined ? "-" : `${value.toFixed(1)} %`);
const shorten = (text: string, max = 100) => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
};

export function formatTable(report: CheckReport, context: ReportContext): string {
  const parts: string[] = [];
  const span = formatDuration(Math.round(report.end - report.start) * 1000);
  if (context.scenario) {
    const s = context.scenario;
    parts.push(
      `Scenario ${s.name} (seed ${s.seed}) played offline for ${formatDuration(s.durationMs)}; rules evaluated every ${formatDuration(s.stepMs)} ` +
        `from +${formatDuration(s.evaluateFromMs)} to +${formatDuration(s.durationMs)}. Times are scenario time.\n`,
    );
  } else {
    parts.push(`Prometheus ${context.prometheus}, ${iso(report.start)} to ${iso(report.end)} (${span})\n`);
  }

  for (const d of report.dashboards) {
    const visible = d.targets.filter((t) => !t.target.hidden);
    const withData = visible.filter((t) => t.series > 0).length;
    parts.push(`\nDashboard "${d.title}" (${d.file}): ${withData} of ${visible.length} panel targets return data (${percent(visible.length ? (100 * withData) / visible.length : undefined)})`);
    const vars = Object.entries(d.variables).map(([k, v]) => `${k}=${v.length > 3 ? `${v.slice(0, 3).join("|")}|...(${v.length})` : v.join("|")}`);
    if (vars.length) parts.push(`\n  variables: ${vars.join(", ")}`);
    for (const problem of d.problems) parts.push(`\n  problem: ${problem}`);
    parts.push("\n");
    if (d.targets.length) {
      const rows = [["DATA", "SERIES", "PANEL", "REF", "QUERY"]];
      for (const t of d.targets) {
        const data = t.error ? "ERROR" : t.series > 0 ? "yes" : "NO";
        rows.push([data + (t.target.hidden ? " (hidden)" : ""), String(t.series), shorten(t.target.panel, 40), t.target.refId, shorten(t.error ? `${t.error}: ${t.query}` : t.query)]);
      }
      parts.push(table(rows));
    }
  }

  if (report.alerts.length) {
    const count = (state: string) => report.alerts.filter((a) => a.state === state).length;
    parts.push(`\nAlert rules: ${report.alerts.length}: ${count("firing")} firing, ${count("pending")} pending (never firing), ${count("inactive")} inactive\n`);
    const rows = [["STATE", "ALERT", "FOR", "SOURCE", "FIRST FIRING", "INSTANCES"]];
    if (context.expected) rows[0].push("ANNOTATED ON");
    for (const a of report.alerts) {
      const first = a.fired.length ? when(Math.min(...a.fired.map((f) => f.since)), context) : "-";
      // One entry per instance (an alert may fire for several sensors or devices of it), at its first firing.
      const firstByInstance = new Map<string, number>();
      for (const f of a.fired) firstByInstance.set(instanceOf(f.labels), Math.min(f.since, firstByInstance.get(instanceOf(f.labels)) ?? Infinity));
      const instances = [...firstByInstance].sort(([a], [b]) => a.localeCompare(b)).map(([instance, since]) => (context.scenario ? `${instance} ${when(since, context)}` : instance));
      const row = [a.error ? "ERROR" : a.state, a.rule.alert, formatDuration(a.rule.for), a.source ?? "", first, a.error ? shorten(a.error) : shorten(instances.join(", ") || "-", 120)];
      if (context.expected) row.push((context.expected.get(a.rule.alert) ?? []).join(", ") || "-");
      rows.push(row);
    }
    parts.push(table(rows));
    if (context.expected) {
      const missed = [...context.expected].flatMap(([alert, hosts]) => {
        const outcome = report.alerts.find((a) => a.rule.alert === alert);
        if (!outcome) return [];
        const firedOn = new Set(outcome.fired.map((f) => (f.labels.instance ?? "").replace(/:\d+$/, "")));
        return hosts.filter((h) => !firedOn.has(h)).map((h) => `${alert} on ${h}`);
      });
      parts.push(missed.length ? `Annotated but not firing: ${missed.join(", ")}\n` : "Every annotated alert of these rule files fired on its host.\n");
    }
  }

  if (report.records.length) {
    parts.push(`\nRecording rules: ${report.records.filter((r) => r.series > 0).length} of ${report.records.length} produce series\n`);
    const rows = [["SERIES", "RECORD", "SOURCE"]];
    for (const r of report.records) rows.push([r.error ? "ERROR" : String(r.series), r.rule.record + (r.error ? `: ${shorten(r.error)}` : ""), r.source]);
    parts.push(table(rows));
  }

  if (report.coverage.targets > 0) {
    const ok = coverageOk(report, context);
    parts.push(
      `\nCoverage: ${report.coverage.withData} of ${report.coverage.targets} visible panel targets return data (${percent(report.coverage.percent)})` +
        (ok === undefined ? "" : ok ? `, at least the minimum of ${context.minCoverage} %` : `, BELOW the minimum of ${context.minCoverage} %`) +
        "\n",
    );
  }
  return parts.join("");
}
