/**
 * Which stack a command works on, and what that stack says about itself: every command reads container,
 * volume and URL names from the stack outputs, so they work for any developer's stack.
 */
import { z } from "zod";
import { SERVICES, ServiceName } from "../config/settings";
import type { OpsContext } from "./context";
import { note } from "./context";
import { OpsError, ToolMissingError } from "./errors";
import { listStacks, rawStackOutputs } from "./pulumi";
import { checkStackName, projectName } from "./stack-files";
import { LABEL_KEYS } from "../config/labels";

/** The stack `npm run up` creates on a fresh checkout. */
export const DEFAULT_STACK = "dev";

export interface StackChoice {
  project: string;
  stack: string;
}

/**
 * `--stack` when given, else the stack Pulumi has selected, else `dev`. Without the Pulumi CLI the
 * choice falls back to `dev` too (offline commands such as `config` still work).
 */
export async function chooseStack(ctx: OpsContext, explicit?: string): Promise<StackChoice> {
  const project = projectName(ctx);
  if (explicit) return { project, stack: checkStackName(explicit) };
  let stacks: { name: string; current: boolean }[];
  try {
    stacks = await listStacks(ctx);
  } catch (err) {
    // Offline commands go on with dev; the others fail on their first Pulumi call with the install hint.
    if (err instanceof ToolMissingError) return { project, stack: DEFAULT_STACK };
    throw err;
  }
  const selected = stacks.find((s) => s.current)?.name;
  if (!selected) note(ctx, `no stack selected: using '${DEFAULT_STACK}' (pass --stack <name> for another)`);
  return { project, stack: selected ?? DEFAULT_STACK };
}

const name = z.string().min(1);
const core = { pushgateway: name, prometheus: name, alertmanager: name.optional(), grafana: name };

export const StackOutputsSchema = z
  .object({
    project: name,
    stack: name,
    urls: z.object({ ...core, emulator: name.optional(), dashboard: name.optional() }).loose(),
    grafanaAdminUser: z.string().optional(),
    grafanaAdminPassword: z.string().optional(),
    containers: z.object({ ...core, emulator: name.optional() }).loose(),
    volumes: z.object(core).loose(),
    network: name,
  })
  .loose();

export interface StackOutputs {
  project: string;
  stack: string;
  urls: Partial<Record<ServiceName | "dashboard", string>>;
  grafanaAdminUser?: string;
  grafanaAdminPassword?: string;
  containers: Partial<Record<ServiceName, string>>;
  volumes: Partial<Record<ServiceName, string>>;
  network: string;
}

export class NotDeployedError extends OpsError {}

/** The outputs of a deployed stack; a stack with nothing deployed is an error that says how to deploy it. */
export async function deployedOutputs(ctx: OpsContext, choice: StackChoice, showSecrets = false): Promise<StackOutputs> {
  const raw = await rawStackOutputs(ctx, choice.stack, showSecrets);
  if (Object.keys(raw).length === 0) {
    throw new NotDeployedError(`stack ${choice.stack} is not deployed (it has no outputs): bring it up with npm run up -- --stack ${choice.stack}`);
  }
  const parsed = StackOutputsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new OpsError(
      `stack ${choice.stack}'s outputs are not what this CLI reads (${z.prettifyError(parsed.error).replace(/\n/g, " ")}): run npm run up -- --stack ${choice.stack} to update the stack`,
    );
  }
  return parsed.data as StackOutputs;
}

/** The services the stack runs, in start order. */
export function deployedServices(outputs: StackOutputs): ServiceName[] {
  return SERVICES.filter((s) => outputs.containers[s] !== undefined);
}

/** Docker label filters (`key=value`) matching one stack's objects. */
export function stackLabels(choice: StackChoice): string[] {
  return [`${LABEL_KEYS.project}=${choice.project}`, `${LABEL_KEYS.stack}=${choice.stack}`];
}
