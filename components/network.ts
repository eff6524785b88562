import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerLabels, StackIdentity } from "./naming";

export interface StackNetworkArgs extends StackIdentity {
  /** Physical network name, e.g. `promemu-dev`. */
  readonly networkName: string;
}

/** The bridge network the services find each other on, by their service names as DNS aliases. */
export class StackNetwork extends pulumi.ComponentResource {
  public readonly network: docker.Network;
  /** The network's name as an output, so containers that use it are ordered after it (and deleted before it). */
  public readonly name: pulumi.Output<string>;

  constructor(name: string, args: StackNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promemu:index:StackNetwork", name, {}, opts);
    this.network = new docker.Network(
      `${name}-network`,
      { name: args.networkName, driver: "bridge", attachable: true, labels: dockerLabels(args, "network") },
      { parent: this },
    );
    this.name = this.network.name;
    this.registerOutputs({ name: this.name });
  }
}
