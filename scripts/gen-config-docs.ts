/**
 * Renders docs/configuration.md from SettingsSchema (config/settings.ts), so the reference cannot drift
 * from what the program accepts: `npm run docs:config` writes it, `npm run docs:config -- --check`
 * fails when the committed file is stale (tests/docs does the same).
 *
 * The structure, types, defaults and bounds come from zod's own JSON Schema export; the rules JSON
 * Schema cannot express (refinements such as "a duration") are the schema's own error messages.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { z } from "zod";
import { parseSettings, SECRET_CAPABLE_KEYS, SettingsSchema } from "../config/settings";

export const CONFIG_DOC = path.join(__dirname, "..", "docs", "configuration.md");

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  default?: unknown;
  description?: string;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  items?: JsonSchema;
  "x-rules"?: string[];
}

interface KeyRow {
  key: string;
  type: string;
  default: string;
  allowed: string;
  description: string;
}

/** The schema as JSON Schema, each node carrying the messages of its zod checks as `x-rules`. */
function settingsJsonSchema(): JsonSchema {
  return z.toJSONSchema(SettingsSchema, {
    io: "input",
    override: (ctx) => {
      type Check = { _zod: { def: { error?: (issue: unknown) => unknown } } };
      const def = (ctx.zodSchema as unknown as { _zod: { def: { format?: string; error?: (issue: unknown) => unknown; checks?: Check[] } } })._zod.def;
      // A string format (url, ...) carries its message on the schema itself; other rules are checks.
      const own = def.format ? [def.error?.({})] : [];
      const rules = [...own, ...(def.checks ?? []).map((c) => c._zod.def.error?.({}))].filter((m): m is string => typeof m === "string");
      if (rules.length) (ctx.jsonSchema as JsonSchema)["x-rules"] = rules;
    },
  }) as JsonSchema;
}

const code = (text: string) => `\`${text}\``;
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function typeOf(node: JsonSchema): string {
  if (node.anyOf) return node.anyOf.map(typeOf).join(" or ");
  if (Array.isArray(node.type)) return node.type.join(" or ");
  if (node.enum) return "string";
  if (node.format === "uri") return "URL";
  if (node.type === "array" && node.items) return `list of ${typeOf(node.items)}`;
  if (node.type === "object") {
    const values = typeof node.additionalProperties === "object" ? typeOf(node.additionalProperties) : "value";
    return `map of name to ${values}`;
  }
  return node.type ?? "any";
}

function allowedOf(node: JsonSchema): string {
  const parts: string[] = [];
  if (node.enum) parts.push(`one of ${node.enum.map((v) => code(String(v))).join(", ")}`);
  const low = node.minimum ?? (node.exclusiveMinimum !== undefined ? `more than ${node.exclusiveMinimum}` : undefined);
  const high = node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER ? node.maximum : undefined;
  if (typeof low === "number" && high !== undefined) parts.push(`${low} to ${high}`);
  else if (low !== undefined && high !== undefined) parts.push(`${low}, at most ${high}`);
  else if (low !== undefined) parts.push(typeof low === "number" ? `at least ${low}` : low);
  else if (high !== undefined) parts.push(`at most ${high}`);
  // "... for prometheus.retentionTime": the key is in the row already.
  const rules = (node["x-rules"] ?? []).map((r) => r.replace(/ for [\w.]+$/, ""));
  parts.push(...rules);
  if (node.type === "boolean") parts.push("`true` or `false`");
  if (node.pattern && rules.length === 0) parts.push(`matches ${code(node.pattern)}`);
  if (node.minLength !== undefined && rules.length === 0) parts.push(`at least ${node.minLength} characters`);
  if (node.propertyNames?.["x-rules"]) parts.push(`names: ${node.propertyNames["x-rules"].join("; ")}`);
  if (node.anyOf) parts.push(...node.anyOf.map(allowedOf).filter(Boolean));
  if (node.type === "array" && node.items) {
    const each = allowedOf(node.items);
    if (each) parts.push(`each: ${each}`);
  }
  return parts.join("; ");
}

function defaultOf(node: JsonSchema): string {
  if (node.default === undefined) return "unset";
  if (typeof node.default === "string") return code(node.default);
  return code(JSON.stringify(node.default));
}

/** True for a section of keys (an object with named properties), as opposed to a map or a value. */
const isSection = (node: JsonSchema) => node.type === "object" && node.properties !== undefined;

function rows(node: JsonSchema, prefix: string): KeyRow[] {
  return Object.entries(node.properties ?? {}).flatMap(([name, child]) => {
    const key = prefix ? `${prefix}.${name}` : name;
    if (isSection(child)) return rows(child, key);
    const secret = child.description?.startsWith("Secret.") ?? false;
    const secretCapable = (SECRET_CAPABLE_KEYS as readonly string[]).includes(key);
    return [
      {
        key,
        type: typeOf(child) + (secret ? " (secret)" : secretCapable ? " (may be a secret)" : ""),
        default: defaultOf(child),
        allowed: allowedOf(child),
        description: (child.description ?? "").replace(/^Secret\.\s*/, ""),
      },
    ];
  });
}

function table(keyRows: KeyRow[], project: string): string {
  const lines = ["| Key | Type | Default | Allowed values | Meaning |", "| --- | --- | --- | --- | --- |"];
  for (const r of keyRows) {
    lines.push(`| ${[code(`${project}:${r.key}`), r.type, r.default, r.allowed || "any", r.description].map(cell).join(" | ")} |`);
  }
  return lines.join("\n");
}

/** The whole of docs/configuration.md. */
export function renderConfigurationDoc(project = "promemu"): string {
  const schema = settingsJsonSchema();
  const entries = Object.entries(schema.properties ?? {});
  const topLevel = entries.filter(([, node]) => !isSection(node)).map(([name]) => name);
  const sections = entries.filter(([, node]) => isSection(node));
  const defaults = parseSettings({}, "defaults", project);
  const defaultsYaml = yaml.dump(
    { config: Object.fromEntries(Object.entries(defaults).map(([key, value]) => [`${project}:${key}`, value])) },
    { lineWidth: 120 },
  );
  const parts = [
    "# Configuration reference",
    "",
    "<!-- Generated from SettingsSchema in config/settings.ts by `npm run docs:config`. Do not edit: a test fails when this file is stale. -->",
    "",
    `Every key is optional. A stack's keys live in \`Pulumi.<stack>.yaml\` under the \`${project}:\` namespace; nested keys`,
    "are set with `--path`, secrets with `--secret`:",
    "",
    "```bash",
    "pulumi config set --stack dev --path prometheus.retentionTime 3d",
    "pulumi config set --stack dev --secret grafanaAdminPassword 'a long passphrase'",
    "npm run config -- --stack dev        # the effective configuration: defaults filled in, secrets masked",
    "```",
    "",
    "Durations use Prometheus' syntax (`15s`, `5m`, `1h30m`, `7d`). Host ports are the listed port plus `portOffset`.",
    "Keys marked secret or \"may be a secret\" stay secret (masked in plans, diffs and the state) when set with `--secret`;",
    "with `--path`, Pulumi makes the whole top-level key secret, which is allowed only for those. A secret on any other",
    "key is refused: its value reaches Docker in plain text (names, ports, flags).",
    "An invalid value stops `npm run up` before anything starts, with the file, the key and what is allowed.",
    "",
    "## Top-level keys",
    "",
    table(
      rows({ properties: Object.fromEntries(entries.filter(([name]) => topLevel.includes(name))) }, ""),
      project,
    ),
    "",
    ...sections.flatMap(([name, node]) => [`## \`${name}\``, "", table(rows(node, name), project), ""]),
    "## Every default",
    "",
    "The configuration an empty `Pulumi.<stack>.yaml` stands for (the password is generated when unset):",
    "",
    "```yaml",
    defaultsYaml.trimEnd(),
    "```",
    "",
  ];
  return parts.join("\n");
}

if (require.main === module) {
  const rendered = renderConfigurationDoc();
  const relative = path.relative(process.cwd(), CONFIG_DOC);
  if (process.argv.includes("--check")) {
    const current = fs.existsSync(CONFIG_DOC) ? fs.readFileSync(CONFIG_DOC, "utf8") : "";
    if (current !== rendered) {
      process.stderr.write(`${relative} is stale: run npm run docs:config and commit the result\n`);
      process.exitCode = 1;
    }
  } else {
    fs.mkdirSync(path.dirname(CONFIG_DOC), { recursive: true });
    fs.writeFileSync(CONFIG_DOC, rendered);
    process.stdout.write(`wrote ${relative}\n`);
  }
}
