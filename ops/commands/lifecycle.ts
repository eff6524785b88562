/**
 * `up`, `down` and `restart`: thin wrappers around `pulumi up` / `pulumi destroy` that validate the
 * stack configuration first, create the stack when it is new, and explain what went wrong.
 */
import * as fs from "fs";
import { hostPorts, SERVICES } from "../../config/settings";
import type { OpsContext } from "../context";
import { note, say } from "../context";
import { OpsError, PortInUseError, StackNotFoundError, UsageError } from "../errors";
import { explainPortClash, isPortFree } from "../ports";
import { announcePassphrase, containerResources, initStack, listStacks, pulumi, rawStackOutputs } from "../pulumi";
import { chooseStack, DEFAULT_STACK, deployedOutputs, StackChoice } from "../stack";
import { stackSettings } from "../stack-files";
import { table } from "../text";

/** Creates the stack in the backend when it does not exist yet and its configuration file does (or it is `dev`). */
async function ensureStack(ctx: OpsContext, choice: StackChoice, file: string): Promise<void> {
  const stacks = await listStacks(ctx);
  if (stacks.some((s) => s.name === choice.stack)) return;
  if (!fs.existsSync(file) && choice.stack !== DEFAULT_STACK) throw new StackNotFoundError(choice.stack);
  note(ctx, `creating stack ${choice.stack} (local backend, passphrase secrets provider)`);
  await initStack(ctx, choice.stack);
}

/** Runs a pulumi command that creates containers, turning a port clash into the key to change. */
async function pulumiWithPorts(ctx: OpsContext, choice: StackChoice, args: string[]): Promise<void> {
  const { settings, config } = stackSettings(ctx, choice.project, choice.stack);
  try {
    await pulumi(ctx, args, { stream: true });
  } catch (err) {
    if (err instanceof PortInUseError) throw explainPortClash(err, settings, config.file, choice.project);
    throw err;
  }
}

async function printUrls(ctx: OpsContext, choice: StackChoice): Promise<void> {
  const outputs = await deployedOutputs(ctx, choice);
  say(ctx);
  say(ctx, `Stack ${outputs.stack} is up:`);
  const rows = SERVICES.filter((s) => outputs.urls[s]).map((s) => [s, outputs.urls[s]!]);
  if (outputs.urls.dashboard) rows.push(["dashboard", outputs.urls.dashboard]);
  say(ctx, table(["SERVICE", "URL"], rows, "  "));
  if (outputs.grafanaAdminUser) {
    say(ctx, `Grafana login: ${outputs.grafanaAdminUser}; password: pulumi stack output grafanaAdminPassword --show-secrets --stack ${outputs.stack}`);
  }
  say(ctx, `Check it with: npm run status -- --stack ${outputs.stack}`);
}

export async function upCommand(ctx: OpsContext, options: { stack?: string }): Promise<number> {
  const choice = await chooseStack(ctx, options.stack);
  // Invalid configuration fails here, naming the file and key, before Pulumi starts anything.
  const { settings, config } = stackSettings(ctx, choice.project, choice.stack);
  announcePassphrase(ctx);
  await ensureStack(ctx, choice, config.file);
  // A stack with nothing deployed holds no port, so any taken port belongs to someone else: say so now.
  if (Object.keys(await rawStackOutputs(ctx, choice.stack)).length === 0) {
    for (const port of Object.values(hostPorts(settings))) {
      if (!(await isPortFree(settings.bindAddress, port))) {
        throw explainPortClash(new PortInUseError(settings.bindAddress, port, ""), settings, config.file, choice.project);
      }
    }
  }
  await pulumiWithPorts(ctx, choice, ["up", "--yes", "--stack", choice.stack]);
  await printUrls(ctx, choice);
  return 0;
}

export async function downCommand(ctx: OpsContext, options: { stack?: string }): Promise<number> {
  const choice = await chooseStack(ctx, options.stack);
  const { settings } = stackSettings(ctx, choice.project, choice.stack);
  const before = await rawStackOutputs(ctx, choice.stack);
  await pulumi(ctx, ["destroy", "--yes", "--stack", choice.stack], { stream: true });
  say(ctx);
  const volumes = Object.values((before.volumes ?? {}) as Record<string, string>);
  if (settings.keepData && volumes.length) {
    say(ctx, `Stack ${choice.stack} is down. Its data volumes are kept for the next npm run up: ${volumes.join(", ")}`);
    say(ctx, `npm run cleanup -- --stack ${choice.stack} deletes them.`);
  } else say(ctx, `Stack ${choice.stack} is down.`);
  return 0;
}

export async function restartCommand(ctx: OpsContext, service: string | undefined, options: { stack?: string }): Promise<number> {
  const choice = await chooseStack(ctx, options.stack);
  const outputs = await deployedOutputs(ctx, choice);
  const wanted = service ? outputs.containers[service as keyof typeof outputs.containers] : undefined;
  if (service && !wanted) {
    throw new UsageError(`unknown service '${service}': stack ${choice.stack} runs ${Object.keys(outputs.containers).join(", ")}`);
  }
  const resources = (await containerResources(ctx, choice.stack)).filter((r) => (wanted ? r.name === wanted : true));
  if (resources.length === 0) throw new OpsError(`stack ${choice.stack} has no containers in its state: run npm run up -- --stack ${choice.stack}`);
  note(ctx, `replacing ${resources.map((r) => r.name).join(", ")} (their data volumes stay)`);
  await pulumiWithPorts(ctx, choice, ["up", "--yes", "--stack", choice.stack, ...resources.flatMap((r) => ["--replace", r.urn])]);
  await printUrls(ctx, choice);
  return 0;
}
