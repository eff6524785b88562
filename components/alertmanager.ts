import * as pulumi from "@pulumi/pulumi";
import { StatefulService, StatefulServiceArgs } from "./service";

export const ALERTMANAGER_CONFIG_PATH = "/etc/alertmanager/alertmanager.yml";
export const ALERTMANAGER_DATA_PATH = "/alertmanager";

export interface AlertmanagerArgs extends StatefulServiceArgs {
  /** Rendered alertmanager.yml (config/alertmanager.ts). */
  readonly config: pulumi.Input<string>;
  /** URL users reach Alertmanager on, used in notification links. */
  readonly externalUrl: string;
}

/** Receives Prometheus' alerts, groups them and routes them to the receivers; silences live on its volume. */
export class Alertmanager extends StatefulService {
  constructor(name: string, args: AlertmanagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      "promemu:index:Alertmanager",
      name,
      "alertmanager",
      args,
      () => ({
        command: [
          `--config.file=${ALERTMANAGER_CONFIG_PATH}`,
          `--storage.path=${ALERTMANAGER_DATA_PATH}`,
          `--web.external-url=${args.externalUrl}`,
          // A single instance: no gossip port, no peer search.
          "--cluster.listen-address=",
        ],
        uploads: [{ file: ALERTMANAGER_CONFIG_PATH, content: args.config }],
        dataPath: ALERTMANAGER_DATA_PATH,
      }),
      opts,
    );
  }
}
