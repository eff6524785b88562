/**
 * The whole sandbox: network, Pushgateway, Alertmanager, Prometheus, Grafana and the emulator, started in
 * health-gated order. Configuration files are rendered here (pure functions of config/) from the typed
 * settings index.ts validated; the service components only declare containers. Whatever is rendered from a
 * setting held as a secret (config/settings.ts, SECRET_CAPABLE_KEYS) is passed on as a secret.
 */
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { renderAlertmanagerConfig } from "../config/alertmanager";
import { emulatorEnvironment } from "../config/emulator";
import { dockerSyslogLogging, logStorePushUrl, lokiImageHasWget, renderLokiConfig, victoriaLogsCommand } from "../config/logs";
import {
  HISTORY_RULES_DIR,
  historyIdentity,
  historyLengthMs,
  historyLogsCommand,
  historyLogsFit,
  historyRulesCommand,
  historyStepMs,
  historyWriteCommand,
} from "../config/history";
import {
  MAIN_DASHBOARD_UID,
  VICTORIALOGS_GRAFANA_PLUGIN,
  renderDashboards,
  renderGrafanaDashboardProvider,
  renderGrafanaDatasources,
} from "../config/grafana";
import { renderGrafanaEntrypoint } from "../config/grafana/entrypoint";
import { exposureWarning } from "../config/exposure";
import { CONTAINER_PORTS } from "../config/health";
import {
  corsOriginPattern,
  exporterJobs,
  extraRuleFile,
  REMOTE_WRITE_PATH,
  renderPrometheusConfig,
  RULE_FILE,
  SCRAPE_JOBS,
  ScrapeTargets,
} from "../config/prometheus";
import { renderAlertRules } from "../config/rules";
import { hostPorts, logSources, logStoreImage, publishedPorts, ServiceName, Settings } from "../config/settings";
import { Alertmanager } from "./alertmanager";
import { buildEmulatorImage, Emulator } from "./emulator";
import { HistoryLogs, HistoryRules } from "./history";
import { LogStore } from "./logs";
import { Grafana, GRAFANA_DASHBOARDS_DIR, GRAFANA_EXTRA_DASHBOARDS_DIR } from "./grafana";
import { physicalName, replicaName, StackIdentity } from "./naming";
import { StackNetwork } from "./network";
import { Prometheus, PROMETHEUS_DATA_PATH, PROMETHEUS_USER, PrometheusRuleFile } from "./prometheus";
import { Pushgateway } from "./pushgateway";
import { hostUrl, ServiceImage } from "./service";
import { StackCheck } from "./stack-check";

export interface MonitoringStackArgs extends StackIdentity {
  /** Validated settings with defaults filled in (config/settings.ts). */
  readonly settings: Settings;
  /** Top-level settings keys held as secrets (e.g. `alertmanager` after `--path --secret alertmanager.webhookUrl`). */
  readonly secretSettings: readonly string[];
  /** Folder of the emulator's package and Dockerfile. */
  readonly emulatorContext: string;
  /**
   * Exporter profiles the emulator's scenario serves (config/settings.ts exporterProfiles), e.g. ["node"]: each is
   * scraped as job <profile> through the emulator's /sd/<profile>, and waited for at the end of up. Ignored when
   * the emulator is off.
   */
  readonly exporterProfiles?: readonly string[];
  /** The user's rule files (`prometheus.extraRuleFiles`), found and checked by config/user-files.ts. */
  readonly extraRuleFiles?: readonly PrometheusRuleFile[];
  /** The user's dashboards (`grafana.extraDashboards`), checked and bound to the stack's datasource. */
  readonly extraDashboards?: readonly { readonly fileName: string; readonly content: string }[];
}

export interface StackUrls {
  pushgateway: string;
  prometheus: string;
  alertmanager?: string;
  grafana?: string;
  emulator?: string;
  dashboard?: string;
  logs?: string;
}

/** Address of a service (or of its replica k) inside the stack network: its alias and container port. */
const internal = (service: keyof typeof CONTAINER_PORTS, replica = 1) => `${replicaName(service, replica)}:${CONTAINER_PORTS[service]}`;

export class MonitoringStack extends pulumi.ComponentResource {
  public readonly network: StackNetwork;
  /** The log store (`logs.enabled`). */
  public readonly logs?: LogStore;
  public readonly pushgateway: Pushgateway;
  public readonly alertmanager?: Alertmanager;
  public readonly prometheus: Prometheus;
  public readonly grafana?: Grafana;
  public readonly emulator?: Emulator;
  /** The container name of every emulator replica, in shard order; absent without the emulator. */
  public readonly emulatorContainers?: pulumi.Output<string>[];
  public readonly check: StackCheck;
  /**
   * `emulator.history`: the start of the history, what the recording-rule step said, and (with a log store and a
   * scenario whose hosts log) what the push of its log lines said; absent without one.
   */
  public readonly history?: { readonly since: pulumi.Output<string>; readonly rules: pulumi.Output<string>; readonly logs?: pulumi.Output<string> };
  public readonly urls: StackUrls;
  public readonly containers: Partial<Record<ServiceName, pulumi.Output<string>>>;
  public readonly volumes: Partial<Record<ServiceName, pulumi.Output<string>>>;
  /** Per service, the image reference a person reads and the id Docker runs. */
  public readonly images: Partial<Record<ServiceName, ServiceImage>>;
  public readonly grafanaAdminUser?: string;
  /** The password Grafana enforces at every start; absent without Grafana. */
  public readonly grafanaAdminPassword?: pulumi.Output<string>;

  constructor(name: string, args: MonitoringStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promemu:index:MonitoringStack", name, {}, opts);
    const { settings } = args;
    const id: StackIdentity = { project: args.project, stack: args.stack };
    const ports = hostPorts(settings);
    const url = (port: number, path = "") => hostUrl(settings.bindAddress, port, path);
    const secretIf = <T extends string | Record<string, string>>(key: keyof Settings, value: T): pulumi.Input<T> =>
      args.secretSettings.includes(key) ? (pulumi.secret(value) as pulumi.Output<T>) : value;

    const exposure = exposureWarning(settings);
    if (exposure) pulumi.log.warn(exposure, this);

    this.network = new StackNetwork(`${name}-network`, { ...id, networkName: physicalName(id) }, { parent: this });
    const base = { ...id, network: this.network.name, bindAddress: settings.bindAddress, keepData: settings.keepData };

    // The log store first: the other containers' output goes to it from their start (the collector, config/logs.ts).
    const logs = settings.logs;
    // The syslog listener's host port, published only when the store collects the containers' output (VictoriaLogs).
    const collectorPort = publishedPorts(settings).find((p) => p.protocol === "udp")?.port;
    const collects = collectorPort !== undefined;
    if (logs.enabled) {
      this.logs = new LogStore(
        `${name}-logs`,
        {
          ...base,
          image: logStoreImage(settings),
          hostPort: ports.logs!,
          backend: logs.backend,
          ...(logs.backend === "loki" ? { config: renderLokiConfig(settings) } : { command: victoriaLogsCommand(settings) }),
          dockerHealthCheck: logs.backend === "loki" && lokiImageHasWget(logStoreImage(settings)),
          collectorHostPort: collectorPort,
        },
        { parent: this },
      );
    }
    // Every container starts once the store runs (Prometheus and Grafana after these two), so no first line is lost.
    const afterLogs = this.logs ? [this.logs.container] : undefined;
    const common = { ...base, ...(collects ? { logging: dockerSyslogLogging(settings.bindAddress, collectorPort) } : {}) };

    this.pushgateway = new Pushgateway(
      `${name}-pushgateway`,
      { ...common, image: settings.pushgateway.image, hostPort: ports.pushgateway!, persistenceInterval: settings.pushgateway.persistenceInterval, startAfter: afterLogs },
      { parent: this },
    );

    if (settings.alertmanager.enabled) {
      this.alertmanager = new Alertmanager(
        `${name}-alertmanager`,
        {
          ...common,
          image: settings.alertmanager.image,
          hostPort: ports.alertmanager!,
          config: secretIf("alertmanager", renderAlertmanagerConfig(settings)),
          externalUrl: url(ports.alertmanager!),
          startAfter: afterLogs,
        },
        { parent: this },
      );
    }

    const emulator = settings.emulator;
    const emulatorAddresses = Array.from({ length: emulator.replicas }, (_, i) => internal("emulator", i + 1));
    // Into the stack's Prometheus (its receiver on); an external endpoint (emulator.remoteWrite.url) needs neither.
    const remoteWrite = emulator.enabled && emulator.sink === "remote-write" && emulator.remoteWrite.url === undefined;
    const targets: ScrapeTargets = {
      prometheus: `localhost:${CONTAINER_PORTS.prometheus}`,
      pushgateway: internal("pushgateway"),
      ...(settings.grafana.enabled ? { grafana: internal("grafana") } : {}),
      ...(settings.alertmanager.enabled ? { alertmanager: internal("alertmanager") } : {}),
      ...(logs.enabled ? { logs: internal("logs") } : {}),
      ...(emulator.enabled ? { emulator: emulatorAddresses, exporters: exporterJobs(args.exporterProfiles ?? [], emulatorAddresses) } : {}),
    };
    const extraRules = args.extraRuleFiles ?? [];
    // Built before Prometheus: the history, written before Prometheus starts, runs from it too.
    const emulatorImage = emulator.enabled
      ? buildEmulatorImage(this, `${name}-emulator-image`, { ...id, context: args.emulatorContext, nodeImage: emulator.nodeImage, prometheusImage: settings.prometheus.image })
      : undefined;
    const historyLength = historyLengthMs(settings);
    const historyCommand = { settings, ...id, dataPath: PROMETHEUS_DATA_PATH };
    const alertRules = renderAlertRules(settings);
    this.prometheus = new Prometheus(
      `${name}-prometheus`,
      {
        ...common,
        image: settings.prometheus.image,
        hostPort: ports.prometheus!,
        config: secretIf(
          "prometheus",
          renderPrometheusConfig({ settings, stack: args.stack, targets, ruleFiles: [RULE_FILE, ...extraRules.map((r) => extraRuleFile(r.fileName))] }),
        ),
        rules: alertRules,
        extraRules,
        retentionTime: settings.prometheus.retentionTime,
        retentionSize: settings.prometheus.retentionSize,
        externalUrl: url(ports.prometheus!),
        corsOrigin: corsOriginPattern([url(ports.prometheus!), ...(ports.grafana ? [url(ports.grafana)] : [])]),
        remoteWriteReceiver: remoteWrite,
        startAfter: [this.pushgateway.container, ...(this.alertmanager ? [this.alertmanager.container] : [])],
        history:
          emulatorImage && historyLength !== undefined
            ? {
                image: emulatorImage.id,
                lengthMs: historyLength,
                stepMs: historyStepMs(settings),
                identity: historyIdentity(historyCommand),
                command: historyWriteCommand(historyCommand),
              }
            : undefined,
      },
      { parent: this },
    );
    const history = this.prometheus.history;
    if (history && emulatorImage) {
      const ruleFiles = [
        { name: path.posix.basename(RULE_FILE), content: alertRules },
        ...extraRules.map((r) => ({ name: r.fileName, content: r.content })),
      ];
      const rules = new HistoryRules(
        `${name}-history`,
        {
          ...id,
          image: emulatorImage.id,
          volume: this.prometheus.volume.name,
          dataPath: PROMETHEUS_DATA_PATH,
          user: PROMETHEUS_USER,
          network: this.network.name,
          command: historyRulesCommand(settings, PROMETHEUS_DATA_PATH, `http://${internal("prometheus")}`, ruleFiles.map((f) => f.name)),
          ruleFiles: ruleFiles.map((f) => ({ path: `${HISTORY_RULES_DIR}/${f.name}`, content: f.content })),
          prometheus: this.prometheus.container,
        },
        { parent: this },
      );
      let historyLogs: HistoryLogs | undefined;
      if (this.logs && logSources(settings).length > 0) {
        if (historyLogsFit(settings, historyLength!)) {
          historyLogs = new HistoryLogs(
            `${name}-history-logs`,
            {
              ...id,
              image: emulatorImage.id,
              network: this.network.name,
              command: history.startAt.apply((start) => historyLogsCommand(settings, Date.parse(start), historyLength!)),
            },
            { parent: this },
          );
        } else {
          pulumi.log.warn(
            `emulator.history (${settings.emulator.history}) is longer than logs.retention (${settings.logs.retention}): the history's log lines are not pushed (the store would drop them); raise logs.retention to have them`,
            this,
          );
        }
      }
      this.history = { since: history.written, rules: rules.done, ...(historyLogs ? { logs: historyLogs.done } : {}) };
    }

    if (settings.grafana.enabled) {
      const dashboards = renderDashboards(settings);
      const home = dashboards.find((d) => d.uid === MAIN_DASHBOARD_UID);
      const extraDashboards = (args.extraDashboards ?? []).map((d) => ({ fileName: d.fileName, json: d.content }));
      this.grafana = new Grafana(
        `${name}-grafana`,
        {
          ...common,
          image: settings.grafana.image,
          hostPort: ports.grafana!,
          adminPassword: settings.grafanaAdminPassword === undefined ? undefined : pulumi.secret(settings.grafanaAdminPassword),
          anonymousAccess: settings.grafana.anonymousAccess,
          entrypoint: renderGrafanaEntrypoint({ adminUser: settings.grafana.adminUser }),
          datasources: renderGrafanaDatasources({
            prometheusUrl: `http://${internal("prometheus")}`,
            scrapeInterval: settings.prometheus.scrapeInterval,
            ...(settings.alertmanager.enabled ? { alertmanagerUrl: `http://${internal("alertmanager")}` } : {}),
            ...(logs.enabled ? { logs: { backend: logs.backend, url: `http://${internal("logs")}` } } : {}),
          }),
          plugins: logs.enabled && logs.backend === "victorialogs" ? [`${VICTORIALOGS_GRAFANA_PLUGIN.id}@${VICTORIALOGS_GRAFANA_PLUGIN.version}`] : undefined,
          dashboardProvider: renderGrafanaDashboardProvider(GRAFANA_DASHBOARDS_DIR, extraDashboards.length ? GRAFANA_EXTRA_DASHBOARDS_DIR : undefined),
          dashboards: dashboards.map((d) => ({ fileName: d.fileName, json: d.json })),
          extraDashboards,
          homeDashboard: home?.fileName,
          rootUrl: url(ports.grafana!),
          startAfter: [this.prometheus.container],
        },
        { parent: this },
      );
    }

    if (emulator.enabled) {
      const sinkUrls = {
        pushgatewayUrl: `http://${internal("pushgateway")}`,
        remoteWriteUrl: `http://${internal("prometheus")}${REMOTE_WRITE_PATH}`,
        ...(logs.enabled ? { lokiUrl: logStorePushUrl(logs.backend) } : {}),
      };
      this.emulator = new Emulator(
        `${name}-emulator`,
        {
          ...id,
          network: this.network.name,
          bindAddress: settings.bindAddress,
          ...(common.logging ? { logging: common.logging } : {}),
          hostPort: ports.emulator!,
          image: emulatorImage!,
          // With a history, every replica goes on from its start (PROMEMU_START_AT).
          environments: emulatorAddresses.map((_, i) => {
            const environment = (startAt?: string) => secretIf("emulator", emulatorEnvironment({ settings, ...id, ...sinkUrls, replica: i + 1, startAt }));
            return history ? history.startAt.apply((startAt) => pulumi.output(environment(startAt))) : environment();
          }),
          // After the service it sends to is healthy, so that its first cycle is not a failure.
          startAfter: [remoteWrite ? this.prometheus.container : this.pushgateway.container, ...(this.logs ? [this.logs.container] : [])],
        },
        { parent: this },
      );
    }

    const services = { logs: this.logs, pushgateway: this.pushgateway, alertmanager: this.alertmanager, prometheus: this.prometheus, grafana: this.grafana, emulator: this.emulator };
    const running = (Object.entries(services) as [ServiceName, (typeof services)[keyof typeof services]][]).flatMap(([service, s]) =>
      s ? [[service, s] as const] : [],
    );
    this.emulatorContainers = this.emulator?.containerNames;
    const containers = running.flatMap(([, s]) => (s instanceof Emulator ? s.containers : [s.container]));
    this.check = new StackCheck(
      `${name}-check`,
      {
        prometheusUrl: url(ports.prometheus!),
        jobs: (Object.keys(SCRAPE_JOBS) as (keyof typeof SCRAPE_JOBS)[]).filter((service) => targets[service]).map((service) => SCRAPE_JOBS[service]).sort(),
        // Emulated hosts may be down on purpose (a reboot fault): one scraped host proves discovery and paths work.
        exporterJobs: (targets.exporters ?? []).map((e) => e.job),
        timeout: "180s",
        triggers: containers.map((c) => c.id),
        startAfter: containers,
      },
      { parent: this },
    );

    this.urls = {
      pushgateway: url(ports.pushgateway!),
      prometheus: url(ports.prometheus!),
      ...(ports.alertmanager ? { alertmanager: url(ports.alertmanager) } : {}),
      ...(ports.grafana ? { grafana: url(ports.grafana), dashboard: url(ports.grafana, `/d/${MAIN_DASHBOARD_UID}`) } : {}),
      ...(ports.emulator ? { emulator: url(ports.emulator) } : {}),
      ...(ports.logs ? { logs: url(ports.logs) } : {}),
    };
    this.containers = Object.fromEntries(running.map(([service, s]) => [service, s.containerName]));
    this.images = Object.fromEntries(running.map(([service, s]) => [service, s.image]));
    this.volumes = Object.fromEntries(running.flatMap(([service, s]) => ("volume" in s ? [[service, s.volume.name]] : [])));
    this.grafanaAdminUser = this.grafana ? settings.grafana.adminUser : undefined;
    this.grafanaAdminPassword = this.grafana?.adminPassword;
    this.registerOutputs({
      urls: this.urls,
      containers: this.containers,
      volumes: this.volumes,
      images: this.images,
      network: this.network.name,
      grafanaAdminUser: this.grafanaAdminUser,
      grafanaAdminPassword: this.grafanaAdminPassword,
      emulatorContainers: this.emulatorContainers,
      history: this.history,
    });
  }
}
