/**
 * The files of the user's repository the settings point at (`prometheus.extraRuleFiles`, `grafana.extraDashboards`):
 * found, read and checked when the program starts (index.ts, at every `pulumi preview` and `up`, and `npm run plan`),
 * so a bad file stops the run before anything is deployed, with one line per problem naming the setting, the file
 * and what is wrong. Their content becomes the containers' uploads, so an edited file shows in `pulumi preview --diff`.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { findOnPath, loadYaml } from "../emulator/src/index";
import { bindDashboardDatasources, checkDashboard } from "./grafana/imported";
import { DASHBOARD_SCHEMA_VERSION, fitSchemaVersion, GRAFANA_SCHEMA_LINE } from "./grafana/schema-version";
import { ConfigError, Settings } from "./settings";

/** A file as a container receives it: its name in the container's folder and its content. */
export interface UserFile {
  readonly fileName: string;
  readonly content: string;
}

export interface UserFiles {
  readonly ruleFiles: readonly UserFile[];
  readonly dashboards: readonly UserFile[];
  /** Checks that could not run (no promtool) and dashboards adjusted to the pinned Grafana: said at every run. */
  readonly notices: readonly string[];
}

export interface UserFilesOptions {
  /** The folder the settings' paths are relative to: the project directory, where Pulumi.yaml is. */
  readonly projectDir: string;
  /** Names the stack file in messages, e.g. `Pulumi.dev.yaml`. */
  readonly source: string;
  readonly project?: string;
  /** promtool to check rule files with; null: none (the rules are then only checked as YAML with groups). */
  readonly promtool: string | null;
  /** uids of the stack's own dashboards, which no extra dashboard may take. */
  readonly reservedDashboardUids: readonly string[];
}

/** promtool on PATH, or null. */
export function findPromtool(searchPath = process.env.PATH ?? ""): string | null {
  return findOnPath("promtool", searchPath) ?? null;
}

interface Found {
  /** As the user wrote it (the pattern's folder and the file's name), for messages. */
  readonly shown: string;
  readonly absolute: string;
}

const WILDCARD = /[*?]/;

/** The files a path or pattern names, sorted; a problem when there is none. */
function expand(pattern: string, projectDir: string): Found[] | string {
  const normalized = pattern.replace(/\\/g, "/");
  const slash = normalized.lastIndexOf("/");
  const dir = slash < 0 ? "" : normalized.slice(0, slash);
  const name = normalized.slice(slash + 1);
  const absoluteDir = path.resolve(projectDir, dir);
  if (!WILDCARD.test(name)) {
    const absolute = path.resolve(projectDir, normalized);
    if (!fs.existsSync(absolute)) return "does not exist";
    if (!fs.statSync(absolute).isFile()) return "is not a file";
    return [{ shown: normalized, absolute }];
  }
  if (!fs.existsSync(absoluteDir) || !fs.statSync(absoluteDir).isDirectory()) return `matches no file: the folder ${dir || "."} does not exist`;
  const regex = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")}$`);
  const matches = fs
    .readdirSync(absoluteDir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && regex.test(entry.name) && (name.startsWith(".") || !entry.name.startsWith(".")))
    .map((entry) => entry.name)
    .sort();
  if (matches.length === 0) return "matches no file";
  return matches.map((file) => ({ shown: dir ? `${dir}/${file}` : file, absolute: path.join(absoluteDir, file) }));
}

/**
 * Every file the patterns of one setting name, once each, in the order given; `problems` gets one line per pattern
 * matching nothing and per file name taken twice (the container holds them in one folder).
 */
function findFiles(key: string, patterns: readonly string[], projectDir: string, problems: string[]): Found[] {
  const found: Found[] = [];
  const byName = new Map<string, string>();
  for (const pattern of patterns) {
    const files = expand(pattern, projectDir);
    if (typeof files === "string") {
      problems.push(`${key}: ${pattern} ${files}`);
      continue;
    }
    for (const file of files) {
      if (found.some((f) => f.absolute === file.absolute)) continue;
      const name = path.basename(file.absolute);
      const other = byName.get(name);
      if (other) {
        problems.push(`${key}: ${file.shown} and ${other} have the same file name; the container keeps them in one folder, so rename one`);
        continue;
      }
      byName.set(name, file.shown);
      found.push(file);
    }
  }
  return found;
}

function read(key: string, file: Found, problems: string[]): string | undefined {
  try {
    return fs.readFileSync(file.absolute, "utf8");
  } catch (err) {
    problems.push(`${key}: ${file.shown} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return undefined;
  }
}

/** What is wrong with a rule file's text, structurally: not YAML, or not a map with a groups list. */
export function ruleFileProblem(text: string): string | undefined {
  let doc: unknown;
  try {
    // Bounded: a rule file from elsewhere with nested aliases ("billion laughs") must not exhaust memory.
    doc = loadYaml(text);
  } catch (err) {
    // By name: the bounded loader is the emulator's, with its own copy of js-yaml (another YAMLException class).
    if (err instanceof Error && err.name === "YAMLException") {
      const { mark, reason } = err as yaml.YAMLException;
      return `is not valid YAML${mark ? ` (line ${mark.line + 1}, column ${mark.column + 1})` : ""}: ${reason}`;
    }
    throw err;
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc) || !Array.isArray((doc as { groups?: unknown }).groups)) {
    return "is not a Prometheus rule file: it must be a YAML map with a `groups` list";
  }
  return undefined;
}

/** promtool's complaint about a rule file, its own lines without the file name it repeats; undefined when it passes. */
function promtoolProblem(promtool: string, file: string): string | undefined {
  const result = spawnSync(promtool, ["check", "rules", file], { encoding: "utf8", timeout: 60_000 });
  if (result.error) return `could not be checked: running ${promtool} failed: ${result.error.message}`;
  if (result.status === 0) return undefined;
  const lines = `${result.stdout}\n${result.stderr}`
    .split("\n")
    .map((line) => line.split(file).join("").trim())
    .filter((line) => line && !/^Checking\b/.test(line) && !/^FAILED:?$/.test(line));
  return `fails \`promtool check rules\`: ${lines.join("; ")}`;
}

/**
 * Finds, reads and checks the extra rule files and dashboards of the settings; throws a ConfigError listing every
 * problem at once. The dashboards come back bound to the stack's datasource (config/grafana/imported.ts).
 */
export function loadUserFiles(settings: Settings, options: UserFilesOptions): UserFiles {
  const project = options.project ?? "promemu";
  const problems: string[] = [];
  const notices: string[] = [];

  const rulesKey = `${project}:prometheus.extraRuleFiles`;
  const ruleFiles: UserFile[] = [];
  const rules = findFiles(rulesKey, settings.prometheus.extraRuleFiles, options.projectDir, problems);
  if (rules.length > 0 && options.promtool === null) {
    notices.push(
      `${rulesKey}: promtool is not installed here, so the rules were only checked as YAML with groups; a rule Prometheus refuses stops its container at \`up\` (install the prometheus package to check them at preview)`,
    );
  }
  for (const file of rules) {
    const text = read(rulesKey, file, problems);
    if (text === undefined) continue;
    const problem = ruleFileProblem(text) ?? (options.promtool === null ? undefined : promtoolProblem(options.promtool, file.absolute));
    if (problem) problems.push(`${rulesKey}: ${file.shown} ${problem}`);
    else ruleFiles.push({ fileName: path.basename(file.absolute), content: text });
  }

  const dashboardsKey = `${project}:grafana.extraDashboards`;
  const dashboards: UserFile[] = [];
  if (settings.grafana.enabled) {
    const owners = new Map<string, string>(options.reservedDashboardUids.map((uid) => [uid, "one of the stack's own dashboards"]));
    for (const file of findFiles(dashboardsKey, settings.grafana.extraDashboards, options.projectDir, problems)) {
      const text = read(dashboardsKey, file, problems);
      if (text === undefined) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        problems.push(`${dashboardsKey}: ${file.shown} is not JSON: ${(err as Error).message}`);
        continue;
      }
      const checked = checkDashboard(parsed);
      if (!checked.ok) {
        problems.push(`${dashboardsKey}: ${file.shown} ${checked.problem}`);
        continue;
      }
      const owner = owners.get(checked.value.uid);
      if (owner) {
        problems.push(`${dashboardsKey}: ${file.shown} has the uid ${checked.value.uid}, as ${owner} has; every dashboard needs a uid of its own`);
        continue;
      }
      owners.set(checked.value.uid, file.shown);
      const bound = bindDashboardDatasources(parsed as Record<string, unknown>);
      if (!bound.ok) {
        problems.push(`${dashboardsKey}: ${file.shown} ${bound.problem}`);
        continue;
      }
      // A schemaVersion newer than the pinned Grafana knows: provisioned as Grafana itself reads it (config/grafana/schema-version.ts).
      const fitted = fitSchemaVersion(bound.value);
      if (fitted.newer !== undefined) {
        notices.push(
          `${dashboardsKey}: ${file.shown} declares schemaVersion ${fitted.newer}, newer than Grafana ${GRAFANA_SCHEMA_LINE} knows (${DASHBOARD_SCHEMA_VERSION}); provisioned as ${DASHBOARD_SCHEMA_VERSION}, which is how Grafana ${GRAFANA_SCHEMA_LINE} reads it anyway (no migration runs), so what needs a later Grafana may not show. Set "schemaVersion": ${DASHBOARD_SCHEMA_VERSION} in the file to silence this.`,
        );
      }
      dashboards.push({ fileName: path.basename(file.absolute), content: `${JSON.stringify(fitted.value, null, 2)}\n` });
    }
  }
  if (problems.length) throw new ConfigError(options.source, problems);
  return { ruleFiles, dashboards, notices };
}
