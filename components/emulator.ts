import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { physicalName, StackIdentity } from "./naming";
import { serviceContainer, ServiceArgs, ServiceImage } from "./service";

export interface EmulatorImageArgs extends StackIdentity {
  /** Folder holding the emulator's Dockerfile and package (emulator/). */
  readonly context: string;
  /** Pinned base image the Dockerfile builds from (its build argument NODE_IMAGE). */
  readonly nodeImage: string;
  /** Pinned Prometheus image whose promtool the image carries (build argument PROMETHEUS_IMAGE): the stack's own. */
  readonly prometheusImage: string;
}

/**
 * The emulator's image, built from emulator/Dockerfile into a local image (never pushed). The stack builds it
 * before Prometheus, for the history (components/history.ts) runs from it too; `aliases` keeps the resource
 * that stacks created when the image was the Emulator component's child.
 */
export function buildEmulatorImage(parent: pulumi.Resource, name: string, args: EmulatorImageArgs): ServiceImage {
  const image = new docker.Image(
    name,
    {
      imageName: `${physicalName(args, "emulator")}:local`,
      build: {
        context: args.context,
        dockerfile: path.posix.join(args.context, "Dockerfile"),
        // The build must work on an engine that reaches no registry: the classic builder fetches no
        // `# syntax=` frontend, and RUN steps get no network, so only the local base images and this folder count.
        builderVersion: "BuilderV1",
        network: "none",
        args: { NODE_IMAGE: args.nodeImage, PROMETHEUS_IMAGE: args.prometheusImage },
      },
      skipPush: true,
    },
    { parent, aliases: [{ parent: pulumi.createUrn(name.replace(/-image$/, ""), "promemu:index:Emulator", parent) }] },
  );
  // For an image that is not pushed the provider sets repoDigest to the built image's id (sha256:...).
  return { ref: image.imageName, id: image.repoDigest };
}

export interface EmulatorArgs extends ServiceArgs {
  /** The emulator image (buildEmulatorImage). */
  readonly image: ServiceImage;
  /**
   * The PROMEMU_* environment of each replica (config/emulator.ts), one container per entry: `emulator`, `emulator-2`,
   * ... (only the first on hostPort). A secret when it carries secret settings.
   */
  readonly environments: readonly pulumi.Input<Record<string, string>>[];
}

/**
 * The metrics emulator, configured only through its environment. It keeps no data: the Pushgateway and Prometheus
 * hold what it produces. Several replicas run the one image, each container with its own environment (its shard
 * of the fleet).
 */
export class Emulator extends pulumi.ComponentResource {
  public readonly image: ServiceImage;
  /** The first replica, the one on the host port. */
  public readonly container: docker.Container;
  public readonly containerName: pulumi.Output<string>;
  /** Every replica, in shard order. */
  public readonly containers: docker.Container[];
  public readonly containerNames: pulumi.Output<string>[];

  constructor(name: string, args: EmulatorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promemu:index:Emulator", name, {}, opts);
    this.image = args.image;
    if (args.environments.length === 0) throw new Error(`${name}: an emulator needs at least one replica's environment`);
    this.containers = args.environments.map((environment, i) =>
      serviceContainer(this, name, "emulator", args, {
        // The id changes with every rebuild, so a new emulator image replaces the container.
        image: args.image.id,
        envs: pulumi
          .output(environment)
          .apply((env) => Object.entries(env).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => `${key}=${value}`)),
        replica: i + 1,
      }),
    );
    this.container = this.containers[0];
    this.containerName = this.container.name;
    this.containerNames = this.containers.map((c) => c.name);
    this.registerOutputs({ containerName: this.containerName, containerNames: this.containerNames, image: this.image });
  }
}
