/**
 * Pulumi.<stack>.yaml read the way the Pulumi CLI hands its configuration to a program: `<project>:` keys,
 * strings as they are, everything else JSON-encoded. Encrypted (`secure:`) values cannot be read without the
 * passphrase; they are left out and their places reported. Shared by the offline plan and the operations CLI.
 */
import { loadYaml } from "../emulator/src/index";
import { secretStandIn } from "./settings";

export interface StackFile {
  /** `<project>:<key>` to the string Pulumi would hand the program; encrypted values left out. */
  entries: Record<string, string>;
  /** Key paths (without the project prefix) whose values are encrypted in the file. */
  secretPaths: string[][];
}

/** Raised for a file that is not YAML or not shaped like a stack configuration; the message names the file. */
export class StackFileError extends Error {}

const isSecure = (value: unknown): value is { secure: string } =>
  typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;

/** Copies `value` without its `secure:` leaves, recording where they were. */
function withoutSecrets(value: unknown, at: string[], found: string[][]): unknown {
  if (isSecure(value)) {
    found.push(at);
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const kept = withoutSecrets(inner, [...at, key], found);
    if (kept !== undefined) copy[key] = kept;
  }
  return copy;
}

export function parseStackFile(text: string, fileName: string, project: string): StackFile {
  let doc: unknown;
  try {
    // Bounded: a hand-edited or downloaded stack file with nested aliases must not exhaust memory.
    doc = loadYaml(text);
  } catch (err) {
    throw new StackFileError(`${fileName} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const config = ((doc ?? {}) as { config?: unknown }).config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new StackFileError(`${fileName}: 'config' must be a mapping of keys such as ${project}:portOffset`);
  }
  const entries: Record<string, string> = {};
  const secretPaths: string[][] = [];
  const prefix = `${project}:`;
  for (const [fullKey, value] of Object.entries(config)) {
    // Other namespaces (docker:host, ...) configure providers, not this program.
    if (!fullKey.startsWith(prefix)) continue;
    const kept = withoutSecrets(value, [fullKey.slice(prefix.length)], secretPaths);
    if (kept !== undefined) entries[fullKey] = typeof kept === "string" ? kept : JSON.stringify(kept);
  }
  return { entries, secretPaths };
}

/** The configuration as the Pulumi CLI hands it to a program: values by full key, and the keys that are secrets. */
export interface ProgramConfig {
  values: Record<string, string>;
  /** Full keys (`<project>:<key>`) held as secrets, sorted. */
  secretKeys: string[];
}

/**
 * What the program would receive from the CLI, for running it without the passphrase (the offline plan): each
 * encrypted value becomes a stand-in that passes its key's validation, and its top-level key is a secret, as
 * Pulumi makes the whole top-level key secret for a `--path --secret` value.
 */
export function programConfig(file: StackFile, project: string): ProgramConfig {
  const values = { ...file.entries };
  const secretKeys = new Set<string>();
  for (const at of file.secretPaths) {
    const [key, ...inner] = at;
    const fullKey = `${project}:${key}`;
    secretKeys.add(fullKey);
    if (inner.length === 0) {
      values[fullKey] = secretStandIn(at);
      continue;
    }
    const object = JSON.parse(values[fullKey] ?? "{}") as Record<string, unknown>;
    let node = object;
    for (const part of inner.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[inner[inner.length - 1]] = secretStandIn(at);
    values[fullKey] = JSON.stringify(object);
  }
  return { values, secretKeys: [...secretKeys].sort() };
}
