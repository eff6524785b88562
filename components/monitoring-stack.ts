/**
 * The whole sandbox: network, Pushgateway, Alertmanager, Prometheus, Grafana and the emulator, started in
 * health-gated order. Configuration files are rendered here (pure functions of config/) from the typed
 * settings index.ts validated; the service components only declare containers.
 */
import * as pulumi from "@pulumi/pulumi";
import { renderAlertmanagerConfig } from "../config/alertmanager";
import { emulatorEnvironment } from "../config/emulator";
import {
  MAIN_DASHBOARD_UID,
  renderDashboards,
  renderGrafanaDashboardProvider,
  renderGrafanaDatasources,
} from "../config/grafana";
import { CONTAINER_PORTS } from "../config/health";
import { renderPrometheusConfig, RULE_FILE, SCRAPE_JOBS, ScrapeTargets } from "../config/prometheus";
import { renderAlertRules } from "../config/rules";
import { hostPorts, Settings } from "../config/settings";
import { Alertmanager } from "./alertmanager";
import { Emulator } from "./emulator";
import { Grafana, GRAFANA_DASHBOARDS_DIR } from "./grafana";
import { physicalName, StackIdentity } from "./naming";
import { StackNetwork } from "./network";
import { Prometheus } from "./prometheus";
import { Pushgateway } from "./pushgateway";
import { hostUrl } from "./service";
import { StackCheck } from "./stack-check";

export interface MonitoringStackArgs extends StackIdentity {
  /** Validated settings with defaults filled in (config/settings.ts). */
  readonly settings: Settings;
  /** Grafana's admin password, a secret; generated when absent. */
  readonly grafanaAdminPassword?: pulumi.Input<string>;
  /** Folder of the emulator's package and Dockerfile. */
  readonly emulatorContext: string;
}

export interface StackUrls {
  pushgateway: string;
  prometheus: string;
  alertmanager?: string;
  grafana: string;
  emulator?: string;
  dashboard: string;
}

/** Address of a service inside the stack network: its alias and container port. */
const internal = (service: keyof typeof CONTAINER_PORTS) => `${service}:${CONTAINER_PORTS[service]}`;

export class MonitoringStack extends pulumi.ComponentResource {
  public readonly network: StackNetwork;
  public readonly pushgateway: Pushgateway;
  public readonly alertmanager?: Alertmanager;
  public readonly prometheus: Prometheus;
  public readonly grafana: Grafana;
  public readonly emulator?: Emulator;
  public readonly check: StackCheck;
  public readonly urls: StackUrls;
  public readonly containers: Record<string, pulumi.Output<string>>;
  public readonly volumes: Record<string, pulumi.Output<string>>;
  public readonly grafanaAdminUser: string;
  public readonly grafanaAdminPassword: pulumi.Output<string>;

  constructor(name: string, args: MonitoringStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promemu:index:MonitoringStack", name, {}, opts);
    const { settings } = args;
    const id: StackIdentity = { project: args.project, stack: args.stack };
    const ports = hostPorts(settings);
    const url = (port: number, path = "") => hostUrl(settings.bindAddress, port, path);

    this.network = new StackNetwork(`${name}-network`, { ...id, networkName: physicalName(id) }, { parent: this });
    const common = { ...id, network: this.network.name, bindAddress: settings.bindAddress, keepData: settings.keepData };

    this.pushgateway = new Pushgateway(
      `${name}-pushgateway`,
      { ...common, image: settings.pushgateway.image, hostPort: ports.pushgateway!, persistenceInterval: settings.pushgateway.persistenceInterval },
      { parent: this },
    );

    if (settings.alertmanager.enabled) {
      this.alertmanager = new Alertmanager(
        `${name}-alertmanager`,
        {
          ...common,
          image: settings.alertmanager.image,
          hostPort: ports.alertmanager!,
          config: renderAlertmanagerConfig(settings),
          externalUrl: url(ports.alertmanager!),
        },
        { parent: this },
      );
    }

    const targets: ScrapeTargets = {
      prometheus: `localhost:${CONTAINER_PORTS.prometheus}`,
      pushgateway: internal("pushgateway"),
      grafana: internal("grafana"),
      ...(settings.alertmanager.enabled ? { alertmanager: internal("alertmanager") } : {}),
      ...(settings.emulator.enabled ? { emulator: internal("emulator") } : {}),
    };
    this.prometheus = new Prometheus(
      `${name}-prometheus`,
      {
        ...common,
        image: settings.prometheus.image,
        hostPort: ports.prometheus!,
        config: renderPrometheusConfig({ settings, stack: args.stack, targets, ruleFiles: [RULE_FILE] }),
        rules: renderAlertRules(settings),
        retentionTime: settings.prometheus.retentionTime,
        retentionSize: settings.prometheus.retentionSize,
        externalUrl: url(ports.prometheus!),
        startAfter: [this.pushgateway.container, ...(this.alertmanager ? [this.alertmanager.container] : [])],
      },
      { parent: this },
    );

    const dashboards = renderDashboards(settings);
    const home = dashboards.find((d) => d.uid === MAIN_DASHBOARD_UID);
    this.grafana = new Grafana(
      `${name}-grafana`,
      {
        ...common,
        image: settings.grafana.image,
        hostPort: ports.grafana!,
        adminUser: settings.grafana.adminUser,
        adminPassword: args.grafanaAdminPassword,
        anonymousAccess: settings.grafana.anonymousAccess,
        datasources: renderGrafanaDatasources({
          prometheusUrl: `http://${internal("prometheus")}`,
          scrapeInterval: settings.prometheus.scrapeInterval,
          ...(settings.alertmanager.enabled ? { alertmanagerUrl: `http://${internal("alertmanager")}` } : {}),
        }),
        dashboardProvider: renderGrafanaDashboardProvider(GRAFANA_DASHBOARDS_DIR),
        dashboards: dashboards.map((d) => ({ fileName: d.fileName, json: d.json })),
        homeDashboard: home?.fileName,
        rootUrl: url(ports.grafana!),
        startAfter: [this.prometheus.container],
      },
      { parent: this },
    );

    if (settings.emulator.enabled) {
      this.emulator = new Emulator(
        `${name}-emulator`,
        {
          ...id,
          network: this.network.name,
          bindAddress: settings.bindAddress,
          hostPort: ports.emulator!,
          context: args.emulatorContext,
          environment: emulatorEnvironment({ settings, ...id, pushgatewayUrl: `http://${internal("pushgateway")}` }),
          startAfter: [this.pushgateway.container],
        },
        { parent: this },
      );
    }

    const containers = [this.pushgateway, this.alertmanager, this.prometheus, this.grafana, this.emulator].flatMap((c) => (c ? [c.container] : []));
    this.check = new StackCheck(
      `${name}-check`,
      {
        prometheusUrl: url(ports.prometheus!),
        jobs: (Object.keys(targets) as (keyof ScrapeTargets)[]).map((service) => SCRAPE_JOBS[service]).sort(),
        timeout: "180s",
        triggers: containers.map((c) => c.id),
        startAfter: containers,
      },
      { parent: this },
    );

    this.urls = {
      pushgateway: url(ports.pushgateway!),
      prometheus: url(ports.prometheus!),
      ...(this.alertmanager ? { alertmanager: url(ports.alertmanager!) } : {}),
      grafana: url(ports.grafana!),
      ...(this.emulator ? { emulator: url(ports.emulator!) } : {}),
      dashboard: url(ports.grafana!, `/d/${MAIN_DASHBOARD_UID}`),
    };
    this.containers = {
      pushgateway: this.pushgateway.containerName,
      prometheus: this.prometheus.containerName,
      ...(this.alertmanager ? { alertmanager: this.alertmanager.containerName } : {}),
      grafana: this.grafana.containerName,
      ...(this.emulator ? { emulator: this.emulator.containerName } : {}),
    };
    this.volumes = {
      pushgateway: this.pushgateway.volume.name,
      prometheus: this.prometheus.volume.name,
      ...(this.alertmanager ? { alertmanager: this.alertmanager.volume.name } : {}),
      grafana: this.grafana.volume.name,
    };
    this.grafanaAdminUser = settings.grafana.adminUser;
    this.grafanaAdminPassword = this.grafana.adminPassword;
    this.registerOutputs({
      urls: this.urls,
      containers: this.containers,
      volumes: this.volumes,
      network: this.network.name,
      grafanaAdminUser: this.grafanaAdminUser,
      grafanaAdminPassword: this.grafanaAdminPassword,
    });
  }
}
