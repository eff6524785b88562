/**
 * `cleanup`: destroy the stack and delete its data volumes, after a confirmation. The volumes are found
 * both in the stack outputs and by the stack's Docker labels, because `down` with keepData leaves them
 * behind with no outputs pointing at them.
 */
import type { OpsContext } from "../context";
import { note, say } from "../context";
import { confirm } from "../confirm";
import { removeBuildLeftovers, removeVolumes, volumesWithLabels } from "../docker";
import { StackNotFoundError } from "../errors";
import { progress } from "../progress";
import { rawStackOutputs } from "../pulumi";
import { pulumiChange } from "./lifecycle";
import { chooseStack, emulatorImageName, stackLabels } from "../stack";

export async function cleanupCommand(ctx: OpsContext, options: { stack?: string; yes?: boolean }): Promise<number> {
  const choice = await chooseStack(ctx, options.stack);
  let outputs: Record<string, unknown> = {};
  let stackExists = true;
  try {
    outputs = await rawStackOutputs(ctx, choice.stack);
  } catch (err) {
    if (!(err instanceof StackNotFoundError)) throw err;
    stackExists = false;
  }
  const fromOutputs = Object.values((outputs.volumes ?? {}) as Record<string, string>);
  const labelled = await volumesWithLabels(ctx, stackLabels(choice));
  const volumes = [...new Set([...fromOutputs, ...labelled])].sort();
  if (!stackExists && volumes.length === 0) {
    say(ctx, `Nothing to clean up: there is no stack ${choice.stack} and no volume of it.`);
    return 0;
  }
  await confirm(
    ctx,
    `cleanup destroys stack ${choice.stack}${volumes.length ? ` and deletes its volumes ${volumes.join(", ")}: every metric, dashboard edit and silence in them is lost` : ""}.`,
    choice.stack,
    options.yes,
  );
  const steps = progress(ctx, 2);
  steps.step(stackExists ? `pulumi destroy --stack ${choice.stack}` : `stack ${choice.stack} does not exist in the backend: nothing to destroy`);
  if (stackExists) await pulumiChange(ctx, choice, ["destroy", "--yes", "--stack", choice.stack]);
  steps.step(volumes.length ? `deleting ${volumes.length} volumes` : "no volumes to delete");
  const removed = await removeVolumes(ctx, volumes);
  for (const v of volumes.filter((x) => !removed.includes(x))) note(ctx, `  ${v} was already gone`);
  // pulumi destroy leaves the emulator image (the provider's delete of a built image does nothing): it goes here.
  const leftovers = await removeBuildLeftovers(ctx, emulatorImageName(choice));
  if (leftovers.images + leftovers.containers > 0) note(ctx, `  removed the emulator image and build leftovers (${leftovers.images} images, ${leftovers.containers} containers)`);
  say(ctx, `Stack ${choice.stack} is cleaned up: ${removed.length} volumes deleted. Pulumi.${choice.stack}.yaml is kept; npm run up -- --stack ${choice.stack} starts afresh.`);
  return 0;
}
