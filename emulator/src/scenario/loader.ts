/**
 * Finds a scenario (a built-in name or a YAML file), reads it, applies parameters and validates it.
 * Every failure is a UsageError that names the file and the path inside it.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import type { z } from "zod";
import { UsageError, formatPath } from "../errors";
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
export function loadScenario(ref: string, overrides: readonly SetEntry[] = [], limit: SeriesLimit = DEFAULT_LIMIT): LoadedScenario {
  const { text, file, name } = readScenario(ref);
  return parseScenario(text, file, name, overrides, limit);
}

/** Hosts and series of a scenario with its overrides, validated but not built (the stack's configuration check uses it). */
export function scenarioSize(ref: string, overrides: readonly SetEntry[] = []): ScenarioSize {
  const { text, file, name } = readScenario(ref);
  const scenario = validate(text, file, name, overrides);
  return measureScenario(scenario, file);
}

/** `source` only names the document in messages. */
export function parseScenario(text: string, source: string, name: string, overrides: readonly SetEntry[] = [], limit: SeriesLimit = DEFAULT_LIMIT): LoadedScenario {
  const params = new Map<string, ParamValue>();
  const scenario = validate(text, source, name, overrides, params);
  return { scenario: compileScenario(scenario, source, name, limit), params };
}

/** Parses, applies the overrides and checks the schema; `paramsOut` receives the parameters in force. */
function validate(text: string, source: string, name: string, overrides: readonly SetEntry[], paramsOut?: Map<string, ParamValue>): Scenario {
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: source, schema: yaml.CORE_SCHEMA });
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
  const params = overrideParams(flattenParams(rawParams as Record<string, unknown>, source), overrides, name);
  for (const [key, value] of params) paramsOut?.set(key, value);
  const result = scenarioSchema.safeParse(substituteParams(doc, params, source));
  if (!result.success) throw new UsageError(formatIssues(result.error.issues, source));
  return result.data;
}

const SHOWN_ISSUES = 5;

function formatIssues(issues: z.core.$ZodIssue[], source: string): string {
  const lines = issues.slice(0, SHOWN_ISSUES).map((issue) => {
    const where = formatPath(issue.path);
    if (issue.code === "unrecognized_keys") return `${source}: ${where}: unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    return `${source}: ${where}: ${issue.message}`;
  });
  if (issues.length > SHOWN_ISSUES) lines.push(`(and ${issues.length - SHOWN_ISSUES} more problems)`);
  return lines.join("\n");
}
