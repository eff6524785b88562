/**
 * `stack:new <name>`: a developer stack beside the others on the same Docker host. It picks the smallest
 * portOffset (a multiple of 100) whose host ports (TCP, and the log collector's UDP one) no other stack file uses
 * and nothing holds now,
 * writes Pulumi.<name>.yaml and creates the stack in the backend, ready for `npm run up`.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { parseSettings, publishedPorts, Settings, SettingsSchema } from "../../config/settings";
import type { OpsContext } from "../context";
import { note, say } from "../context";
import { DEVELOPER_STACK, OpsError, UsageError } from "../errors";
import { isPortFree } from "../ports";
import { announcePassphrase, initStack } from "../pulumi";
import { projectName, stackFile, stackFileNames, stackSettings } from "../stack-files";
import { table } from "../text";

export const OFFSET_STEP = 100;
/** The largest portOffset the configuration schema accepts: read from it, so the two cannot drift apart. */
export const MAX_PORT_OFFSET = SettingsSchema.shape.portOffset.unwrap().maxValue!;

export interface OffsetChoice {
  offset: number;
  /** Offsets passed over, with the reason. */
  skipped: string[];
}

/**
 * The smallest free offset for a stack with `template` settings, given the host ports other stacks
 * claim. `portFree` is asked about each candidate's ports (the machine's state right now).
 */
export async function chooseOffset(
  template: Settings,
  claimed: Map<number, string>,
  portFree: (port: number, protocol: "tcp" | "udp") => Promise<boolean>,
  explicit?: number,
): Promise<OffsetChoice> {
  const skipped: string[] = [];
  const base = publishedPorts({ ...template, portOffset: 0 });
  const candidates = explicit !== undefined ? [explicit] : Array.from({ length: MAX_PORT_OFFSET / OFFSET_STEP + 1 }, (_, i) => i * OFFSET_STEP);
  const named = (p: { port: number; protocol: string }) => `${p.protocol === "udp" ? "UDP " : ""}port ${p.port}`;
  for (const offset of candidates) {
    const ports = base.map((p) => ({ ...p, port: p.port + offset }));
    if (ports.some((p) => p.port > 65535)) break;
    // A number another stack publishes is its, whichever the protocol: its ports move together with its offset.
    const clash = ports.find((p) => claimed.has(p.port));
    if (clash !== undefined) {
      skipped.push(`${offset}: ${named(clash)} belongs to stack ${claimed.get(clash.port)}`);
      continue;
    }
    let busy: (typeof ports)[number] | undefined;
    for (const p of ports) {
      if (!(await portFree(p.port, p.protocol))) {
        busy = p;
        break;
      }
    }
    if (busy !== undefined) {
      skipped.push(`${offset}: ${named(busy)} is in use on this machine`);
      continue;
    }
    return { offset, skipped };
  }
  const why = skipped.length ? ` (${skipped.slice(-3).join("; ")})` : "";
  if (explicit !== undefined) throw new UsageError(`portOffset ${explicit} cannot be used${why}`);
  throw new OpsError(`no free portOffset up to ${MAX_PORT_OFFSET}${why}`);
}

/** Host port -> stack name, for every other stack file in the project. */
function claimedPorts(ctx: OpsContext, project: string, except: string): Map<number, string> {
  const claimed = new Map<number, string>();
  for (const other of stackFileNames(ctx).filter((s) => s !== except)) {
    try {
      const { settings } = stackSettings(ctx, project, other);
      for (const { port } of publishedPorts(settings)) claimed.set(port, other);
    } catch (err) {
      note(ctx, `warning: ignoring Pulumi.${other}.yaml when choosing ports: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  return claimed;
}

export async function stackNewCommand(ctx: OpsContext, name: string, options: { offset?: number; bindAddress?: string }): Promise<number> {
  if (!DEVELOPER_STACK.test(name)) {
    throw new UsageError(`invalid stack name '${name}': use 1-32 lower-case letters, digits and dashes, starting with a letter (it becomes part of Docker names)`);
  }
  const project = projectName(ctx);
  const file = stackFile(ctx, name);
  if (fs.existsSync(file)) throw new UsageError(`${path.basename(file)} exists already: pick another name, or bring that stack up with npm run up -- --stack ${name}`);
  const explicit = options.offset;
  const raw: Record<string, unknown> = options.bindAddress !== undefined ? { bindAddress: options.bindAddress } : {};
  let template: Settings;
  try {
    template = parseSettings(raw, "--bind-address", project);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { offset, skipped } = await chooseOffset(template, claimedPorts(ctx, project, name), (p, protocol) => isPortFree(template.bindAddress, p, protocol), explicit);
  for (const s of skipped) note(ctx, `offset ${s}`);

  const config = { config: { [`${project}:portOffset`]: offset, ...(options.bindAddress !== undefined ? { [`${project}:bindAddress`]: options.bindAddress } : {}) } };
  const header = `# Developer stack ${name}, created by npm run stack:new. Every key is optional: docs/configuration.md.\n`;
  fs.writeFileSync(file, header + yaml.dump(config));
  announcePassphrase(ctx);
  try {
    await initStack(ctx, name);
  } catch (err) {
    // Leave nothing half-made behind: the next attempt starts from scratch.
    fs.rmSync(file, { force: true });
    throw err;
  }
  const ports = publishedPorts({ ...template, portOffset: offset });
  say(ctx, `Stack ${name} created (${path.basename(file)}, portOffset ${offset}) and selected. Its services will listen on:`);
  say(ctx, table(["SERVICE", "HOST PORT"], ports.map((p) => [p.protocol === "udp" ? `${p.service} (syslog, udp)` : p.service, `${template.bindAddress}:${p.port}`]), "  "));
  say(ctx, `Bring it up with: npm run up -- --stack ${name}`);
  return 0;
}
