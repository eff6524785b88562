/**
 * `config`: the effective configuration of a stack, computed offline from Pulumi.<stack>.yaml through the
 * same schema the program uses, every default filled in, secrets masked.
 */
import * as yaml from "js-yaml";
import * as path from "path";
import { hostPorts } from "../../config/settings";
import type { OpsContext } from "../context";
import { say } from "../context";
import { StackNotFoundError } from "../errors";
import { chooseStack, creatableStack, stackInBackend } from "../stack";
import { stackSettings } from "../stack-files";

export const MASK = "[secret]";

/**
 * Masks the value at a key path read from the stack file. Only own properties are followed: a key such
 * as `__proto__` in the file must not reach Object.prototype.
 */
function setPath(target: Record<string, unknown>, at: string[], value: unknown): void {
  let node = target;
  for (const key of at.slice(0, -1)) {
    if (!Object.hasOwn(node, key) || typeof node[key] !== "object" || node[key] === null) {
      Object.defineProperty(node, key, { value: {}, enumerable: true, writable: true, configurable: true });
    }
    node = node[key] as Record<string, unknown>;
  }
  Object.defineProperty(node, at[at.length - 1], { value, enumerable: true, writable: true, configurable: true });
}

export async function configCommand(ctx: OpsContext, options: { stack?: string; json?: boolean }): Promise<number> {
  const choice = await chooseStack(ctx, options.stack);
  // Defaults for a stack that does not exist would look like its configuration: say it does not exist,
  // as status does. A stack `up` would create (it has a stack file, or it is dev) is shown.
  if (!creatableStack(ctx, choice.stack) && !(await stackInBackend(ctx, choice.stack))) throw new StackNotFoundError(choice.stack);
  const { settings, config } = stackSettings(ctx, choice.project, choice.stack);
  const masked = structuredClone(settings) as unknown as Record<string, unknown>;
  // Plain-text or encrypted, a password is never printed.
  if (settings.grafanaAdminPassword !== undefined) masked.grafanaAdminPassword = MASK;
  for (const at of config.secretPaths) setPath(masked, at, MASK);
  const file = path.basename(config.file);
  if (options.json) {
    say(ctx, JSON.stringify({ project: choice.project, stack: choice.stack, file, settings: masked, hostPorts: hostPorts(settings) }, null, 2));
    return 0;
  }
  say(ctx, `# Effective configuration of stack ${choice.stack}: ${file} with every default filled in, secrets masked.`);
  say(ctx, `# Keys are set with: pulumi config set --path --stack ${choice.stack} <key> <value> (see docs/configuration.md)`);
  if (settings.grafanaAdminPassword === undefined && !config.secretPaths.some((p) => p[0] === "grafanaAdminPassword")) {
    say(ctx, "# grafanaAdminPassword is unset: a random one is generated (pulumi stack output grafanaAdminPassword --show-secrets).");
  }
  say(ctx, yaml.dump({ [choice.project]: masked }, { sortKeys: false, lineWidth: 120 }).trimEnd());
  say(ctx, "# Host ports after portOffset:");
  say(ctx, yaml.dump({ hostPorts: hostPorts(settings) }).trimEnd());
  return 0;
}
