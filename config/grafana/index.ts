/**
 * Grafana: provisioning files and the two dashboards as code, plus the helpers that let a test run every
 * panel's PromQL against a real Prometheus.
 */
/// <reference path="./sdk-modules.d.ts" />
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import type { Settings } from "../settings";
import { HEALTH_DASHBOARD_UID, healthDashboard } from "./health";
import { MAIN_DASHBOARD_UID, overviewDashboard } from "./overview";
import { DASHBOARD_SCHEMA_VERSION } from "./schema-version";

export { DATASOURCE_UID, MATCH_ALL } from "./panels";
export { MAIN_DASHBOARD_UID } from "./overview";
export { HEALTH_DASHBOARD_UID } from "./health";
export { bindDashboardDatasources, checkDashboard } from "./imported";
export { ALERTMANAGER_DATASOURCE_UID, EXTRA_DASHBOARDS_FOLDER, LOGS_DATASOURCE_UID, VICTORIALOGS_GRAFANA_PLUGIN, renderGrafanaDashboardProvider, renderGrafanaDatasources } from "./provisioning";
export type { GrafanaDatasourcesArgs } from "./provisioning";
export { DASHBOARD_SCHEMA_VERSION, fitSchemaVersion, GRAFANA_SCHEMA_LINE } from "./schema-version";

export interface RenderedDashboard {
  uid: string;
  title: string;
  /** File name inside the provider's dashboards folder. */
  fileName: string;
  json: string;
}

/**
 * The file of a dashboard built with the foundation SDK, which writes its own schemaVersion (42, Grafana 12.2's):
 * replaced by the pinned Grafana's (config/grafana/schema-version.ts), in place so the key keeps its position.
 */
function rendered(built: dashboard.Dashboard): RenderedDashboard {
  const json = { ...built, schemaVersion: DASHBOARD_SCHEMA_VERSION };
  return { uid: built.uid!, title: built.title!, fileName: `${built.uid}.json`, json: `${JSON.stringify(json, null, 2)}\n` };
}

/** The uids of the stack's own dashboards, which a user's extra dashboard may not take. */
export const OWN_DASHBOARD_UIDS: readonly string[] = [MAIN_DASHBOARD_UID, HEALTH_DASHBOARD_UID];

export function renderDashboards(settings: Settings): RenderedDashboard[] {
  return [rendered(overviewDashboard(settings)), rendered(healthDashboard())];
}

export interface PanelQuery {
  panelId: number;
  panelTitle: string;
  refId: string;
  expr: string;
  instant: boolean;
}

/** Every PromQL expression of every panel, as Grafana will send it (variables still in place). */
export function dashboardQueries(rendered: RenderedDashboard): PanelQuery[] {
  // The log panels' queries are LogsQL or LogQL, for the log store (dashboardLogQueries).
  return panelTargets(rendered)
    .filter(({ target }) => (target.datasource?.type ?? "prometheus") === "prometheus")
    .map(({ panel, target }) => ({ panelId: panel.id!, panelTitle: panel.title ?? "", refId: target.refId, expr: target.expr, instant: target.instant === true }));
}

interface PanelTarget {
  refId: string;
  expr: string;
  instant?: boolean;
  datasource?: { type?: string };
}

/** Every query target of every panel (rows have none), with its panel. */
function panelTargets(rendered: RenderedDashboard): { panel: dashboard.Panel; target: PanelTarget }[] {
  const parsed = JSON.parse(rendered.json) as dashboard.Dashboard;
  return (parsed.panels ?? []).flatMap((panel) => {
    if (panel.type === "row") return [];
    return (((panel as dashboard.Panel).targets ?? []) as unknown as PanelTarget[]).map((target) => ({ panel: panel as dashboard.Panel, target }));
  });
}

export interface LogPanelQuery {
  panelId: number;
  panelTitle: string;
  /** The datasource type: `victoriametrics-logs-datasource` (LogsQL) or `loki` (LogQL). */
  datasourceType: string;
  expr: string;
}

/** Every log panel's query, as Grafana sends it to the log store (variables still in place). */
export function dashboardLogQueries(rendered: RenderedDashboard): LogPanelQuery[] {
  return panelTargets(rendered)
    .filter(({ panel }) => panel.type === "logs")
    .map(({ panel, target }) => ({ panelId: panel.id!, panelTitle: panel.title ?? "", datasourceType: target.datasource!.type!, expr: target.expr }));
}

export interface DashboardVariable {
  name: string;
  query: string;
  allValue: string;
}

export function dashboardVariables(rendered: RenderedDashboard): DashboardVariable[] {
  const parsed = JSON.parse(rendered.json) as dashboard.Dashboard;
  return (parsed.templating.list ?? []).map((v) => ({ name: v.name, query: String(v.query ?? ""), allValue: v.allValue ?? "" }));
}

/**
 * Replaces `$name` / `${name}` the way Grafana does with "All" selected (the variable's allValue), and
 * Grafana's built-ins from `builtins` (e.g. `{ __rate_interval: "1m" }`). Throws on any variable left
 * unresolved, so a query cannot silently reference a variable the dashboard does not define.
 */
export function expandVariables(expr: string, variables: DashboardVariable[], builtins: Record<string, string>): string {
  const values = new Map<string, string>(Object.entries(builtins));
  for (const variable of variables) values.set(variable.name, variable.allValue);
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (match, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const value = values.get(name);
    if (value === undefined) throw new Error(`query ${JSON.stringify(expr)} uses $${name}, which is neither a dashboard variable nor given`);
    return value;
  });
}
