/**
 * Grafana's provisioning files (provisioning/datasources/promemu.yml and provisioning/dashboards/promemu.yml),
 * in the shape Grafana's provisioning documentation gives (apiVersion 1).
 */
import { dumpYaml } from "../prometheus";
import { DATASOURCE_UID } from "./panels";

export const ALERTMANAGER_DATASOURCE_UID = "promemu-alertmanager";
/** The log store's datasource, whichever the backend. */
export const LOGS_DATASOURCE_UID = "promemu-logs";

/**
 * VictoriaLogs serves no Loki query API (only /select/logsql/*, VictoriaLogs v1.52.2 app/vlselect/main.go), so Grafana's
 * core Loki datasource cannot query it: its own datasource plugin is needed, which is not bundled with Grafana. Grafana
 * installs it in the background at start from grafana.com (GF_PLUGINS_PREINSTALL, Grafana 11.5+), pinned here.
 */
export const VICTORIALOGS_GRAFANA_PLUGIN = { id: "victoriametrics-logs-datasource", version: "0.31.0" } as const;

/** The datasource type of each log store. */
export const LOGS_DATASOURCE_TYPES = { victorialogs: VICTORIALOGS_GRAFANA_PLUGIN.id, loki: "loki" } as const;

interface Datasource {
  name: string;
  uid: string;
  type: "prometheus" | "alertmanager" | (typeof LOGS_DATASOURCE_TYPES)[keyof typeof LOGS_DATASOURCE_TYPES];
  access: "proxy";
  url: string;
  isDefault: boolean;
  editable: boolean;
  jsonData: Record<string, string | boolean>;
}

interface DashboardProvider {
  name: string;
  orgId: number;
  folder: string;
  type: "file";
  disableDeletion: boolean;
  allowUiUpdates: boolean;
  updateIntervalSeconds: number;
  options: { path: string; foldersFromFilesStructure: boolean };
}

export interface GrafanaDatasourcesArgs {
  /** Prometheus as Grafana's server reaches it (access: proxy), e.g. http://prometheus:9090. */
  prometheusUrl: string;
  alertmanagerUrl?: string;
  /**
   * Prometheus' scrape interval: Grafana's $__rate_interval is at least four of them, so a rate() never
   * spans fewer than two samples. Grafana assumes 15s when unset.
   */
  scrapeInterval?: string;
  /** The log store as Grafana's server reaches it, e.g. http://logs:9428; none: no logs datasource. */
  logs?: { backend: keyof typeof LOGS_DATASOURCE_TYPES; url: string };
}

export function renderGrafanaDatasources(args: GrafanaDatasourcesArgs): string {
  const prometheus: Datasource = {
    name: "Prometheus",
    uid: DATASOURCE_UID,
    type: "prometheus",
    access: "proxy",
    url: args.prometheusUrl,
    isDefault: true,
    editable: false,
    jsonData: {
      httpMethod: "POST",
      ...(args.scrapeInterval ? { timeInterval: args.scrapeInterval } : {}),
      ...(args.alertmanagerUrl ? { alertmanagerUid: ALERTMANAGER_DATASOURCE_UID } : {}),
    },
  };
  const datasources = [prometheus];
  if (args.alertmanagerUrl) {
    datasources.push({
      name: "Alertmanager",
      uid: ALERTMANAGER_DATASOURCE_UID,
      type: "alertmanager",
      access: "proxy",
      url: args.alertmanagerUrl,
      isDefault: false,
      editable: false,
      // Prometheus' Alertmanager (not Mimir's, Grafana's default); Grafana's own alerts stay in Grafana.
      jsonData: { implementation: "prometheus", handleGrafanaManagedAlerts: false },
    });
  }
  if (args.logs) {
    datasources.push({
      name: args.logs.backend === "loki" ? "Loki" : "VictoriaLogs",
      uid: LOGS_DATASOURCE_UID,
      type: LOGS_DATASOURCE_TYPES[args.logs.backend],
      access: "proxy",
      url: args.logs.url,
      isDefault: false,
      editable: false,
      jsonData: { maxLines: "1000" },
    });
  }
  return dumpYaml({ apiVersion: 1, datasources });
}

/** Grafana folder of the user's own dashboards (`grafana.extraDashboards`), beside the stack's "promemu". */
export const EXTRA_DASHBOARDS_FOLDER = "extra";

function provider(name: string, folder: string, path: string): DashboardProvider {
  return {
    name,
    orgId: 1,
    folder,
    type: "file",
    disableDeletion: true,
    allowUiUpdates: false,
    updateIntervalSeconds: 30,
    // A folder name and foldersFromFilesStructure exclude each other; the folder is named here.
    options: { path, foldersFromFilesStructure: false },
  };
}

/**
 * Loads every dashboard JSON in `dashboardsPath` into the "promemu" folder and, given `extraDashboardsPath`, the
 * user's dashboards there into the "extra" folder; the files are the source of truth.
 */
export function renderGrafanaDashboardProvider(dashboardsPath: string, extraDashboardsPath?: string): string {
  const providers = [provider("promemu", "promemu", dashboardsPath)];
  if (extraDashboardsPath) providers.push(provider(EXTRA_DASHBOARDS_FOLDER, EXTRA_DASHBOARDS_FOLDER, extraDashboardsPath));
  return dumpYaml({ apiVersion: 1, providers });
}
