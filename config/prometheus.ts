/**
 * prometheus.yml of the stack. The same file must load on the image's Prometheus 3.5 and on Debian's
 * 2.42 that the tests run, so it uses only keys both document: no scrape_protocols or
 * fallback_scrape_protocol (3.x only), no storage block (retention is a command-line flag), no api_version
 * for Alertmanager (both default to v2, and 3.x refuses v1).
 */
import * as yaml from "js-yaml";
import type { Settings } from "./settings";

export const SCRAPE_JOBS = {
  prometheus: "prometheus",
  pushgateway: "pushgateway",
  emulator: "emulator",
  alertmanager: "alertmanager",
  grafana: "grafana",
} as const;

/**
 * Path of the rule file relative to prometheus.yml's directory. Prometheus resolves relative rule_files
 * against the config file, so the very same prometheus.yml validates in a test's temp dir and in the container.
 */
export const RULE_FILE = "rules/promemu-alerts.yml";

/** "host:port" of each target as Prometheus reaches it; an absent one means that job (and, for alertmanager, the alerting block) is left out. */
export interface ScrapeTargets {
  prometheus: string;
  pushgateway: string;
  emulator?: string;
  alertmanager?: string;
  grafana?: string;
}

interface StaticConfig {
  targets: string[];
}

interface ScrapeConfig {
  job_name: string;
  honor_labels?: boolean;
  metrics_path?: string;
  static_configs: StaticConfig[];
}

/** The subset of Prometheus' configuration this stack writes. */
interface PrometheusConfig {
  global: {
    scrape_interval: string;
    evaluation_interval: string;
    external_labels: Record<string, string>;
  };
  rule_files: string[];
  alerting?: { alertmanagers: { static_configs: StaticConfig[] }[] };
  scrape_configs: ScrapeConfig[];
}

/** YAML as every renderer in config/ writes it: no line folding (PromQL and templates stay on one line), no anchors. */
export function dumpYaml(value: unknown): string {
  return yaml.dump(value, { lineWidth: -1, noRefs: true, quotingType: '"' });
}

function scrapeJob(job: string, target: string, extra: Partial<ScrapeConfig> = {}): ScrapeConfig {
  return { job_name: job, ...extra, static_configs: [{ targets: [target] }] };
}

export function renderPrometheusConfig(args: { settings: Settings; stack: string; targets: ScrapeTargets; ruleFiles: string[] }): string {
  const { settings, stack, targets, ruleFiles } = args;
  const scrapeConfigs: ScrapeConfig[] = [
    scrapeJob(SCRAPE_JOBS.prometheus, targets.prometheus),
    // Once, and with honor_labels: the pushed `job`/`instance` labels are the series' identity, not the gateway's.
    scrapeJob(SCRAPE_JOBS.pushgateway, targets.pushgateway, { honor_labels: true }),
  ];
  if (targets.emulator) scrapeConfigs.push(scrapeJob(SCRAPE_JOBS.emulator, targets.emulator));
  if (targets.alertmanager) scrapeConfigs.push(scrapeJob(SCRAPE_JOBS.alertmanager, targets.alertmanager));
  if (targets.grafana) scrapeConfigs.push(scrapeJob(SCRAPE_JOBS.grafana, targets.grafana));

  const config: PrometheusConfig = {
    global: {
      scrape_interval: settings.prometheus.scrapeInterval,
      evaluation_interval: settings.prometheus.evaluationInterval,
      // The schema refuses `$` in label values: Prometheus 3 would expand it from its environment, 2.42 not.
      external_labels: { ...settings.prometheus.externalLabels, stack },
    },
    ...(targets.alertmanager ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [targets.alertmanager] }] }] } } : {}),
    rule_files: ruleFiles,
    scrape_configs: scrapeConfigs,
  };
  return dumpYaml(config);
}

/**
 * `--web.cors.origin`: a regular expression Prometheus anchors at both ends, matching exactly the given
 * origins (`http://127.0.0.1:3000`), so no other page in the browser can read the API's answers.
 */
export function corsOriginPattern(urls: readonly string[]): string {
  const origins = [...new Set(urls.map((url) => new URL(url).origin))].sort();
  const escaped = origins.map((origin) => origin.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return escaped.length === 1 ? escaped[0] : `(${escaped.join("|")})`;
}
