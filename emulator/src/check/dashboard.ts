/**
 * Grafana dashboards as `promemu check` reads them: every panel target's PromQL (rows' nested
 * panels included), with template variables resolved the way Grafana resolves them for Prometheus:
 * query variables through `label_values(...)` and `query_result(...)`, custom and constant ones,
 * chained in order; `$var`, `${var}`, `[[var]]`, `${var:regex}`; multi-value and "All" as a regex
 * alternation (or the variable's allValue); `$__interval`, `$__rate_interval`, `$__range` and friends.
 */
import { PrometheusUnavailable, type Server, labelValues, query, queryRange } from "./prometheus";

export interface PanelTarget {
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
  readonly hidden: boolean;
  /** Grafana runs it as an instant query (at the end of the range) rather than over the range. */
  readonly instant?: boolean;
}

interface Panel {
  title?: string;
  datasource?: unknown;
  targets?: { expr?: string; refId?: string; hide?: boolean; instant?: boolean; range?: boolean; datasource?: unknown }[];
  panels?: Panel[];
}

/** A data source of another kind than Prometheus (Loki's targets have an `expr` too); unknown and variables count as Prometheus. */
function otherDatasource(datasource: unknown): boolean {
  const type = datasource && typeof datasource === "object" ? (datasource as { type?: unknown }).type : undefined;
  return typeof type === "string" && type !== "prometheus" && type !== "datasource" && !type.startsWith("$");
}

export function panelTargets(dashboard: { panels?: Panel[] }): PanelTarget[] {
  const out: PanelTarget[] = [];
  const walk = (panels: Panel[] | undefined) => {
    for (const panel of panels ?? []) {
      for (const target of panel.targets ?? []) {
        if (otherDatasource(target.datasource ?? panel.datasource)) continue;
        if (typeof target.expr === "string" && target.expr.trim()) {
          const instant = target.instant === true && target.range !== true;
          out.push({ panel: panel.title || "(untitled)", refId: target.refId ?? "", expr: target.expr, hidden: target.hide === true, ...(instant ? { instant } : {}) });
        }
      }
      walk(panel.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

export interface TimeContext {
  /** Dashboard time range (s). */
  rangeSeconds: number;
  /** The data source's scrape interval (s): $__interval's floor and $__rate_interval's base. */
  scrapeSeconds: number;
  /** Panel width in data points (Grafana: about the panel's pixels). */
  maxDataPoints?: number;
}

/** $__interval as Grafana computes it: range / data points, rounded to a nice step, at least the scrape interval. */
export function intervalSeconds(ctx: TimeContext): number {
  const raw = ctx.rangeSeconds / (ctx.maxDataPoints ?? 1000);
  const nice = [0.001, 0.01, 0.1, 1, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 21600, 43200, 86400].find((step) => step >= raw) ?? raw;
  return Math.max(nice, ctx.scrapeSeconds);
}

export interface Variable {
  name: string;
  type: string;
  query?: string | { query?: string };
  regex?: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
  options?: { value: string }[];
  current?: { value?: string | string[] };
}

export type Values = Map<string, string[]>;

const escapeRegex = (value: string) => value.replace(/[\\^$*+?.()|[\]{}]/g, "\\$&");

/** Replaces variables and built-ins in a query, Grafana's way for the Prometheus data source. */
export function interpolate(text: string, values: Values, ctx: TimeContext, all: ReadonlyMap<string, string | undefined> = new Map()): string {
  const interval = intervalSeconds(ctx);
  const builtins: Record<string, string> = {
    __interval: `${interval}s`,
    __interval_ms: String(interval * 1000),
    __rate_interval: `${Math.max(interval + ctx.scrapeSeconds, 4 * ctx.scrapeSeconds)}s`,
    __range: `${ctx.rangeSeconds}s`,
    __range_s: String(ctx.rangeSeconds),
    __range_ms: String(ctx.rangeSeconds * 1000),
  };
  return text.replace(/\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)(?::(\w+))?\]\]|\$(\w+)/g, (whole, a, fa, b, fb, c) => {
    const name: string = a ?? b ?? c;
    const format: string | undefined = fa ?? fb;
    if (name in builtins) return builtins[name];
    const vals = values.get(name);
    if (!vals) return whole;
    if (all.get(name) !== undefined && vals.length > 1) return all.get(name)!;
    if (format === "raw" || format === "csv") return vals.join(",");
    if (format === "pipe") return vals.join("|");
    if (vals.length === 1) return format === "regex" ? escapeRegex(vals[0]) : vals[0];
    return `(${vals.map(escapeRegex).join("|")})`;
  });
}

/** Values of each variable in order: the first value of each (Grafana's default selection), or all of them when `includeAll`. */
export async function resolveVariables(
  server: Server,
  variables: Variable[],
  ctx: TimeContext,
  range?: { start: number; end: number },
): Promise<{ values: Values; problems: string[] }> {
  const values: Values = new Map();
  const allValues = new Map<string, string | undefined>();
  const problems: string[] = [];
  for (const v of variables) {
    let options: string[] = [];
    const raw = typeof v.query === "string" ? v.query : (v.query?.query ?? "");
    const q = interpolate(raw, values, ctx, allValues).trim();
    try {
      if (v.type === "query") {
        const lv = /^label_values\(\s*(?:(.*),\s*)?(\w+)\s*\)$/s.exec(q);
        const qr = /^query_result\((.*)\)$/s.exec(q);
        if (lv) options = await labelValues(server, lv[2], lv[1]?.trim() || undefined, range);
        else if (qr) options = (await query(server, qr[1], range?.end)).map((s) => `${s.metric.__name__ ?? ""}${JSON.stringify(s.metric)} ${s.value[1]} ${s.value[0]}`);
        else if (/^label_names\(\)$/.test(q)) options = [];
        else options = (await query(server, q, range?.end)).map((s) => s.value[1]);
      } else if (v.type === "custom") {
        options = q.split(/\s*,\s*/).filter(Boolean);
      } else if (v.type === "constant" || v.type === "textbox") {
        options = [q];
      } else if (v.type === "interval") {
        options = q.split(/\s*,\s*/).filter(Boolean);
      } else {
        continue; // datasource, adhoc: not part of the queries
      }
    } catch (err) {
      if (err instanceof PrometheusUnavailable) throw err;
      problems.push(`variable ${v.name}: ${(err as Error).message}`);
    }
    if (v.regex) {
      const match = /^\/(.*)\/([gimsuy]*)$/.exec(v.regex);
      const re = new RegExp(match ? match[1] : v.regex, match?.[2]?.replace("g", ""));
      options = options.flatMap((o) => {
        const m = re.exec(o);
        return m ? [m[1] ?? o] : [];
      });
    }
    options = [...new Set(options)];
    if (options.length === 0) problems.push(`variable ${v.name}: no values (${q})`);
    const chosen = v.includeAll ? options : options.slice(0, 1);
    values.set(v.name, chosen);
    if (v.includeAll) allValues.set(v.name, v.allValue ?? undefined);
  }
  return { values, problems };
}

export interface TargetResult {
  readonly target: PanelTarget;
  readonly query: string;
  readonly series: number;
  readonly error?: string;
}

/**
 * Runs every target; a target has data when its result is not empty. Without a range: an instant
 * query at `time` (now when absent). With one: as Grafana asks, a range query over it at a step of
 * $__interval, or an instant query at its end for an instant target.
 */
export async function checkTargets(
  server: Server,
  targets: PanelTarget[],
  values: Values,
  ctx: TimeContext,
  time?: number | { start: number; end: number },
): Promise<TargetResult[]> {
  const results: TargetResult[] = [];
  const step = intervalSeconds(ctx);
  for (const target of targets) {
    const q = interpolate(target.expr, values, ctx);
    try {
      const series =
        typeof time === "object" && !target.instant
          ? (await queryRange(server, q, time.start, time.end, step)).filter((s) => s.values.length > 0).length
          : (await query(server, q, typeof time === "object" ? time.end : time)).length;
      results.push({ target, query: q, series });
    } catch (err) {
      if (err instanceof PrometheusUnavailable) throw err;
      results.push({ target, query: q, series: 0, error: (err as Error).message });
    }
  }
  return results;
}
