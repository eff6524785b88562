/**
 * Which stack a command works on, and what that stack says about itself: every command reads container,
 * volume and URL names from the stack outputs, so they work for any developer's stack.
 */
import * as fs from "fs";
import { z } from "zod";
import { SERVICES, ServiceName } from "../config/settings";
import type { OpsContext } from "./context";
import { note } from "./context";
import { ContainerInfo, imageNames, isImageId } from "./docker";
import { OpsError, ToolMissingError, UsageError } from "./errors";
import { listStacks, rawStackOutputs } from "./pulumi";
import { checkStackName, projectName, stackFile } from "./stack-files";
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
  // `--stack ""` is a mistake to report, not a request for the default.
  if (explicit !== undefined) return { project, stack: checkStackName(explicit) };
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

/**
 * Whether `npm run up` would work on the stack without it being in the backend yet: it creates a stack
 * that has a Pulumi.<stack>.yaml (stack:new wrote one, or a person did), and always `dev`.
 */
export function creatableStack(ctx: OpsContext, stack: string): boolean {
  return stack === DEFAULT_STACK || fs.existsSync(stackFile(ctx, stack));
}

/** Whether the Pulumi backend has the stack; false without the Pulumi CLI (nothing can be asked). */
export async function stackInBackend(ctx: OpsContext, stack: string): Promise<boolean> {
  try {
    return (await listStacks(ctx)).some((s) => s.name === stack);
  } catch (err) {
    if (err instanceof ToolMissingError) return false;
    throw err;
  }
}

const name = z.string().min(1);
// Alertmanager, Grafana and the emulator can each be disabled (`<service>.enabled: false`).
const core = { pushgateway: name, prometheus: name, alertmanager: name.optional(), grafana: name.optional() };
/** The image of a service as the program pulled it: the reference people read, and the id Docker runs. */
const ImageOutput = z.object({ ref: name, id: name }).loose();

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
    /** Absent from stacks deployed before the program exported it; then Docker is asked (see imageNames). */
    // Only a convenience: an export of another shape is ignored rather than making every command fail.
    images: z.partialRecord(z.enum(SERVICES), ImageOutput).optional().catch(undefined),
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
  images?: Partial<Record<ServiceName, { ref: string; id: string }>>;
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

/**
 * A service named on the command line, if the stack runs it. Compared against the list, never looked up
 * in an object: `constructor` or `__proto__` must not pass for a service.
 */
export function deployedService(outputs: StackOutputs, service: string): ServiceName {
  const services = deployedServices(outputs);
  const found = services.find((s) => s === service);
  if (!found) throw new UsageError(`unknown service '${service}': stack ${outputs.stack} runs ${services.join(", ")}`);
  return found;
}

/**
 * The image each container runs, for people (a reference such as prom/prometheus:v3.5.0) and for
 * comparisons (the id). Docker shows the stack's containers' image as an id, since Pulumi creates them
 * from RemoteImage.imageId; the reference comes from the stack's `images` output, else from Docker.
 */
export async function containerImages(
  ctx: OpsContext,
  outputs: StackOutputs,
  containers: { service: ServiceName; info: ContainerInfo }[],
): Promise<Map<ServiceName, { ref: string; id: string }>> {
  const refOf = (service: ServiceName, info: ContainerInfo) => {
    const exported = outputs.images?.[service];
    // The export names the image the program asked for; it is this container's only if the ids agree.
    if (exported && exported.id === info.imageId) return exported.ref;
    return isImageId(info.image) ? undefined : info.image;
  };
  const unnamed = containers.filter(({ service, info }) => refOf(service, info) === undefined).map(({ info }) => info.imageId);
  const names = await imageNames(ctx, unnamed);
  return new Map(containers.map(({ service, info }) => [service, { ref: refOf(service, info) ?? names.get(info.imageId) ?? info.imageId, id: info.imageId }]));
}

/** Docker label filters (`key=value`) matching one stack's objects. */
/** The stack's emulator image, as components/emulator.ts names it (`physicalName(id, "emulator")` tagged `local`). */
export function emulatorImageName(choice: StackChoice): string {
  return `${choice.project}-${choice.stack}-emulator:local`;
}

export function stackLabels(choice: StackChoice): string[] {
  return [`${LABEL_KEYS.project}=${choice.project}`, `${LABEL_KEYS.stack}=${choice.stack}`];
}
