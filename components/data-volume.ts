import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerLabels, StackIdentity } from "./naming";

export interface DataVolumeArgs extends StackIdentity {
  /** Physical volume name, e.g. `promemu-dev-prometheus-data`. */
  readonly volumeName: string;
  /** The service whose data it holds (a label, so backups can find it). */
  readonly service: string;
  /** Leave the volume on the Docker host when the stack is destroyed. */
  readonly keepData: boolean;
}

/**
 * A named volume for a service's data. Every field of a Docker volume forces replacement, and replacing a
 * volume loses its data, so nothing here depends on anything that changes between runs.
 */
export class DataVolume extends pulumi.ComponentResource {
  public readonly volume: docker.Volume;
  public readonly name: pulumi.Output<string>;

  constructor(name: string, args: DataVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promemu:index:DataVolume", name, {}, opts);
    this.volume = new docker.Volume(
      `${name}-volume`,
      { name: args.volumeName, driver: "local", labels: dockerLabels(args, args.service) },
      { parent: this, retainOnDelete: args.keepData },
    );
    this.name = this.volume.name;
    this.registerOutputs({ name: this.name });
  }
}
