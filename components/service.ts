/**
 * What every service container of the stack has in common: a pinned image pulled once, the stack network
 * with the service name as alias, a host port on the configured bind address, restart unless-stopped,
 * labels, a health check the image can really run, and create gated on that health check.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS, healthCheck } from "../config/health";
import type { ServiceName } from "../config/settings";
import { DataVolume } from "./data-volume";
import { dockerLabels, physicalName, replicaName, StackIdentity } from "./naming";

/**
 * Seconds a service container gets to stop on SIGTERM (replace, destroy) before it is killed. Each server ends in a
 * second or two; Prometheus closes its TSDB (head compaction can take longer on a large head).
 */
export const STOP_GRACE_SECONDS = 30;

/** Inputs whose change replaces a service container (replaceOnChanges): the provider would update a health check in place. */
export const SERVICE_REPLACE_ON_CHANGES = ["healthcheck"];

/** The inputs every service component takes. */
export interface ServiceArgs extends StackIdentity {
  /** Name of the stack network (pass the network's output so deletes are ordered). */
  readonly network: pulumi.Input<string>;
  /** Host address the port is published on. */
  readonly bindAddress: string;
  /** Host port (portOffset already added). */
  readonly hostPort: number;
  /** Containers that must be healthy before this one is created. */
  readonly startAfter?: pulumi.Input<pulumi.Resource>[];
  /** Where the container's output goes besides `docker logs` (the stack's log collector, config/logs.ts); unset: Docker's default. */
  readonly logging?: ContainerLogging;
}

/** A Docker log driver and its options, e.g. `syslog` to the log store's listener. */
export interface ContainerLogging {
  readonly driver: string;
  readonly options: Record<string, string>;
}

/** A service run from a pinned image, with its data on a named volume. */
export interface StatefulServiceArgs extends ServiceArgs {
  /** Pinned image reference, e.g. `prom/prometheus:v3.5.0` or a local `promemu-local/prometheus:v3.5.0`. */
  readonly image: string;
  /** Keep the data volume when the stack is destroyed. */
  readonly keepData: boolean;
}

/** The image a service runs: the reference a person reads, and the id Docker runs (`sha256:...`). */
export interface ServiceImage {
  readonly ref: pulumi.Input<string>;
  readonly id: pulumi.Output<string>;
}

export interface ContainerSpec {
  readonly image: pulumi.Input<string>;
  readonly entrypoints?: string[];
  readonly command?: string[];
  readonly envs?: pulumi.Input<pulumi.Input<string>[]>;
  readonly uploads?: pulumi.Input<docker.types.input.ContainerUpload>[];
  /** Data volume and where the image keeps its data. */
  readonly data?: { readonly volume: pulumi.Input<string>; readonly path: string };
  /**
   * Which replica of the service this container is, 1-based (default 1). Replica k > 1 is `<service>-k` (naming.ts
   * replicaName) in its resource name, container name, hostname and network alias, and publishes no host port:
   * Prometheus reaches every replica on the stack network, the host port is for a person or the ops CLI to look at
   * one, and N published ports would be N more ports to keep free beside every other stack's (portOffset).
   */
  readonly replica?: number;
  /** Labels beside the stack's own (project, stack, component). */
  readonly labels?: pulumi.Input<docker.types.input.ContainerLabel>[];
  /** Resources that must exist before this container is created, besides the service's `startAfter`. */
  readonly startAfter?: pulumi.Input<pulumi.Resource>[];
  /**
   * false: the image has no program a Docker health check could run (a distroless image), so the container has no
   * health check and its create is not gated on one; status, restore and the end-of-up check probe it over HTTP.
   */
  readonly dockerHealthCheck?: boolean;
  /** Ports published besides the service's own (on the first replica only), e.g. a UDP listener. */
  readonly extraPorts?: docker.types.input.ContainerPort[];
}

/**
 * A pinned image, used from the local image store when it is there (an image built or imported locally) and
 * pulled otherwise; kept locally on destroy because other stacks share it.
 */
function pullImage(parent: pulumi.Resource, name: string, ref: string): docker.RemoteImage {
  return new docker.RemoteImage(`${name}-image`, { name: ref, keepLocally: true }, { parent });
}

/** The service's data volume, `<project>-<stack>-<service>-data`. */
function dataVolume(parent: pulumi.Resource, name: string, service: ServiceName, args: StatefulServiceArgs): DataVolume {
  return new DataVolume(
    `${name}-data`,
    { project: args.project, stack: args.stack, service, volumeName: physicalName(args, service, "data"), keepData: args.keepData },
    { parent },
  );
}

export function serviceContainer(
  parent: pulumi.Resource,
  name: string,
  service: ServiceName,
  args: ServiceArgs,
  spec: ContainerSpec,
): docker.Container {
  const replica = spec.replica ?? 1;
  const alias = replicaName(service, replica);
  const healthChecked = spec.dockerHealthCheck ?? true;
  return new docker.Container(
    replicaName(`${name}-container`, replica),
    {
      name: physicalName(args, alias),
      image: spec.image,
      entrypoints: spec.entrypoints,
      command: spec.command,
      envs: spec.envs,
      hostname: alias,
      restart: "unless-stopped",
      labels: [...dockerLabels(args, service), ...(spec.labels ?? [])],
      networksAdvanced: [{ name: args.network, aliases: [alias] }],
      ports:
        replica === 1
          ? [{ internal: CONTAINER_PORTS[service], external: args.hostPort, ip: args.bindAddress, protocol: "tcp" }, ...(spec.extraPorts ?? [])]
          : undefined,
      volumes: spec.data ? [{ volumeName: spec.data.volume, containerPath: spec.data.path }] : undefined,
      uploads: spec.uploads,
      healthcheck: healthChecked ? healthCheck(service) : undefined,
      // Create returns only once Docker reports the container healthy: this is what gates the start order.
      wait: healthChecked,
      waitTimeout: healthChecked ? 180 : undefined,
      ...(args.logging ? { logDriver: args.logging.driver, logOpts: args.logging.options } : {}),
      // Replace and destroy stop the container with SIGTERM and this long to finish before it is killed: the docker
      // provider otherwise stops with a timeout of 0 (SIGKILL at once), and the Pushgateway's persistence file,
      // Alertmanager's silences and notification log (written at shutdown) and the emulator's last push or queued
      // remote-write samples would be lost with every configuration change.
      destroyGraceSeconds: STOP_GRACE_SECONDS,
    },
    {
      parent,
      dependsOn: [...(args.startAfter ?? []), ...(spec.startAfter ?? [])],
      // Fixed names and host ports: the old container must be gone before its replacement can start.
      deleteBeforeReplace: true,
      // Health check edits were once silently ignored by the provider; force a replacement instead.
      replaceOnChanges: SERVICE_REPLACE_ON_CHANGES,
    },
  );
}

/** http://<bind address>:<port>, with 0.0.0.0 shown as 127.0.0.1 (what a browser on the host can open). */
export function hostUrl(bindAddress: string, port: number, path = ""): string {
  const host = bindAddress === "0.0.0.0" ? "127.0.0.1" : bindAddress;
  return `http://${host}:${port}${path}`;
}

/** What a stateful service's container runs, given where its data volume is mounted. */
export type StatefulContainerSpec = Omit<ContainerSpec, "image" | "data"> & {
  /** Where the image keeps its data; the service's volume is mounted there. */
  readonly dataPath: string;
};

/**
 * A service run from a pinned image with its data on a named volume: the image, the volume and
 * the container are its children. `spec` is called once the component and its volume exist, so that it can
 * declare further children (e.g. a generated password, or what fills the volume before the service starts)
 * with the component as their parent.
 */
export abstract class StatefulService extends pulumi.ComponentResource {
  public readonly image: ServiceImage;
  public readonly container: docker.Container;
  public readonly volume: DataVolume;
  public readonly containerName: pulumi.Output<string>;

  protected constructor(
    type: string,
    name: string,
    service: ServiceName,
    args: StatefulServiceArgs,
    spec: (self: pulumi.ComponentResource, volume: pulumi.Output<string>) => StatefulContainerSpec,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super(type, name, {}, opts);
    const image = pullImage(this, name, args.image);
    this.image = { ref: args.image, id: image.imageId };
    this.volume = dataVolume(this, name, service, args);
    const { dataPath, ...container } = spec(this, this.volume.name);
    this.container = serviceContainer(this, name, service, args, {
      ...container,
      image: image.imageId,
      data: { volume: this.volume.name, path: dataPath },
    });
    this.containerName = this.container.name;
    this.registerOutputs({ containerName: this.containerName, volumeName: this.volume.name, image: this.image });
  }
}
