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
import { withUndo } from "../interrupt";
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
    ctx.interrupt.check("the services were started again but not yet seen healthy");
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
    await ctx.interrupt.sleep(ctx.pollMs);
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
    // Ids, not names: a tag can move to another image, and the stack's containers show ids anyway.
    if (target.image.id !== entry.imageId) {
      const named = (ref: string, id: string) => (ref === id ? id : `${ref} (${id.slice(0, 19)}…)`);
      note(ctx, `warning: ${entry.service} was backed up from ${named(entry.image, entry.imageId)} and is restored into ${named(target.image.ref, target.image.id)}`);
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
  const restored: string[] = [];
  let replacing: string | undefined;
  try {
    await withUndo(
      ctx,
      async () => {
        steps.step(`stopping ${containers.join(", ")}`);
        await stopContainers(ctx, containers);
        for (const { entry, target } of plan) {
          steps.step(`${entry.service}: replacing the content of ${target.volume} with ${entry.archive}`);
          replacing = entry.service;
          await tarIntoVolume(ctx, { ...helperOf(target, "restore"), file: path.join(backupDir, entry.archive) });
          restored.push(entry.service);
          replacing = undefined;
        }
      },
      // Whatever happened (a failure, Ctrl-C), the stack must not be left stopped.
      async () => {
        steps.step(`starting ${containers.join(", ")}${ctx.interrupt.signal ? "" : " and waiting until they are healthy"}`);
        await startContainers(ctx, SERVICES.map((s) => outputs.containers[s] ?? "").filter((c) => containers.includes(c)));
      },
    );
  } catch (err) {
    if (replacing) {
      const untouched = plan.map((p) => p.entry.service).filter((s) => s !== replacing && !restored.includes(s));
      note(
        ctx,
        `the restore stopped while replacing ${replacing}'s data, which is now incomplete` +
          `${restored.length ? `; restored: ${restored.join(", ")}` : ""}${untouched.length ? `; not touched: ${untouched.join(", ")}` : ""}. ` +
          `Run the same restore again to finish it.`,
      );
    }
    throw err;
  }
  await waitHealthy(ctx, outputs, containers, (options.timeout ?? 180) * 1000);
  say(ctx, `Restored ${plan.length} volumes of stack ${outputs.stack} from ${path.relative(ctx.cwd, backupDir) || backupDir}; the services are healthy.`);
  return 0;
}
