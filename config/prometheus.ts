/**
 * prometheus.yml of the stack, for the Prometheus the stack pins (3.5; the tests run that very version, built
 * from its Go module). No storage block: on 3.5 retention is still a command-line flag (the config-file
 * `storage.tsdb.retention` arrives in 3.8). No api_version for Alertmanager: v2 is the default and the only one.
 */
import * as yaml from "js-yaml";
import type { Settings } from "./settings";

export const SCRAPE_JOBS = {
  prometheus: "prometheus",
  pushgateway: "pushgateway",
  emulator: "emulator",
  alertmanager: "alertmanager",
  grafana: "grafana",
  logs: "logs",
} as const;

/**
 * Path of the rule file relative to prometheus.yml's directory. Prometheus resolves relative rule_files
 * against the config file, so the very same prometheus.yml validates in a test's temp dir and in the container.
 */
export const RULE_FILE = "rules/promemu-alerts.yml";

/**
 * Folder of the user's extra rule files (`prometheus.extraRuleFiles`), relative to prometheus.yml's directory like
 * RULE_FILE, apart from the stack's own file so that no name of theirs can clash with it.
 */
export const EXTRA_RULES_DIR = "rules/extra";

/** rule_files entry of one extra rule file, by its file name in the container. */
export const extraRuleFile = (fileName: string) => `${EXTRA_RULES_DIR}/${fileName}`;

/**
 * How often Prometheus asks the emulator's /sd/<profile> for its exporter hosts. The list only changes when the
 * emulator restarts (with another scenario or overrides), so this is about how soon hosts appear after that.
 */
export const EXPORTER_SD_REFRESH = "30s";

/**
 * An exporter profile the emulator serves (docs/exporter-profiles.md): scraped under the job real setups give
 * that exporter (`node`, `postgres`), its hosts found through Prometheus' HTTP service discovery.
 */
export interface ExporterJob {
  /** The job name, the profile's name: `node` gives `up{job="node"}` as node_exporter's usual job does. */
  job: string;
  /**
   * Each emulator's /sd/<profile> as Prometheus reaches it, e.g. http://emulator:9464/sd/node: one per replica, since
   * a replica lists only the hosts of its own shard (and serves only theirs on /hosts/<host>/metrics).
   */
  serviceDiscoveryUrls: string[];
}

/** One scrape job per profile, against the emulator(s) at `emulatorAddresses` ("host:port", one per replica), in the order given. */
export function exporterJobs(profiles: readonly string[], emulatorAddresses: string | readonly string[]): ExporterJob[] {
  const addresses = [emulatorAddresses].flat();
  return profiles.map((profile) => ({ job: profile, serviceDiscoveryUrls: addresses.map((address) => `http://${address}/sd/${profile}`) }));
}

/**
 * Path of Prometheus' remote-write receiver (`--web.enable-remote-write-receiver`), the same in 2.x and 3.x: the
 * emulator's PROMEMU_REMOTE_WRITE_URL with `emulator.sink: remote-write`.
 */
export const REMOTE_WRITE_PATH = "/api/v1/write";

/** "host:port" of each target as Prometheus reaches it; an absent one means that job (and, for alertmanager, the alerting block) is left out. */
export interface ScrapeTargets {
  prometheus: string;
  pushgateway: string;
  /** The emulator, or one address per replica (`emulator.replicas`): all of them in the one `emulator` job. */
  emulator?: string | readonly string[];
  alertmanager?: string;
  grafana?: string;
  /** The log store (its /metrics, either backend). */
  logs?: string;
  /** The exporter profiles of the emulator's scenario; none: no exporter job. */
  exporters?: readonly ExporterJob[];
}

interface StaticConfig {
  targets: string[];
}

interface HttpSdConfig {
  url: string;
  refresh_interval: string;
}

interface ScrapeConfig {
  job_name: string;
  honor_labels?: boolean;
  static_configs?: StaticConfig[];
  http_sd_configs?: HttpSdConfig[];
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

function scrapeJob(job: string, targets: string | readonly string[], extra: Partial<ScrapeConfig> = {}): ScrapeConfig {
  return { job_name: job, ...extra, static_configs: [{ targets: [targets].flat() }] };
}

/**
 * An exporter job. The emulator's target groups carry everything a real exporter's scrape has: `__address__` (the
 * emulator), `__metrics_path__` (/hosts/<host>/metrics: a label of the target group takes precedence over the
 * job's metrics_path, in 2.x as in 3.x) and `instance` (<host>:9100), so no relabelling is needed and `instance` is
 * the exporter's, not the emulator's address.
 */
function exporterJob(exporter: ExporterJob): ScrapeConfig {
  return { job_name: exporter.job, http_sd_configs: exporter.serviceDiscoveryUrls.map((url) => ({ url, refresh_interval: EXPORTER_SD_REFRESH })) };
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
  if (targets.logs) scrapeConfigs.push(scrapeJob(SCRAPE_JOBS.logs, targets.logs));
  scrapeConfigs.push(...(targets.exporters ?? []).map(exporterJob));

  const config: PrometheusConfig = {
    global: {
      scrape_interval: settings.prometheus.scrapeInterval,
      evaluation_interval: settings.prometheus.evaluationInterval,
      // The schema refuses `$` in label values: Prometheus 3 would expand it from the container's environment.
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
