/**
 * `backup`: a consistent copy of every data volume of a running stack into backups/<stack>/<timestamp>/.
 * Prometheus writes a TSDB snapshot through its admin API (no copy of files it is writing); the other
 * services' volumes are copied while their container is paused, so no file changes mid-copy.
 */
import * as fs from "fs";
import * as path from "path";
import { SERVICES, ServiceName } from "../../config/settings";
import { version as promemuVersion } from "../../package.json";
import { fileDigest, Manifest, ManifestEntry, MANIFEST_FORMAT, writeManifest } from "../backup-manifest";
import type { OpsContext } from "../context";
import { note, say } from "../context";
import { ContainerInfo, execIn, HelperArgs, inspectContainers, pauseContainer, tarFromVolume, unpauseContainer } from "../docker";
import { OpsError, UsageError } from "../errors";
import { progress } from "../progress";
import { serviceVersion, tsdbSnapshot } from "../service-api";
import { chooseStack, deployedOutputs, StackOutputs } from "../stack";
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
  return services.map((service) => {
    const volume = outputs.volumes[service]!;
    const container = containers.get(outputs.containers[service]!)!;
    const mount = container.volumes.find((v) => v.name === volume);
    if (!mount) {
      throw new OpsError(`container ${container.name} does not mount the volume ${volume}: run npm run up -- --stack ${outputs.stack} to repair the stack`);
    }
    return { service, volume, container, mountPath: mount.destination };
  });
}

/** How a helper container reaches this volume: the service's image and user, the volume at its data path. */
export function helperOf(target: VolumeToCopy): HelperArgs {
  return { volume: target.volume, mountPath: target.mountPath, imageId: target.container.imageId, user: target.container.user };
}

async function copyPrometheus(ctx: OpsContext, target: VolumeToCopy, url: string, file: string): Promise<string> {
  const snapshot = await tsdbSnapshot(url);
  const dir = `${target.mountPath}/snapshots/${snapshot}`;
  try {
    await tarFromVolume(ctx, { ...helperOf(target), dir, file });
  } finally {
    // The snapshot is hard links inside the TSDB volume; leaving it would pin old blocks on disk forever.
    await execIn(ctx, target.container.name, ["rm", "-rf", dir]).catch((err: Error) =>
      note(ctx, `warning: could not remove the snapshot ${dir} in ${target.container.name}: ${err.message}`),
    );
  }
  return snapshot;
}

async function copyPaused(ctx: OpsContext, target: VolumeToCopy, file: string): Promise<void> {
  await pauseContainer(ctx, target.container.name);
  try {
    await tarFromVolume(ctx, { ...helperOf(target), dir: target.mountPath, file });
  } finally {
    await unpauseContainer(ctx, target.container.name);
  }
}

export async function backupCommand(ctx: OpsContext, options: { stack?: string; output?: string }): Promise<number> {
  const choice = await chooseStack(ctx, options.stack);
  const outputs = await deployedOutputs(ctx, choice);
  const targets = await volumesOf(ctx, outputs, true);
  const createdAt = ctx.now();
  const base = path.resolve(ctx.cwd, options.output ?? "backups");
  const dir = path.join(base, outputs.stack, backupTimestamp(createdAt));
  if (fs.existsSync(dir)) throw new UsageError(`${dir} exists already: wait a second or pass another --output`);
  fs.mkdirSync(dir, { recursive: true });
  const steps = progress(ctx, targets.length + 1);
  const entries: ManifestEntry[] = [];
  try {
    for (const target of targets) {
      const archive = `${target.service}.tar`;
      const file = path.join(dir, archive);
      const url = outputs.urls[target.service];
      const prometheus = target.service === "prometheus";
      steps.step(`${target.service}: ${prometheus ? "TSDB snapshot, then copy" : "pause, copy, resume"} (volume ${target.volume})`);
      if (prometheus && !url) throw new OpsError(`stack ${outputs.stack} has no Prometheus URL in its outputs: run npm run up to update it`);
      const version = url ? await serviceVersion(target.service, url).catch(() => undefined) : undefined;
      if (prometheus) await copyPrometheus(ctx, target, url!, file);
      else await copyPaused(ctx, target, file);
      const digest = await fileDigest(file);
      steps.detail(`${archive}: ${formatBytes(digest.bytes)}, sha256 ${digest.sha256.slice(0, 12)}…`);
      entries.push({
        service: target.service,
        volume: target.volume,
        container: target.container.name,
        image: target.container.image,
        imageId: target.container.imageId,
        version,
        dataPath: target.mountPath,
        method: prometheus ? "tsdb-snapshot" : "paused-copy",
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
    // A backup without its manifest cannot be restored: do not leave one lying around.
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const total = entries.reduce((sum, e) => sum + e.bytes, 0);
  say(ctx, `Backup of stack ${outputs.stack} written to ${path.relative(ctx.cwd, dir) || dir} (${entries.length} volumes, ${formatBytes(total)}).`);
  say(ctx, `Restore it with: npm run restore -- ${path.relative(ctx.cwd, dir) || dir} --stack ${outputs.stack}`);
  return 0;
}
