/**
 * The building blocks both dashboards share: the datasource reference every panel, query and variable is
 * bound to, "All"-capable query variables, and panels of the four kinds the dashboards use.
 */
/// <reference path="./sdk-modules.d.ts" />
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as logs from "@grafana/grafana-foundation-sdk/logs";
import * as piechart from "@grafana/grafana-foundation-sdk/piechart";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import type { LogBackend } from "../settings";

export const DATASOURCE_UID = "promemu-prometheus";
export const DATASOURCE: common.DataSourceRef = { type: "prometheus", uid: DATASOURCE_UID };

/** What a variable is replaced with when "All" is selected: a regex, so panels use `=~`. */
export const MATCH_ALL = ".*";

/** What both dashboards share: tags, 30 s auto-refresh, the last 30 minutes, a shared crosshair, read-only (the files are the source). */
export function promemuDashboard(title: string, uid: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(["promemu"])
    .refresh("30s")
    .time({ from: "now-30m", to: "now" })
    .timezone("browser")
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .readonly();
}

/** A query variable with "All" (the default selection), multi-select and values refreshed with the time range. */
export function queryVariable(name: string, label: string, query: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .includeAll(true)
    .allValue(MATCH_ALL)
    .multi(true)
    .current({ selected: true, text: "All", value: "$__all" })
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.NaturalAsc);
}

export interface Query {
  expr: string;
  /** Grafana legend template, e.g. "{{host}}". */
  legend?: string;
  /** Only the latest value (stat, pie, table panels). */
  instant?: boolean;
}

export interface PanelSpec {
  title: string;
  description: string;
  queries: Query[];
  /** Grafana unit id: percent, bytes, Bps, s, reqps, iops, short... */
  unit?: string;
  /** Width in grid columns (the grid is 24 wide). */
  width: number;
  height?: number;
}

/** p50, p95 and p99 of a histogram over the selected series, from the per-second rate of its buckets. */
export function quantileQueries(bucketSelector: string): Query[] {
  return [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (le) (rate(${bucketSelector}[$__rate_interval])))`,
    legend: `p${Math.round(q * 100)}`,
  }));
}

function target(query: Query, index: number): prometheus.DataqueryBuilder {
  const builder = new prometheus.DataqueryBuilder()
    .datasource(DATASOURCE)
    .refId(String.fromCharCode(65 + index))
    .expr(query.expr)
    .legendFormat(query.legend ?? "__auto");
  return query.instant ? builder.instant() : builder.range();
}

/** The setters every panel kind of the SDK has; each kind is a separate class, hence the structural type. */
interface AnyPanelBuilder<Self> {
  title(title: string): Self;
  description(description: string): Self;
  datasource(datasource: common.DataSourceRef): Self;
  withTarget(target: prometheus.DataqueryBuilder): Self;
  span(width: number): Self;
  height(height: number): Self;
  unit(unit: string): Self;
}

function placed<Self extends AnyPanelBuilder<Self>>(builder: Self, spec: PanelSpec): Self {
  let panel = builder.title(spec.title).description(spec.description).datasource(DATASOURCE).span(spec.width).height(spec.height ?? 8);
  spec.queries.forEach((query, index) => {
    panel = panel.withTarget(target(query, index));
  });
  return spec.unit ? panel.unit(spec.unit) : panel;
}

/** Absolute thresholds from a base colour and ascending [value, colour] steps. */
export function thresholds(base: string, steps: [number, string][]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps([{ value: null, color: base }, ...steps.map(([value, color]) => ({ value, color }))]);
}

export interface TimeSeriesSpec extends PanelSpec {
  min?: number;
  max?: number;
  /** Drawn as dashed lines, e.g. the alert thresholds. */
  thresholdLines?: [number, string][];
}

export function timeSeriesPanel(spec: TimeSeriesSpec): timeseries.PanelBuilder {
  let panel = placed(new timeseries.PanelBuilder(), spec)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).showLegend(true))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (spec.min !== undefined) panel = panel.min(spec.min);
  if (spec.max !== undefined) panel = panel.max(spec.max);
  if (spec.thresholdLines) {
    panel = panel
      .thresholds(thresholds("transparent", spec.thresholdLines))
      .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  }
  return panel;
}

export interface StatSpec extends PanelSpec {
  /** Text (and colour) shown instead of a value, e.g. 0 -> Idle. */
  valueText?: Record<string, { text: string; color: string }>;
  thresholds?: dashboard.ThresholdsConfigBuilder;
}

export function statPanel(spec: StatSpec): stat.PanelBuilder {
  let panel = placed(new stat.PanelBuilder(), spec)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.None);
  if (spec.valueText) {
    panel = panel.mappings([{ type: dashboard.MappingType.ValueToText, options: spec.valueText }]);
  }
  if (spec.thresholds) panel = panel.thresholds(spec.thresholds);
  return panel;
}

export function pieChartPanel(spec: PanelSpec): piechart.PanelBuilder {
  return placed(new piechart.PanelBuilder(), spec)
    .pieType(piechart.PieChartType.Pie)
    .displayLabels([piechart.PieChartLabels.Name, piechart.PieChartLabels.Value])
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
    .legend(new piechart.PieChartLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Right).showLegend(true));
}

export function tablePanel(spec: PanelSpec): table.PanelBuilder {
  return placed(new table.PanelBuilder(), spec).showHeader(true);
}

/** A full-width row header; the panels added after it (until the next row) belong to it. */
export function row(title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title);
}

/**
 * The SDK leaves panel ids unset; Grafana needs them unique within a dashboard (links, repeats, the
 * panel editor), so they are numbered in layout order.
 */
export function numberPanels(built: dashboard.Dashboard): dashboard.Dashboard {
  (built.panels ?? []).forEach((panel, index) => {
    panel.id = index + 1;
  });
  return built;
}

/** The log store's datasource (config/grafana/provisioning.ts), by backend. */
export function logsDatasource(backend: LogBackend): common.DataSourceRef {
  return { type: backend === "loki" ? "loki" : "victoriametrics-logs-datasource", uid: "promemu-logs" };
}

/**
 * A query of the log store, in the model of its datasource: Loki's (`expr`, `queryType: range`) or the VictoriaLogs
 * plugin's (`expr`, `queryType: instant` = /select/logsql/query, victorialogs-datasource src/types.ts). The SDK has no
 * builder for the plugin's model; this one writes the same fields.
 */
class LogsQueryBuilder implements cog.Builder<cog.Dataquery> {
  constructor(
    private readonly datasource: common.DataSourceRef,
    private readonly expr: string,
    private readonly refId: string,
  ) {}
  build(): cog.Dataquery {
    const queryType = this.datasource.type === "loki" ? "range" : "instant";
    return { refId: this.refId, datasource: this.datasource, expr: this.expr, queryType } as unknown as cog.Dataquery;
  }
}

/**
 * What a log panel shows, said once and written in either store's language (logsExpr): the streams, then lines that
 * contain any of some phrases, then lines whose JSON fields pass any of some numeric conditions.
 */
export interface LogsQuery {
  /**
   * Stream label matchers in Prometheus' syntax, e.g. `job="node", instance=~"$instance"`. At least one must refuse
   * the empty value: Loki rejects a selector whose every matcher may match an empty string (`{host=~".*"}`, what
   * "All" makes of a variable).
   */
  streams: string;
  /** Lines holding any of these phrases, case as written (kernel and server messages have a fixed case). */
  phrases?: string[];
  /** Lines whose JSON field passes any of these, e.g. `["status", ">=", 500]` (the access log's fields). */
  fields?: [field: string, op: ">=" | ">", value: number][];
}

const regexEscape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The query as the backend's language writes it. LogsQL (VictoriaLogs): phrase filters joined by `or`, and range
 * filters on the fields VictoriaLogs parsed out of a JSON line at ingestion (`status:>=500`). LogQL (Loki): one regex
 * line filter, then `| json` and a label filter; a line that is not JSON (or lacks the field) gets an `__error__`
 * label and is kept by a failed comparison, hence the closing `__error__=""`.
 */
export function logsExpr(backend: LogBackend, query: LogsQuery): string {
  const { streams, phrases = [], fields = [] } = query;
  if (backend === "loki") {
    const lines = phrases.length === 1 ? ` |= ${JSON.stringify(phrases[0])}` : phrases.length ? ` |~ ${JSON.stringify(phrases.map(regexEscape).join("|"))}` : "";
    const json = fields.length ? ` | json | ${fields.map(([field, op, value]) => `${field} ${op} ${value}`).join(" or ")} | __error__=""` : "";
    return `{${streams}}${lines}${json}`;
  }
  const any = (filters: string[]) => (filters.length === 1 ? ` ${filters[0]}` : filters.length ? ` (${filters.join(" or ")})` : "");
  return `{${streams}}${any(phrases.map((p) => JSON.stringify(p)))}${any(fields.map(([field, op, value]) => `${field}:${op}${value}`))}`;
}

export interface LogsPanelSpec {
  title: string;
  description: string;
  backend: LogBackend;
  query: LogsQuery;
  width: number;
  height?: number;
}

/** Newest lines first, with their labels and time, wrapped, details on click. */
export function logsPanel(spec: LogsPanelSpec): logs.PanelBuilder {
  const datasource = logsDatasource(spec.backend);
  return new logs.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(datasource)
    .span(spec.width)
    .height(spec.height ?? 8)
    .withTarget(new LogsQueryBuilder(datasource, logsExpr(spec.backend, spec.query), "A"))
    .showTime(true)
    .wrapLogMessage(true)
    .enableLogDetails(true)
    .sortOrder(common.LogsSortOrder.Descending);
}
