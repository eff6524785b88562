/**
 * The files Pulumi keeps beside the program: Pulumi.yaml (project) and Pulumi.<stack>.yaml (a stack's
 * configuration under `promemu:`). Read offline, so `config` and `stack:new` work without the Pulumi CLI.
 */
import * as fs from "fs";
import { loadYaml } from "../emulator/src/index";
import * as path from "path";
import { ConfigError, Settings, settingsFromConfig } from "../config/settings";
import { parseStackFile, StackFile, StackFileError } from "../config/stack-file";
import type { OpsContext } from "./context";
import { UsageError } from "./errors";

/** What Pulumi itself accepts in a stack name, minus `/` (organisation prefixes mean nothing to a file backend). */
const PULUMI_STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export function checkStackName(name: string): string {
  if (!PULUMI_STACK_NAME.test(name)) {
    throw new UsageError(`invalid stack name '${name}': use letters, digits, '-', '_' or '.' (at most 100)`);
  }
  return name;
}

function readYaml(file: string): unknown {
  try {
    return loadYaml(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message.split("\n")[0]}`);
  }
}

/** The Pulumi project name from Pulumi.yaml. */
export function projectName(ctx: OpsContext): string {
  const file = path.join(ctx.cwd, "Pulumi.yaml");
  if (!fs.existsSync(file)) {
    throw new UsageError(`no Pulumi.yaml in ${ctx.cwd}: run the command from the root of the promemu checkout`);
  }
  const doc = readYaml(file) as { name?: unknown } | null;
  if (typeof doc?.name !== "string" || !doc.name) throw new UsageError(`${file}: the key 'name' (the project name) is missing`);
  return doc.name;
}

export function stackFile(ctx: OpsContext, stack: string): string {
  return path.join(ctx.cwd, `Pulumi.${stack}.yaml`);
}

/** The stacks that have a configuration file in the project directory. */
export function stackFileNames(ctx: OpsContext): string[] {
  return fs
    .readdirSync(ctx.cwd)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

export interface StackConfig extends StackFile {
  /** Path of Pulumi.<stack>.yaml. */
  file: string;
}

/** Reads Pulumi.<stack>.yaml; a missing file is an empty configuration (every default). */
export function readStackConfig(ctx: OpsContext, project: string, stack: string): StackConfig {
  const file = stackFile(ctx, stack);
  if (!fs.existsSync(file)) return { file, entries: {}, secretPaths: [] };
  try {
    return { file, ...parseStackFile(fs.readFileSync(file, "utf8"), file, project) };
  } catch (err) {
    if (err instanceof StackFileError) throw new UsageError(err.message);
    throw err;
  }
}

/** Validated settings of a stack, every default filled in; a bad file is a usage error naming file and key. */
export function stackSettings(ctx: OpsContext, project: string, stack: string): { settings: Settings; config: StackConfig } {
  const config = readStackConfig(ctx, project, stack);
  try {
    return { settings: settingsFromConfig(config.entries, path.basename(config.file), project), config };
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}
