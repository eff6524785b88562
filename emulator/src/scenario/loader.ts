/**
 * Finds a scenario (a built-in name or a YAML file), reads it, applies parameters and validates it.
 * Every failure is a UsageError that names the file and the path inside it.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { loadYaml } from "../util/yaml";
import type { z } from "zod";
import { UsageError, formatPath, valueAt } from "../errors";
import type { CompiledScenario } from "../model/types";
import { DEFAULT_MAX_SERIES, type ScenarioSize } from "./capacity";
import { type SeriesLimit, compileScenario, measureScenario } from "./compile";
import { type ParamValue, type SetEntry, flattenParams, overrideParams, substituteParams } from "./params";
import { type Scenario, scenarioSchema } from "./schema";

/** emulator/scenarios, both from src/ (tests) and from dist/ (the built CLI and the container). */
export const BUILTIN_DIR = path.resolve(__dirname, "..", "..", "scenarios");

export interface LoadedScenario {
  readonly scenario: CompiledScenario;
  /** Every parameter with the value in force (defaults after --set). */
  readonly params: ReadonlyMap<string, ParamValue>;
}

export function builtinScenarios(): string[] {
  return fs
    .readdirSync(BUILTIN_DIR)
    .filter((file) => file.endsWith(".yaml"))
    .map((file) => file.slice(0, -".yaml".length))
    .sort();
}

/** A name without a slash or a .yaml/.yml suffix is a built-in; anything else is a file path. */
export function resolveScenarioFile(ref: string): { file: string; name: string } {
  const looksLikeFile = ref.includes("/") || ref.includes(path.sep) || /\.ya?ml$/i.test(ref);
  if (looksLikeFile) {
    if (!fs.existsSync(ref)) throw new UsageError(`scenario file ${ref} does not exist`);
    return { file: ref, name: path.basename(ref).replace(/\.ya?ml$/i, "") };
  }
  const builtins = builtinScenarios();
  if (!builtins.includes(ref)) {
    throw new UsageError(`unknown scenario "${ref}": the built-in scenarios are ${builtins.join(", ")} (or give the path of a YAML file)`);
  }
  return { file: path.join(BUILTIN_DIR, `${ref}.yaml`), name: ref };
}

/** The limit when none is given: the CLI's default, and its option. */
export const DEFAULT_LIMIT: SeriesLimit = { maxSeries: DEFAULT_MAX_SERIES, override: "--max-series (PROMEMU_MAX_SERIES)" };

function readScenario(ref: string): { text: string; file: string; name: string } {
  const { file, name } = resolveScenarioFile(ref);
  try {
    return { text: fs.readFileSync(file, "utf8"), file, name };
  } catch (err) {
    throw new UsageError(`cannot read scenario ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** A scenario above `limit` (hosts x series per host, before anything is built) is refused with its estimated size. */
/** `setName` is how messages name the overrides' option: --set, or PROMEMU_SET when they came from there. */
export function loadScenario(ref: string, overrides: readonly SetEntry[] = [], limit: SeriesLimit = DEFAULT_LIMIT, setName = "--set"): LoadedScenario {
  const { text, file, name } = readScenario(ref);
  return parseScenario(text, file, name, overrides, limit, setName);
}

/**
 * The exporter profiles (`node`, `postgres`, `http`) the hosts of a scenario serve with these overrides, sorted, each
 * once; with no series limit (a size is checked with scenarioSize).
 */
export function scenarioExporterProfiles(ref: string, overrides: readonly SetEntry[] = []): string[] {
  const { scenario } = loadScenario(ref, overrides, { maxSeries: Number.MAX_SAFE_INTEGER, override: ref });
  return [...new Set(scenario.hosts.flatMap((host) => (host.shape.exporter ? [host.shape.exporter.profile as string] : [])))].sort();
}

/** The log sources (`syslog`, `access`, ...) a scenario's hosts write, sorted; empty when no host logs. */
export function scenarioLogSources(ref: string, overrides: readonly SetEntry[] = []): string[] {
  const { scenario } = loadScenario(ref, overrides, { maxSeries: Number.MAX_SAFE_INTEGER, override: ref });
  return [...new Set(scenario.hosts.flatMap((host) => (host.shape.logs ?? []).map((spec) => spec.source as string)))].sort();
}

/** Hosts and series of a scenario with its overrides, validated but not built (the stack's configuration check uses it). */
export function scenarioSize(ref: string, overrides: readonly SetEntry[] = []): ScenarioSize {
  const { text, file, name } = readScenario(ref);
  const scenario = validate(text, file, name, overrides);
  return measureScenario(scenario, file);
}

/** `source` only names the document in messages. */
export function parseScenario(
  text: string,
  source: string,
  name: string,
  overrides: readonly SetEntry[] = [],
  limit: SeriesLimit = DEFAULT_LIMIT,
  setName = "--set",
): LoadedScenario {
  const params = new Map<string, ParamValue>();
  const scenario = validate(text, source, name, overrides, params, setName);
  return { scenario: compileScenario(scenario, source, name, limit), params };
}

/** Parses, applies the overrides and checks the schema; `paramsOut` receives the parameters in force. */
function validate(text: string, source: string, name: string, overrides: readonly SetEntry[], paramsOut?: Map<string, ParamValue>, setName = "--set"): Scenario {
  let doc: unknown;
  try {
    doc = loadYaml(text, { filename: source, schema: yaml.CORE_SCHEMA });
  } catch (err) {
    if (err instanceof yaml.YAMLException) {
      const where = err.mark ? `${source}:${err.mark.line + 1}:${err.mark.column + 1}` : source;
      throw new UsageError(`${where}: not valid YAML: ${err.reason}`);
    }
    throw err;
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new UsageError(`${source}: must be a YAML map with at least a hosts list (see docs/emulator.md)`);
  }
  const rawParams = (doc as { params?: unknown }).params ?? {};
  if (typeof rawParams !== "object" || rawParams === null || Array.isArray(rawParams)) {
    throw new UsageError(`${source}: params: must be a map of parameter defaults`);
  }
  const overridden = new Map<string, string>();
  const params = overrideParams(flattenParams(rawParams as Record<string, unknown>, source), overrides, name, setName, overridden);
  for (const [key, value] of params) paramsOut?.set(key, value);
  const references = new Map<string, string>();
  const substituted = substituteParams(doc, params, source, references);
  const result = scenarioSchema.safeParse(substituted);
  if (!result.success) throw new UsageError(formatIssues(result.error.issues, source, substituted, (where) => blame(where, references, overridden, setName)));
  return result.data;
}

/**
 * `--set hosts.count=-1` when the value at `where` (or at a path above it) is a whole `${hosts.count}` that was
 * overridden: the value is the option's, not the file's.
 */
function blame(where: string, references: ReadonlyMap<string, string>, overridden: ReadonlyMap<string, string>, setName: string): string | undefined {
  for (const [path, param] of references) {
    if (!overridden.has(param)) continue;
    if (where === path || where.startsWith(`${path}.`) || where.startsWith(`${path}[`)) return `${setName} ${param}=${overridden.get(param)}`;
  }
  return undefined;
}


const SHOWN_ISSUES = 5;

/** Zod's own texts ("Too small: expected number to be >=0") do not show the value: these issues get it appended. */
const SHOW_VALUE = new Set(["too_small", "too_big", "invalid_value", "invalid_format", "not_multiple_of"]);

function formatIssues(issues: z.core.$ZodIssue[], source: string, doc: unknown, blameOf: (where: string) => string | undefined): string {
  const lines = issues.slice(0, SHOWN_ISSUES).map((issue) => {
    const where = formatPath(issue.path);
    const origin = blameOf(where) ?? source;
    if (issue.code === "unrecognized_keys") return `${origin}: ${where}: unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    const value = valueAt(doc, issue.path);
    const shown = SHOW_VALUE.has(issue.code) && value !== null && typeof value !== "object" && value !== undefined ? ` (got ${JSON.stringify(value)})` : "";
    return `${origin}: ${where}: ${issue.message}${shown}`;
  });
  if (issues.length > SHOWN_ISSUES) lines.push(`(and ${issues.length - SHOWN_ISSUES} more problems)`);
  return lines.join("\n");
}
