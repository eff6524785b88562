import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { physicalName } from "./naming";
import { serviceContainer, ServiceArgs } from "./service";

export interface EmulatorArgs extends ServiceArgs {
  /** Folder holding the emulator's Dockerfile and package (emulator/). */
  readonly context: string;
  /** The PROMEMU_* environment (config/emulator.ts). */
  readonly environment: Record<string, string>;
}

/**
 * The metrics emulator, built from emulator/Dockerfile into a local image (never pushed) and configured
 * only through its environment. It keeps no data: the Pushgateway and Prometheus hold what it produces.
 */
export class Emulator extends pulumi.ComponentResource {
  public readonly image: docker.Image;
  public readonly container: docker.Container;
  public readonly containerName: pulumi.Output<string>;

  constructor(name: string, args: EmulatorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promemu:index:Emulator", name, {}, opts);
    this.image = new docker.Image(
      `${name}-image`,
      {
        imageName: `${physicalName(args, "emulator")}:local`,
        build: { context: args.context, dockerfile: path.posix.join(args.context, "Dockerfile") },
        skipPush: true,
      },
      { parent: this },
    );
    const envs = Object.entries(args.environment)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => `${key}=${value}`);
    this.container = serviceContainer(this, name, "emulator", args, {
      // The digest changes with every rebuild, so a new emulator image replaces the container.
      image: this.image.repoDigest,
      envs,
    });
    this.containerName = this.container.name;
    this.registerOutputs({ containerName: this.containerName });
  }
}
