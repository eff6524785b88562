/**
 * `backup`: a consistent copy of every data volume of a running stack into backups/<stack>/<timestamp>/.
 * Every volume, Prometheus' included, is copied while its container is paused: the frozen processes
 * change no file mid-copy, so the copy is the state at one instant, as after a power cut, which each
 * service recovers from (Prometheus replays its write-ahead log). Prometheus' TSDB snapshot API would need
 * --web.enable-admin-api, which lets any web page the developer visits delete series.
 */
import * as fs from "fs";
import * as path from "path";
import { SERVICES, ServiceName } from "../../config/settings";
import { version as promemuVersion } from "../../package.json";
import { fileDigest, Manifest, ManifestEntry, MANIFEST_FORMAT, writeManifest } from "../backup-manifest";
import type { OpsContext } from "../context";
import { note, say } from "../context";
import { ContainerInfo, HelperArgs, inspectContainers, pauseContainer, tarFromVolume, unpauseContainer } from "../docker";
import { fileSystemError, OpsError, UsageError } from "../errors";
import { withUndo } from "../interrupt";
import { progress } from "../progress";
import { serviceVersion } from "../service-api";
import { chooseStack, containerImages, deployedOutputs, StackOutputs } from "../stack";
import { formatBytes } from "../text";

/** A timestamp safe in a directory name on every OS: 2025-01-31T120501Z. */
export function backupTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/:/g, "");
}

export interface VolumeToCopy {
  service: ServiceName;
  volume: string;
  container: ContainerInfo;
  /** Where the container mounts the volume (the data path of the image). */
  mountPath: string;
  /** The container's image: reference for people, id for comparisons. */
  image: { ref: string; id: string };
}

/**
 * The stack's data volumes with the container that mounts each. Every container must exist and, when
 * `mustRun`, be running; otherwise the error says which one and how to start the stack.
 */
export async function volumesOf(ctx: OpsContext, outputs: StackOutputs, mustRun: boolean): Promise<VolumeToCopy[]> {
  const services = SERVICES.filter((s) => outputs.volumes[s] && outputs.containers[s]);
  const containers = await inspectContainers(
    ctx,
    services.map((s) => outputs.containers[s]!),
  );
  const notRunning = services
    .map((s) => ({ s, info: containers.get(outputs.containers[s]!) }))
    .filter(({ info }) => !info || (mustRun && info.state !== "running"))
    .map(({ s, info }) => `${s}: ${info ? info.state : "no container"}`);
  if (notRunning.length) {
    throw new OpsError(
      `stack ${outputs.stack} is not running (${notRunning.join(", ")}): start it with npm run up -- --stack ${outputs.stack} and try again`,
    );
  }
  const found = services.map((service) => ({ service, info: containers.get(outputs.containers[service]!)! }));
  const images = await containerImages(ctx, outputs, found);
  return found.map(({ service, info: container }) => {
    const volume = outputs.volumes[service]!;
    const mount = container.volumes.find((v) => v.name === volume);
    if (!mount) {
      throw new OpsError(`container ${container.name} does not mount the volume ${volume}: run npm run up -- --stack ${outputs.stack} to repair the stack`);
    }
    return { service, volume, container, mountPath: mount.destination, image: images.get(service)! };
  });
}

/** How a helper container reaches this volume: the service's image and user, the volume at its data path. */
export function helperOf(target: VolumeToCopy, purpose: "backup" | "restore"): HelperArgs {
  return {
    name: `${target.container.name}-${purpose}`,
    volume: target.volume,
    mountPath: target.mountPath,
    imageId: target.container.imageId,
    user: target.container.user,
  };
}

/** Pause, copy, unpause: the unpause also after a failure or an interruption (a paused service answers nothing). */
async function copyPaused(ctx: OpsContext, target: VolumeToCopy, file: string): Promise<void> {
  await withUndo(
    ctx,
    async () => {
      await pauseContainer(ctx, target.container.name);
      await tarFromVolume(ctx, { ...helperOf(target, "backup"), dir: target.mountPath, file });
    },
    () => unpauseContainer(ctx, target.container.name),
  );
}

/** Creates the backup directory; a path that cannot be one is the user's to fix, said plainly. */
function makeBackupDir(dir: string, option: string | undefined): void {
  if (fs.existsSync(dir)) throw new UsageError(`${dir} exists already: wait a second or pass another --output`);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    const plain = fileSystemError(err, dir);
    if (!plain) throw err;
    throw new OpsError(`${plain.message}${option !== undefined ? ` (from --output ${option})` : ""}: choose a directory you can write to`);
  }
}

export async function backupCommand(ctx: OpsContext, options: { stack?: string; output?: string }): Promise<number> {
  const choice = await chooseStack(ctx, options.stack);
  const outputs = await deployedOutputs(ctx, choice);
  const targets = await volumesOf(ctx, outputs, true);
  const createdAt = ctx.now();
  const base = path.resolve(ctx.cwd, options.output ?? "backups");
  const dir = path.join(base, outputs.stack, backupTimestamp(createdAt));
  makeBackupDir(dir, options.output);
  const steps = progress(ctx, targets.length + 1);
  const entries: ManifestEntry[] = [];
  try {
    for (const target of targets) {
      ctx.interrupt.check();
      const archive = `${target.service}.tar`;
      const file = path.join(dir, archive);
      const url = outputs.urls[target.service];
      steps.step(`${target.service}: pause, copy, resume (volume ${target.volume})`);
      // Asked before the pause: a paused service does not answer.
      const version = url ? await serviceVersion(target.service, url).catch(() => undefined) : undefined;
      await copyPaused(ctx, target, file);
      const digest = await fileDigest(file);
      steps.detail(`${archive}: ${formatBytes(digest.bytes)}, sha256 ${digest.sha256.slice(0, 12)}…`);
      entries.push({
        service: target.service,
        volume: target.volume,
        container: target.container.name,
        image: target.image.ref,
        imageId: target.image.id,
        version,
        dataPath: target.mountPath,
        method: "paused-copy",
        archive,
        ...digest,
      });
    }
    steps.step("writing manifest.json");
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      project: outputs.project,
      stack: outputs.stack,
      createdAt: createdAt.toISOString(),
      promemu: promemuVersion,
      services: entries,
    };
    writeManifest(dir, manifest);
  } catch (err) {
    // A backup without its manifest cannot be restored: do not leave one lying around (failure or interruption).
    const shown = path.relative(ctx.cwd, dir) || dir;
    try {
      fs.rmSync(dir, { recursive: true, force: true });
      note(ctx, `the incomplete backup ${shown} was removed`);
    } catch (rmErr) {
      note(ctx, `warning: could not remove the incomplete backup ${shown} (${(rmErr as Error).message}): delete it, it cannot be restored`);
    }
    // A file-system error is made plain by the CLI (cli.ts), like every command's.
    throw err;
  }
  const total = entries.reduce((sum, e) => sum + e.bytes, 0);
  say(ctx, `Backup of stack ${outputs.stack} written to ${path.relative(ctx.cwd, dir) || dir} (${entries.length} volumes, ${formatBytes(total)}).`);
  say(ctx, `Restore it with: npm run restore -- ${path.relative(ctx.cwd, dir) || dir} --stack ${outputs.stack}`);
  return 0;
}
