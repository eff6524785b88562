import * as pulumi from "@pulumi/pulumi";
import { History, HistoryArgs } from "./history";
import { StatefulService, StatefulServiceArgs } from "./service";

export const PROMETHEUS_CONFIG_PATH = "/etc/prometheus/prometheus.yml";
export const PROMETHEUS_RULES_PATH = "/etc/prometheus/rules/promemu-alerts.yml";
export const PROMETHEUS_DATA_PATH = "/prometheus";
/** Where the user's extra rule files go (config/prometheus.ts EXTRA_RULES_DIR, relative to the config file). */
export const PROMETHEUS_EXTRA_RULES_DIR = "/etc/prometheus/rules/extra";
/** The user of the official Prometheus images (nobody), who owns PROMETHEUS_DATA_PATH; the local images keep it. */
export const PROMETHEUS_USER = "65534:65534";

/** One of the user's rule files: its name in PROMETHEUS_EXTRA_RULES_DIR and its content. */
export interface PrometheusRuleFile {
  readonly fileName: string;
  readonly content: string;
}

export interface PrometheusArgs extends StatefulServiceArgs {
  /** Rendered prometheus.yml (config/prometheus.ts). */
  readonly config: pulumi.Input<string>;
  /** Rendered alert rule file (config/rules.ts). */
  readonly rules: pulumi.Input<string>;
  /** The user's own rule files (`prometheus.extraRuleFiles`), already checked; prometheus.yml must list them. */
  readonly extraRules?: readonly PrometheusRuleFile[];
  readonly retentionTime: string;
  readonly retentionSize: string;
  /** URL users reach Prometheus on, used in the links of alerts. */
  readonly externalUrl: string;
  /** Anchored regular expression of the web origins whose pages may read Prometheus' API (config/prometheus.ts). */
  readonly corsOrigin: string;
  /** Accept samples on /api/v1/write (`--web.enable-remote-write-receiver`): only for an emulator on remote write. */
  readonly remoteWriteReceiver?: boolean;
  /** `emulator.history`: the past written into the data volume before Prometheus first starts (components/history.ts). */
  readonly history?: Omit<HistoryArgs, "volume" | "dataPath" | "user" | "project" | "stack">;
}

/** Scrapes the stack, stores the series on its volume and evaluates the alert rules. */
export class Prometheus extends StatefulService {
  /** The history written into the volume before the start, with `history`. */
  public readonly history?: History;

  constructor(name: string, args: PrometheusArgs, opts?: pulumi.ComponentResourceOptions) {
    let history: History | undefined;
    super(
      "promemu:index:Prometheus",
      name,
      "prometheus",
      args,
      (self, volume) => {
        if (args.history) {
          history = new History(
            `${name}-history`,
            { ...args.history, project: args.project, stack: args.stack, volume, dataPath: PROMETHEUS_DATA_PATH, user: PROMETHEUS_USER },
            { parent: self },
          );
        }
        return {
          command: [
            `--config.file=${PROMETHEUS_CONFIG_PATH}`,
            `--storage.tsdb.path=${PROMETHEUS_DATA_PATH}`,
            // Flags rather than the file's storage block: v3.5 (the pinned LTS line) and 2.x read these.
            `--storage.tsdb.retention.time=${args.retentionTime}`,
            `--storage.tsdb.retention.size=${args.retentionSize}`,
            // No --web.enable-admin-api nor --web.enable-lifecycle: the API has no authentication, and any page a
            // browser on this machine opens could POST to it (delete series, quit). A changed configuration
            // replaces the container anyway, and backups copy the paused volume instead of taking a snapshot.
            `--web.external-url=${args.externalUrl}`,
            // The default (.*) lets every page read the API's answers; only the stack's own pages may.
            `--web.cors.origin=${args.corsOrigin}`,
            // Only when the emulator writes with remote write (emulator.sink): the receiver is unauthenticated like the
            // rest of the API, and any process or browser page that reaches the port could write (or overwrite) series
            // into the TSDB, so a stack that does not need it does not open it.
            ...(args.remoteWriteReceiver ? ["--web.enable-remote-write-receiver"] : []),
          ],
          uploads: [
            { file: PROMETHEUS_CONFIG_PATH, content: args.config },
            { file: PROMETHEUS_RULES_PATH, content: args.rules },
            ...(args.extraRules ?? []).map((r) => ({ file: `${PROMETHEUS_EXTRA_RULES_DIR}/${r.fileName}`, content: r.content })),
          ],
          dataPath: PROMETHEUS_DATA_PATH,
          // Created only once the history is in the volume (and not at all when writing it failed).
          startAfter: history ? [history.container] : [],
          labels: history ? [{ label: "io.promemu.history-start", value: history.written }] : [],
        };
      },
      opts,
    );
    this.history = history;
  }
}
