import * as pulumi from "@pulumi/pulumi";
import { StatefulService, StatefulServiceArgs } from "./service";

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
export class Prometheus extends StatefulService {
  constructor(name: string, args: PrometheusArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      "promemu:index:Prometheus",
      name,
      "prometheus",
      args,
      () => ({
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
        dataPath: PROMETHEUS_DATA_PATH,
      }),
      opts,
    );
  }
}
