/**
 * `restore <dir>`: checks every archive against the manifest first, then stops the services, replaces
 * each volume's content with its archive, starts them again and waits until they are healthy.
 */
import * as path from "path";
import { HEALTH_PATHS } from "../../config/health";
import { SERVICES } from "../../config/settings";
import { readManifest, verifyArchives } from "../backup-manifest";
import { confirm } from "../confirm";
import type { OpsContext } from "../context";
import { note, say } from "../context";
import { inspectContainers, startContainers, stopContainers, tarIntoVolume } from "../docker";
import { OpsError } from "../errors";
import { probe } from "../http";
import { progress } from "../progress";
import { chooseStack, deployedOutputs, StackOutputs } from "../stack";
import { helperOf, volumesOf } from "./backup";

/** Polls until every named container is running, healthy by Docker's check and answering over HTTP. */
export async function waitHealthy(ctx: OpsContext, outputs: StackOutputs, containers: string[], timeoutMs: number): Promise<void> {
  const services = SERVICES.filter((s) => containers.includes(outputs.containers[s] ?? ""));
  const deadline = Date.now() + timeoutMs;
  let waitingFor: string[] = [];
  for (;;) {
    const info = await inspectContainers(ctx, containers);
    waitingFor = [];
    for (const service of services) {
      const c = info.get(outputs.containers[service]!);
      const url = outputs.urls[service];
      if (!c || c.state !== "running" || (c.health && c.health !== "healthy")) {
        waitingFor.push(`${service} (${c ? c.health ?? c.state : "missing"})`);
      } else if (url && !(await probe(`${url}${HEALTH_PATHS[service]}`)).ok) {
        waitingFor.push(`${service} (HTTP)`);
      }
    }
    if (waitingFor.length === 0) return;
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, ctx.pollMs));
  }
  throw new OpsError(
    `the services did not become healthy within ${timeoutMs / 1000} s: ${waitingFor.join(", ")}; see npm run logs -- <service> --stack ${outputs.stack}`,
  );
}

export async function restoreCommand(ctx: OpsContext, dir: string, options: { stack?: string; yes?: boolean; timeout?: number }): Promise<number> {
  const backupDir = path.resolve(ctx.cwd, dir);
  const manifest = readManifest(backupDir);
  const choice = await chooseStack(ctx, options.stack);
  const outputs = await deployedOutputs(ctx, choice);
  const targets = await volumesOf(ctx, outputs, false);
  const plan = manifest.services.flatMap((entry) => {
    const target = targets.find((t) => t.service === entry.service);
    if (!target) {
      note(ctx, `warning: stack ${outputs.stack} has no ${entry.service}: its archive is skipped`);
      return [];
    }
    if (target.container.image !== entry.image) {
      note(ctx, `warning: ${entry.service} was backed up from ${entry.image} and is restored into ${target.container.image}`);
    }
    return [{ entry, target }];
  });
  if (plan.length === 0) throw new OpsError(`nothing to restore: stack ${outputs.stack} runs none of the services in ${dir}`);

  const steps = progress(ctx, plan.length + 3);
  steps.step(`verifying ${manifest.services.length} archives against the manifest`);
  await verifyArchives(backupDir, manifest);
  const from = manifest.stack === outputs.stack ? "" : ` (backed up from stack ${manifest.stack})`;
  await confirm(
    ctx,
    `Restoring ${path.relative(ctx.cwd, backupDir) || backupDir}${from} REPLACES the current data of ${plan.map((p) => p.entry.service).join(", ")} in stack ${outputs.stack}.`,
    outputs.stack,
    options.yes,
  );

  const containers = plan.map((p) => p.target.container.name);
  steps.step(`stopping ${containers.join(", ")}`);
  await stopContainers(ctx, containers);
  let failure: unknown;
  try {
    for (const { entry, target } of plan) {
      steps.step(`${entry.service}: replacing the content of ${target.volume} with ${entry.archive}`);
      await tarIntoVolume(ctx, { ...helperOf(target), file: path.join(backupDir, entry.archive) });
    }
  } catch (err) {
    failure = err;
  }
  // Whatever happened, the stack must not be left stopped.
  steps.step(`starting ${containers.join(", ")} and waiting until they are healthy`);
  try {
    await startContainers(ctx, SERVICES.map((s) => outputs.containers[s] ?? "").filter((c) => containers.includes(c)));
  } catch (err) {
    if (!failure) throw err;
    note(ctx, `warning: could not start the containers again: ${(err as Error).message}`);
  }
  if (failure) throw failure;
  await waitHealthy(ctx, outputs, containers, (options.timeout ?? 180) * 1000);
  say(ctx, `Restored ${plan.length} volumes of stack ${outputs.stack} from ${path.relative(ctx.cwd, backupDir) || backupDir}; the services are healthy.`);
  return 0;
}
