import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DataVolume } from "./data-volume";
import { dataVolume, pullImage, serviceContainer, StatefulServiceArgs } from "./service";

export const ALERTMANAGER_CONFIG_PATH = "/etc/alertmanager/alertmanager.yml";
export const ALERTMANAGER_DATA_PATH = "/alertmanager";

export interface AlertmanagerArgs extends StatefulServiceArgs {
  /** Rendered alertmanager.yml (config/alertmanager.ts). */
  readonly config: pulumi.Input<string>;
  /** URL users reach Alertmanager on, used in notification links. */
  readonly externalUrl: string;
}

/** Receives Prometheus' alerts, groups them and routes them to the receivers; silences live on its volume. */
export class Alertmanager extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  public readonly volume: DataVolume;
  public readonly containerName: pulumi.Output<string>;

  constructor(name: string, args: AlertmanagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promemu:index:Alertmanager", name, {}, opts);
    const image = pullImage(this, name, args.image);
    this.volume = dataVolume(this, name, "alertmanager", args);
    this.container = serviceContainer(this, name, "alertmanager", args, {
      image: image.imageId,
      command: [
        `--config.file=${ALERTMANAGER_CONFIG_PATH}`,
        `--storage.path=${ALERTMANAGER_DATA_PATH}`,
        `--web.external-url=${args.externalUrl}`,
        // A single instance: no gossip port, no peer search.
        "--cluster.listen-address=",
      ],
      uploads: [{ file: ALERTMANAGER_CONFIG_PATH, content: args.config }],
      data: { volume: this.volume.name, path: ALERTMANAGER_DATA_PATH },
    });
    this.containerName = this.container.name;
    this.registerOutputs({ containerName: this.containerName, volumeName: this.volume.name });
  }
}
