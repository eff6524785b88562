import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DataVolume } from "./data-volume";
import { dataVolume, pullImage, serviceContainer, StatefulServiceArgs } from "./service";

export const PROMETHEUS_CONFIG_PATH = "/etc/prometheus/prometheus.yml";
export const PROMETHEUS_RULES_PATH = "/etc/prometheus/rules/promemu-alerts.yml";
export const PROMETHEUS_DATA_PATH = "/prometheus";

export interface PrometheusArgs extends StatefulServiceArgs {
  /** Rendered prometheus.yml (config/prometheus.ts). */
  readonly config: pulumi.Input<string>;
  /** Rendered alert rule file (config/rules.ts). */
  readonly rules: pulumi.Input<string>;
  readonly retentionTime: string;
  readonly retentionSize: string;
  /** URL users reach Prometheus on, used in the links of alerts. */
  readonly externalUrl: string;
}

/** Scrapes the stack, stores the series on its volume and evaluates the alert rules. */
export class Prometheus extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  public readonly volume: DataVolume;
  public readonly containerName: pulumi.Output<string>;

  constructor(name: string, args: PrometheusArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promemu:index:Prometheus", name, {}, opts);
    const image = pullImage(this, name, args.image);
    this.volume = dataVolume(this, name, "prometheus", args);
    this.container = serviceContainer(this, name, "prometheus", args, {
      image: image.imageId,
      command: [
        `--config.file=${PROMETHEUS_CONFIG_PATH}`,
        `--storage.tsdb.path=${PROMETHEUS_DATA_PATH}`,
        // Flags rather than the file's storage block: v3.5 (the pinned LTS line) and 2.x read these.
        `--storage.tsdb.retention.time=${args.retentionTime}`,
        `--storage.tsdb.retention.size=${args.retentionSize}`,
        // /-/reload after a config change; the admin API gives backups a consistent TSDB snapshot.
        "--web.enable-lifecycle",
        "--web.enable-admin-api",
        `--web.external-url=${args.externalUrl}`,
      ],
      uploads: [
        { file: PROMETHEUS_CONFIG_PATH, content: args.config },
        { file: PROMETHEUS_RULES_PATH, content: args.rules },
      ],
      data: { volume: this.volume.name, path: PROMETHEUS_DATA_PATH },
    });
    this.containerName = this.container.name;
    this.registerOutputs({ containerName: this.containerName, volumeName: this.volume.name });
  }
}
