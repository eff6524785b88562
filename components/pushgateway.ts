import * as pulumi from "@pulumi/pulumi";
import { StatefulService, StatefulServiceArgs } from "./service";

/** The image's working directory, owned by its user (65534): a volume mounted there inherits that owner. */
export const PUSHGATEWAY_DATA_PATH = "/pushgateway";

export interface PushgatewayArgs extends StatefulServiceArgs {
  /** How often the metrics are written to the persistence file, e.g. `5m`. */
  readonly persistenceInterval: string;
}

/** Receives the emulator's pushes and keeps them, across restarts, in a persistence file on its volume. */
export class Pushgateway extends StatefulService {
  constructor(name: string, args: PushgatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      "promemu:index:Pushgateway",
      name,
      "pushgateway",
      args,
      () => ({
        command: [
          "--web.listen-address=:9091",
          `--persistence.file=${PUSHGATEWAY_DATA_PATH}/pushgateway.db`,
          `--persistence.interval=${args.persistenceInterval}`,
        ],
        dataPath: PUSHGATEWAY_DATA_PATH,
      }),
      opts,
    );
  }
}
