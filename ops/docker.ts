/**
 * The Docker CLI calls of the operations, read through `docker inspect` / `--format '{{json .}}'`,
 * never through the human tables.
 */
import { z } from "zod";
import { LABEL_KEYS } from "../config/labels";
import { type OpsContext, note } from "./context";
import { OpsError } from "./errors";
import { explainFailure, run, RunOptions } from "./runner";

export interface ContainerInfo {
  name: string;
  /** created, running, paused, restarting, removing, exited or dead. */
  state: string;
  /** Docker's health check verdict (starting, healthy, unhealthy) when the container has one. */
  health?: string;
  /**
   * What the container was created from (`Config.Image`): a reference such as prom/prometheus:v3.5.0, or,
   * for the stack's containers (Pulumi passes RemoteImage.imageId), the `sha256:` id. See imageNames.
   */
  image: string;
  /** sha256:... of that image: what helper containers run, so they have the same tools and user. */
  imageId: string;
  /** The user the container runs as when it overrides the image's (`Config.User`); empty for the image's own. */
  user: string;
  /** Named volumes and where they are mounted. */
  volumes: { name: string; destination: string }[];
  /** Published ports as configured (present also while the container is stopped); hostIp "" is every interface. */
  ports: { hostIp: string; hostPort: string; containerPort: string }[];
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
      HostConfig: z
        .object({
          PortBindings: z
            .record(z.string(), z.array(z.object({ HostIp: z.string().default(""), HostPort: z.string().default("") }).loose()).nullish())
            .nullish(),
        })
        .loose()
        .nullish(),
    })
    .loose(),
);

const docker = (ctx: OpsContext, args: string[], options?: RunOptions) => run(ctx, "docker", args, options);

/**
 * `docker <kind> inspect` of several objects, parsed with `schema`; objects Docker does not know are
 * left out (they make `docker inspect` exit 1 while it still prints the others).
 */
async function inspect<T extends z.ZodType<unknown[]>>(ctx: OpsContext, kind: "container" | "image", names: string[], schema: T): Promise<z.infer<T>> {
  if (names.length === 0) return [] as z.infer<T>;
  const args = [kind, "inspect", ...names];
  const result = await docker(ctx, args, { allowFailure: true, timeoutMs: 30_000 });
  const missing = new RegExp(`no such (${kind}|object)`, "i");
  const otherErrors = result.stderr.split("\n").filter((line) => line.trim() && !missing.test(line));
  if (result.code !== 0 && otherErrors.length) throw explainFailure("docker", args, result);
  const parsed = schema.safeParse(JSON.parse(result.stdout.trim() || "[]"));
  if (!parsed.success) throw new OpsError(`docker ${kind} inspect printed an unexpected shape: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Inspects containers by name; names Docker does not know are absent from the map. */
export async function inspectContainers(ctx: OpsContext, names: string[]): Promise<Map<string, ContainerInfo>> {
  const found = new Map<string, ContainerInfo>();
  for (const c of await inspect(ctx, "container", names, Inspect)) {
    const name = c.Name.replace(/^\//, "");
    found.set(name, {
      name,
      state: c.State.Status,
      health: c.State.Health?.Status ?? undefined,
      image: c.Config.Image,
      imageId: c.Image,
      user: c.Config.User,
      volumes: c.Mounts.filter((m) => m.Type === "volume" && m.Name).map((m) => ({ name: m.Name!, destination: m.Destination })),
      ports: Object.entries(c.HostConfig?.PortBindings ?? {}).flatMap(([containerPort, bindings]) =>
        (bindings ?? []).map((b) => ({ hostIp: b.HostIp, hostPort: b.HostPort, containerPort })),
      ),
    });
  }
  return found;
}

/** Running, and healthy by Docker's health check when it has one: what every service container must be. */
export function runsHealthy(info: Pick<ContainerInfo, "state" | "health">): boolean {
  return info.state === "running" && (info.health === undefined || info.health === "healthy");
}

/** `docker ... ls`/`ps` filters for objects carrying every given label (`key=value`). */
const labelFilters = (labels: string[]) => labels.flatMap((l) => ["--filter", `label=${l}`]);

/** Names of the containers carrying every given label (`key=value`), running or not. */
export async function containersWithLabels(ctx: OpsContext, labels: string[]): Promise<string[]> {
  const { stdout } = await docker(ctx, ["ps", "-a", ...labelFilters(labels), "--format", "{{.Names}}"]);
  return stdout.split("\n").filter((line) => line.trim()).sort();
}

/** The last lines a container wrote (stdout and stderr), for a message about why it is not healthy. */
export async function lastLogLines(ctx: OpsContext, name: string, lines = 10): Promise<string> {
  const result = await docker(ctx, ["logs", "--tail", String(lines), name], { allowFailure: true, timeoutMs: 30_000 });
  return `${result.stdout}${result.stderr}`.trim();
}

const VolumeList = z.object({ Name: z.string() }).loose();

/** Volumes carrying every given label (`key=value`), e.g. one stack's data volumes after `pulumi destroy` kept them. */
export async function volumesWithLabels(ctx: OpsContext, labels: string[]): Promise<string[]> {
  const { stdout } = await docker(ctx, ["volume", "ls", ...labelFilters(labels), "--format", "{{json .}}"]);
  return stdout
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => VolumeList.parse(JSON.parse(line)).Name)
    .sort();
}

/**
 * The `docker ... prune` calls that remove what the emulator image's builds leave: every step's stopped container
 * (Pulumi's docker provider builds with rm=0) and the untagged image a rebuild replaced, both labelled
 * LABEL_KEYS.emulatorBuild by emulator/Dockerfile. The stack's containers, which run from that image, carry the
 * stack's label and are never matched; images in use by a container are never pruned. `olderThan` (e.g. "10m")
 * spares the steps of a build another stack is running at this moment.
 */
export function buildLeftoverPrunes(olderThan?: string): string[][] {
  const age = olderThan ? ["--filter", `until=${olderThan}`] : [];
  const built = ["--filter", `label=${LABEL_KEYS.emulatorBuild}`];
  return [
    ["container", "prune", "--force", ...built, "--filter", `label!=${LABEL_KEYS.stack}`, ...age],
    ["image", "prune", "--force", ...built, ...age],
  ];
}

/** Builds younger than this may still be running (another stack's `up`): their steps are left for the next time. */
const BUILD_LEFTOVER_AGE = "5m";

/**
 * Removes the emulator builds' leftovers (buildLeftoverPrunes) older than a few minutes, and with `image` that image
 * (a stack's own, at cleanup). Housekeeping: a failure is noted, never an error of the command that asked.
 * Returns how many containers and images went.
 */
export async function removeBuildLeftovers(ctx: OpsContext, image?: string): Promise<{ containers: number; images: number }> {
  const removed = { containers: 0, images: 0 };
  if (image) {
    const result = await docker(ctx, ["image", "rm", image], { allowFailure: true, timeoutMs: 120_000 });
    if (result.code === 0) removed.images++;
    else if (!/no such image/i.test(result.stderr)) note(ctx, `note: could not remove the image ${image}: ${result.stderr.trim()}`);
  }
  const [containers, images] = buildLeftoverPrunes(BUILD_LEFTOVER_AGE);
  for (const [args, kind] of [[containers, "containers"], [images, "images"]] as const) {
    const result = await docker(ctx, args, { allowFailure: true, timeoutMs: 300_000 });
    if (result.code !== 0) {
      note(ctx, `note: docker ${args.slice(0, 2).join(" ")} failed: ${(result.stderr || result.stdout).trim()}`);
      continue;
    }
    // "Deleted Containers:" then one id a line; "Deleted Images:" then "deleted: sha256:..." / "untagged: ..." lines.
    const ids = result.stdout.split("\n").filter((l) => (kind === "containers" ? /^[0-9a-f]{64}$/ : /^deleted: sha256:/).test(l.trim()));
    removed[kind] += ids.length;
  }
  return removed;
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

/** Starts stopped containers: the undo of a restore's stop, so it runs after an interruption too. */
export async function startContainers(ctx: OpsContext, names: string[]): Promise<void> {
  if (names.length) await docker(ctx, ["start", ...names], { timeoutMs: 120_000, cleanup: true });
}

/** Freezes a container's processes so that its files stop changing while they are copied. */
export async function pauseContainer(ctx: OpsContext, name: string): Promise<void> {
  await docker(ctx, ["pause", name]);
}

/**
 * The undo of pauseContainer, also after an interruption. A container that is not paused is fine: an
 * interrupted `docker pause` may or may not have reached the daemon.
 */
export async function unpauseContainer(ctx: OpsContext, name: string): Promise<void> {
  const args = ["unpause", name];
  const result = await docker(ctx, args, { cleanup: true, allowFailure: true, timeoutMs: 60_000 });
  if (result.code !== 0 && !/is not paused/i.test(result.stderr)) throw explainFailure("docker", args, result);
}

/** Whether Docker shows an image by its id (what Pulumi gives the stack's containers) rather than by a name. */
export function isImageId(image: string): boolean {
  return /^(sha256:)?[a-f0-9]{64}$/.test(image);
}

const ImageInspect = z.array(z.object({ Id: z.string(), RepoTags: z.array(z.string()).nullish(), RepoDigests: z.array(z.string()).nullish() }).loose());

/**
 * A name people know (`prom/prometheus:v3.5.0`, else `repo@sha256:...`) for each image id, from `docker
 * image inspect`; ids Docker has no name for are absent.
 */
export async function imageNames(ctx: OpsContext, ids: string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const image of await inspect(ctx, "image", [...new Set(ids)], ImageInspect)) {
    const name = image.RepoTags?.[0] ?? image.RepoDigests?.[0];
    if (name) names.set(image.Id, name);
  }
  return names;
}

/** A helper container on a service's data volume: its image, its user, the volume at its data path, no network. */
export interface HelperArgs {
  /**
   * Container name (`<service container>-backup`): what an interruption removes, and what makes a second
   * backup or restore of the same stack at the same time fail instead of interleaving.
   */
  name: string;
  volume: string;
  mountPath: string;
  imageId: string;
  /** The service container's user override, if any (the files in the volume are that user's). */
  user: string;
}

function helperRun(args: HelperArgs, mode: "" | ":ro", entrypoint: string, flags: string[] = []): string[] {
  const user = args.user ? ["--user", args.user] : [];
  return ["run", "--rm", "--name", args.name, ...flags, "--network", "none", ...user, "-v", `${args.volume}:${args.mountPath}${mode}`, "--entrypoint", entrypoint, args.imageId];
}

/**
 * Streams a tar of `dir` inside a volume to a host file. The helper container runs the service's own
 * image (busybox tar, same user as the data's owner) with the volume read-only at the service's data path.
 */
export async function tarFromVolume(ctx: OpsContext, args: HelperArgs & { dir: string; file: string }): Promise<void> {
  await docker(ctx, [...helperRun(args, ":ro", "tar"), "-C", args.dir, "-cf", "-", "."], {
    stdoutFile: args.file,
    timeoutMs: 60 * 60_000,
    stopWith: ["rm", "-f", args.name],
  });
}

/** Empties a volume and unpacks a tar file into it, with the service's own image and user. */
export async function tarIntoVolume(ctx: OpsContext, args: HelperArgs & { file: string }): Promise<void> {
  // A fixed script with the path as a positional parameter: nothing from outside is parsed by the shell.
  // `-exec rm -rf {} +` rather than `-delete`: Debian's busybox find (the stand-in images) has no -delete.
  const script = 'find "$1" -mindepth 1 -maxdepth 1 -exec rm -rf {} + && tar -xf - -C "$1"';
  await docker(ctx, [...helperRun(args, "", "sh", ["-i"]), "-c", script, "restore", args.mountPath], {
    stdinFile: args.file,
    timeoutMs: 60 * 60_000,
    stopWith: ["rm", "-f", args.name],
  });
}
