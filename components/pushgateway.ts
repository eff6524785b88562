import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DataVolume } from "./data-volume";
import { dataVolume, pullImage, serviceContainer, StatefulServiceArgs } from "./service";

/** The image's working directory, owned by its user (65534): a volume mounted there inherits that owner. */
export const PUSHGATEWAY_DATA_PATH = "/pushgateway";

export interface PushgatewayArgs extends StatefulServiceArgs {
  /** How often the metrics are written to the persistence file, e.g. `5m`. */
  readonly persistenceInterval: string;
}

/** Receives the emulator's pushes and keeps them, across restarts, in a persistence file on its volume. */
export class Pushgateway extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  public readonly volume: DataVolume;
  public readonly containerName: pulumi.Output<string>;

  constructor(name: string, args: PushgatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promemu:index:Pushgateway", name, {}, opts);
    const image = pullImage(this, name, args.image);
    this.volume = dataVolume(this, name, "pushgateway", args);
    this.container = serviceContainer(this, name, "pushgateway", args, {
      image: image.imageId,
      command: [
        "--web.listen-address=:9091",
        `--persistence.file=${PUSHGATEWAY_DATA_PATH}/pushgateway.db`,
        `--persistence.interval=${args.persistenceInterval}`,
      ],
      data: { volume: this.volume.name, path: PUSHGATEWAY_DATA_PATH },
    });
    this.containerName = this.container.name;
    this.registerOutputs({ containerName: this.containerName, volumeName: this.volume.name });
  }
}
