/**
 * The Pulumi CLI calls of the operations, always with JSON output where Pulumi has it. The stack's
 * secrets provider is the passphrase one; with no passphrase in the environment this local sandbox uses
 * an empty one and says so once.
 */
import { z } from "zod";
import type { OpsContext } from "./context";
import { note } from "./context";
import { OpsError } from "./errors";
import { run, RunOptions, RunResult } from "./runner";

/** Environment additions for the passphrase secrets provider: an empty passphrase when none is configured. */
export function passphraseEnv(ctx: OpsContext): Record<string, string> {
  if (ctx.env.PULUMI_CONFIG_PASSPHRASE !== undefined || ctx.env.PULUMI_CONFIG_PASSPHRASE_FILE) return {};
  return { PULUMI_CONFIG_PASSPHRASE: "" };
}

/** Says so when the stack's secrets are about to be written with the empty passphrase (up, stack:new). */
export function announcePassphrase(ctx: OpsContext): void {
  if (Object.keys(passphraseEnv(ctx)).length) {
    note(
      ctx,
      "note: PULUMI_CONFIG_PASSPHRASE is not set, so the stack's secrets use an empty passphrase (fine for a local sandbox; export PULUMI_CONFIG_PASSPHRASE to protect them)",
    );
  }
}

/** Runs `pulumi <args> --non-interactive` (never waits for a prompt nobody sees). */
export function pulumi(ctx: OpsContext, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return run(ctx, "pulumi", [...args, "--non-interactive"], { ...options, env: { ...passphraseEnv(ctx), ...options.env } });
}

function parseJson<T extends z.ZodType>(schema: T, text: string, what: string): z.infer<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new OpsError(`${what} did not print JSON: ${text.slice(0, 200)}`);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new OpsError(`${what} printed an unexpected shape: ${z.prettifyError(result.error)}`);
  return result.data;
}

const StackList = z.array(z.object({ name: z.string(), current: z.boolean().default(false) }).loose());

export async function listStacks(ctx: OpsContext): Promise<{ name: string; current: boolean }[]> {
  const { stdout } = await pulumi(ctx, ["stack", "ls", "--json"]);
  return parseJson(StackList, stdout, "pulumi stack ls --json");
}

/** `pulumi stack init <name> --secrets-provider passphrase` (also selects it). */
export async function initStack(ctx: OpsContext, stack: string): Promise<void> {
  await pulumi(ctx, ["stack", "init", stack, "--secrets-provider", "passphrase"]);
}

/** The stack's outputs as Pulumi prints them (`{}` when nothing is deployed). */
export async function rawStackOutputs(ctx: OpsContext, stack: string, showSecrets = false): Promise<Record<string, unknown>> {
  const args = ["stack", "output", "--json", "--stack", stack, ...(showSecrets ? ["--show-secrets"] : [])];
  const { stdout } = await pulumi(ctx, args);
  return parseJson(z.record(z.string(), z.unknown()), stdout.trim() || "{}", "pulumi stack output --json");
}

const Deployment = z
  .object({
    deployment: z
      .object({
        resources: z.array(z.object({ urn: z.string(), type: z.string(), outputs: z.record(z.string(), z.unknown()).optional() }).loose()).default([]),
      })
      .loose(),
  })
  .loose();

/** URN and physical name of every Docker container in the stack's state (for `pulumi up --replace`). */
export async function containerResources(ctx: OpsContext, stack: string): Promise<{ urn: string; name: string }[]> {
  const { stdout } = await pulumi(ctx, ["stack", "export", "--stack", stack]);
  const state = parseJson(Deployment, stdout, "pulumi stack export");
  return state.deployment.resources
    .filter((r) => r.type === "docker:index/container:Container")
    .map((r) => ({ urn: r.urn, name: String(r.outputs?.name ?? "") }));
}
