/**
 * `up`, `down` and `restart`: thin wrappers around `pulumi up` / `pulumi destroy` that validate the
 * stack configuration first, create the stack when it is new, and explain what went wrong.
 */
import { publishedPorts, SERVICES } from "../../config/settings";
import type { OpsContext } from "../context";
import { note, say } from "../context";
import { containersWithLabels, inspectContainers, lastLogLines, removeBuildLeftovers, runsHealthy } from "../docker";
import { OpsError, PortInUseError, StackNotFoundError } from "../errors";
import { InterruptedError } from "../interrupt";
import { explainPortClash, isPortFree } from "../ports";
import { announcePassphrase, containerResources, initStack, listStacks, pulumi, rawStackOutputs } from "../pulumi";
import { chooseStack, creatableStack, deployedOutputs, deployedService, StackChoice, stackLabels, StackOutputs } from "../stack";
import { stackSettings } from "../stack-files";
import { table } from "../text";

/** Creates the stack in the backend when it does not exist yet and `up` may create it (see creatableStack). */
async function ensureStack(ctx: OpsContext, choice: StackChoice): Promise<void> {
  const stacks = await listStacks(ctx);
  if (stacks.some((s) => s.name === choice.stack)) return;
  if (!creatableStack(ctx, choice.stack)) throw new StackNotFoundError(choice.stack);
  note(ctx, `creating stack ${choice.stack} (local backend, passphrase secrets provider)`);
  await initStack(ctx, choice.stack);
}

/**
 * Runs `pulumi up` or `destroy` with its progress on the terminal. An interruption has asked Pulumi to
 * cancel (SIGINT), which it does between resource operations, keeping its state consistent: say what then.
 */
export async function pulumiChange(ctx: OpsContext, choice: StackChoice, args: string[]): Promise<void> {
  try {
    await pulumi(ctx, args, { stream: true });
  } catch (err) {
    if (err instanceof InterruptedError) {
      throw new InterruptedError(
        err.signal,
        `pulumi ${args[0]} was cancelled part-way; run the command again to finish (should Pulumi report pending operations, run pulumi refresh --stack ${choice.stack} first)`,
      );
    }
    throw err;
  }
}

/**
 * Runs a pulumi command that creates containers, turning a port clash into the key to change, and checks what it
 * leaves: every service container running and healthy. The docker provider gates only a container's create on its
 * health check: a container that crash-loops after it, or one whose in-place update (restart policy, health check
 * timing) breaks it, is no failure of Pulumi's. Either way the unhealthy container is named with its last lines.
 */
async function pulumiWithPorts(ctx: OpsContext, choice: StackChoice, args: string[]): Promise<StackOutputs> {
  const { settings, config } = stackSettings(ctx, choice.project, choice.stack);
  try {
    await pulumiChange(ctx, choice, args);
  } catch (err) {
    if (err instanceof PortInUseError) throw explainPortClash(err, settings, config.file, choice.project);
    const unhealthy = err instanceof InterruptedError ? "" : await describeUnhealthy(ctx, await containersWithLabels(ctx, stackLabels(choice)).catch(() => []));
    if (unhealthy) throw new OpsError(`pulumi ${args[0]} failed; ${unhealthy}`);
    throw err;
  }
  const outputs = await deployedOutputs(ctx, choice);
  const unhealthy = await describeUnhealthy(ctx, Object.values(outputs.containers));
  if (unhealthy) throw new OpsError(`pulumi ${args[0]} reported success, but ${unhealthy}`);
  return outputs;
}

/**
 * "<container> is <state/health>; its last lines: ..." for each container that is not running and healthy (a
 * container without a health check counts when it runs; stopped one-shot tasks are not services and are skipped
 * when they ended well), or "" when all are.
 */
async function describeUnhealthy(ctx: OpsContext, names: string[]): Promise<string> {
  const problems: string[] = [];
  for (const info of (await inspectContainers(ctx, names)).values()) {
    const taskDone = info.state === "exited" && info.health === undefined;
    if (runsHealthy(info) || taskDone) continue;
    const logs = await lastLogLines(ctx, info.name);
    problems.push(
      `${info.name} is ${info.state}${info.health ? ` (${info.health})` : ""}, not healthy; its last lines:\n${logs.replace(/^/gm, "    ") || "    (none)"}`,
    );
  }
  return problems.length ? `${problems.join("\n")}\nFix the cause (npm run logs -- <service>; npm run config) and run npm run up again.` : "";
}

function printUrls(ctx: OpsContext, outputs: StackOutputs): void {
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
  await ensureStack(ctx, choice);
  // A stack with nothing deployed holds no port, so any taken port belongs to someone else: say so now. An up that
  // failed part-way leaves no outputs but may leave containers of the stack holding its own ports: then Docker
  // reports a real clash, explained below.
  const nothingDeployed =
    Object.keys(await rawStackOutputs(ctx, choice.stack)).length === 0 && (await containersWithLabels(ctx, stackLabels(choice))).length === 0;
  if (nothingDeployed) {
    for (const { port, protocol } of publishedPorts(settings)) {
      if (!(await isPortFree(settings.bindAddress, port, protocol))) {
        throw explainPortClash(new PortInUseError(settings.bindAddress, port, ""), settings, config.file, choice.project);
      }
    }
  }
  const outputs = await pulumiWithPorts(ctx, choice, ["up", "--yes", "--stack", choice.stack]);
  const leftovers = await removeBuildLeftovers(ctx);
  if (leftovers.containers + leftovers.images > 0) {
    note(ctx, `removed what earlier emulator image builds left: ${leftovers.containers} stopped build containers, ${leftovers.images} unused images`);
  }
  printUrls(ctx, outputs);
  return 0;
}

export async function downCommand(ctx: OpsContext, options: { stack?: string }): Promise<number> {
  const choice = await chooseStack(ctx, options.stack);
  const { settings } = stackSettings(ctx, choice.project, choice.stack);
  const before = await rawStackOutputs(ctx, choice.stack);
  await pulumiChange(ctx, choice, ["destroy", "--yes", "--stack", choice.stack]);
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
  const wanted = service !== undefined ? outputs.containers[deployedService(outputs, service)] : undefined;
  const resources = (await containerResources(ctx, choice.stack)).filter((r) => (wanted ? r.name === wanted : true));
  if (resources.length === 0) throw new OpsError(`stack ${choice.stack} has no containers in its state: run npm run up -- --stack ${choice.stack}`);
  note(ctx, `replacing ${resources.map((r) => r.name).join(", ")} (their data volumes stay)`);
  printUrls(ctx, await pulumiWithPorts(ctx, choice, ["up", "--yes", "--stack", choice.stack, ...resources.flatMap((r) => ["--replace", r.urn])]));
  return 0;
}
