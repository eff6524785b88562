/**
 * The Docker CLI calls of the operations, read through `docker inspect` / `--format '{{json .}}'`,
 * never through the human tables.
 */
import { z } from "zod";
import type { OpsContext } from "./context";
import { OpsError } from "./errors";
import { explainFailure, run, RunOptions } from "./runner";

export interface ContainerInfo {
  name: string;
  /** created, running, paused, restarting, removing, exited or dead. */
  state: string;
  /** Docker's health check verdict (starting, healthy, unhealthy) when the container has one. */
  health?: string;
  /** The reference the container was created from, e.g. prom/prometheus:v3.5.0. */
  image: string;
  /** sha256:... of that image: what helper containers run, so they have the same tools and user. */
  imageId: string;
  /** The user the container runs as when it overrides the image's (`Config.User`); empty for the image's own. */
  user: string;
  /** Named volumes and where they are mounted. */
  volumes: { name: string; destination: string }[];
}

const Inspect = z.array(
  z
    .object({
      Name: z.string(),
      Image: z.string(),
      State: z.object({ Status: z.string(), Health: z.object({ Status: z.string() }).loose().nullish() }).loose(),
      Config: z.object({ Image: z.string(), User: z.string().default("") }).loose(),
      Mounts: z
        .array(z.object({ Type: z.string(), Name: z.string().optional(), Destination: z.string() }).loose())
        .nullish()
        .transform((m) => m ?? []),
    })
    .loose(),
);

const docker = (ctx: OpsContext, args: string[], options?: RunOptions) => run(ctx, "docker", args, options);

/** Inspects containers by name; names Docker does not know are absent from the map. */
export async function inspectContainers(ctx: OpsContext, names: string[]): Promise<Map<string, ContainerInfo>> {
  const found = new Map<string, ContainerInfo>();
  if (names.length === 0) return found;
  const args = ["container", "inspect", ...names];
  const result = await docker(ctx, args, { allowFailure: true, timeoutMs: 30_000 });
  // Missing names make `docker inspect` exit 1 while it still prints the others.
  const otherErrors = result.stderr
    .split("\n")
    .filter((line) => line.trim() && !/no such (container|object)/i.test(line));
  if (result.code !== 0 && otherErrors.length) throw explainFailure("docker", args, result);
  const parsed = Inspect.safeParse(JSON.parse(result.stdout.trim() || "[]"));
  if (!parsed.success) throw new OpsError(`docker container inspect printed an unexpected shape: ${z.prettifyError(parsed.error)}`);
  for (const c of parsed.data) {
    const name = c.Name.replace(/^\//, "");
    found.set(name, {
      name,
      state: c.State.Status,
      health: c.State.Health?.Status ?? undefined,
      image: c.Config.Image,
      imageId: c.Image,
      user: c.Config.User,
      volumes: c.Mounts.filter((m) => m.Type === "volume" && m.Name).map((m) => ({ name: m.Name!, destination: m.Destination })),
    });
  }
  return found;
}

const VolumeList = z.object({ Name: z.string() }).loose();

/** Volumes carrying every given label (`key=value`), e.g. one stack's data volumes after `pulumi destroy` kept them. */
export async function volumesWithLabels(ctx: OpsContext, labels: string[]): Promise<string[]> {
  const filters = labels.flatMap((l) => ["--filter", `label=${l}`]);
  const { stdout } = await docker(ctx, ["volume", "ls", ...filters, "--format", "{{json .}}"]);
  return stdout
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => VolumeList.parse(JSON.parse(line)).Name)
    .sort();
}

/** Removes volumes; ones already gone are not an error. Returns the names it removed. */
export async function removeVolumes(ctx: OpsContext, names: string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const name of names) {
    const args = ["volume", "rm", name];
    const result = await docker(ctx, args, { allowFailure: true });
    if (result.code === 0) removed.push(name);
    else if (/volume is in use/i.test(result.stderr)) {
      throw new OpsError(`volume ${name} is still in use by a container: stop it (docker ps -a --filter volume=${name}) and run cleanup again`);
    } else if (!/no such volume/i.test(result.stderr)) throw explainFailure("docker", args, result);
  }
  return removed;
}

export async function stopContainers(ctx: OpsContext, names: string[]): Promise<void> {
  if (names.length) await docker(ctx, ["stop", ...names], { timeoutMs: 120_000 });
}

export async function startContainers(ctx: OpsContext, names: string[]): Promise<void> {
  if (names.length) await docker(ctx, ["start", ...names], { timeoutMs: 120_000 });
}

/** Freezes a container's processes so that its files stop changing while they are copied. */
export async function pauseContainer(ctx: OpsContext, name: string): Promise<void> {
  await docker(ctx, ["pause", name]);
}

export async function unpauseContainer(ctx: OpsContext, name: string): Promise<void> {
  await docker(ctx, ["unpause", name]);
}

/** A helper container on a service's data volume: its image, its user, the volume at its data path, no network. */
export interface HelperArgs {
  volume: string;
  mountPath: string;
  imageId: string;
  /** The service container's user override, if any (the files in the volume are that user's). */
  user: string;
}

function helperRun(args: HelperArgs, mode: "" | ":ro", entrypoint: string, flags: string[] = []): string[] {
  const user = args.user ? ["--user", args.user] : [];
  return ["run", "--rm", ...flags, "--network", "none", ...user, "-v", `${args.volume}:${args.mountPath}${mode}`, "--entrypoint", entrypoint, args.imageId];
}

/**
 * Streams a tar of `dir` inside a volume to a host file. The helper container runs the service's own
 * image (busybox tar, same user as the data's owner) with the volume read-only at the service's data path.
 */
export async function tarFromVolume(ctx: OpsContext, args: HelperArgs & { dir: string; file: string }): Promise<void> {
  await docker(ctx, [...helperRun(args, ":ro", "tar"), "-C", args.dir, "-cf", "-", "."], { stdoutFile: args.file, timeoutMs: 60 * 60_000 });
}

/** Empties a volume and unpacks a tar file into it, with the service's own image and user. */
export async function tarIntoVolume(ctx: OpsContext, args: HelperArgs & { file: string }): Promise<void> {
  // A fixed script with the path as a positional parameter: nothing from outside is parsed by the shell.
  const script = 'find "$1" -mindepth 1 -delete && tar -xf - -C "$1"';
  await docker(ctx, [...helperRun(args, "", "sh", ["-i"]), "-c", script, "restore", args.mountPath], { stdinFile: args.file, timeoutMs: 60 * 60_000 });
}

/** Runs a command in a running container (removing a Prometheus snapshot once copied). */
export async function execIn(ctx: OpsContext, container: string, command: string[]): Promise<void> {
  await docker(ctx, ["exec", container, ...command]);
}
