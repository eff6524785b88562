/**
 * `npm run plan:diff -- --base <git-ref> [--stack dev] [--format text|markdown|json]`: what a change does to
 * the infrastructure, without Docker or the Pulumi CLI. It runs the offline plan (scripts/plan.ts) of the
 * base commit, checked out in a temporary git worktree, and of the working tree, and prints the resources
 * added, removed and changed, with each changed property path and its old => new value, in the style of
 * `pulumi preview --diff`. The pull-request workflow puts the markdown form in the job summary.
 */
import { spawnSync } from "child_process";
import { Command, Option } from "commander";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Plan, PlanResource } from "./plan";

export type { Plan, PlanResource };

export type PropertyChange =
  | { kind: "add"; path: string; value: unknown }
  | { kind: "delete"; path: string; value: unknown }
  | { kind: "update"; path: string; old: unknown; new: unknown };

export interface ResourceChange {
  type: string;
  name: string;
  changes: PropertyChange[];
}

export interface PlanDiff {
  added: PlanResource[];
  removed: PlanResource[];
  changed: ResourceChange[];
  unchanged: number;
}

/** A resource is the same resource in both plans when type and name match (its URN then matches too). */
const keyOf = (r: { type: string; name: string }) => `${r.type}::${r.name}`;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const join = (prefix: string, key: string | number) => (typeof key === "number" ? `${prefix}[${key}]` : prefix ? `${prefix}.${key}` : key);

/** Property-level differences, depth first, with paths such as `ports[0].external` or `envs[3]`. */
export function diffValues(old: unknown, next: unknown, at = ""): PropertyChange[] {
  if (Array.isArray(old) && Array.isArray(next)) {
    return Array.from({ length: Math.max(old.length, next.length) }, (_, i) =>
      i >= old.length
        ? [{ kind: "add" as const, path: join(at, i), value: next[i] }]
        : i >= next.length
          ? [{ kind: "delete" as const, path: join(at, i), value: old[i] }]
          : diffValues(old[i], next[i], join(at, i)),
    ).flat();
  }
  if (isObject(old) && isObject(next)) {
    const keys = [...new Set([...Object.keys(old), ...Object.keys(next)])].sort();
    return keys.flatMap((k) =>
      !(k in next)
        ? [{ kind: "delete" as const, path: join(at, k), value: old[k] }]
        : !(k in old)
          ? [{ kind: "add" as const, path: join(at, k), value: next[k] }]
          : diffValues(old[k], next[k], join(at, k)),
    );
  }
  return JSON.stringify(old) === JSON.stringify(next) ? [] : [{ kind: "update", path: at, old, new: next }];
}

export function diffPlans(base: Plan, head: Plan): PlanDiff {
  const before = new Map(base.resources.map((r) => [keyOf(r), r]));
  const after = new Map(head.resources.map((r) => [keyOf(r), r]));
  const diff: PlanDiff = { added: [], removed: [], changed: [], unchanged: 0 };
  for (const r of head.resources) {
    const old = before.get(keyOf(r));
    if (!old) {
      diff.added.push(r);
      continue;
    }
    const changes = diffValues({ parent: old.parent, ...old.inputs }, { parent: r.parent, ...r.inputs });
    if (changes.length) diff.changed.push({ type: r.type, name: r.name, changes });
    else diff.unchanged += 1;
  }
  diff.removed = base.resources.filter((r) => !after.has(keyOf(r)));
  return diff;
}

/** A diff line: its sign, nesting depth and text. Text and markdown place the sign differently. */
interface Line {
  sign: "+" | "-" | "~" | " ";
  depth: number;
  text: string;
}

/** Longest-common-subsequence line diff of two texts (config files in uploads are a few hundred lines). */
export function diffLines(old: string, next: string): { sign: "+" | "-" | " "; text: string }[] {
  const a = old.split("\n");
  const b = next.split("\n");
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const out: { sign: "+" | "-" | " "; text: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push({ sign: " ", text: a[i] });
      i += 1;
      j += 1;
    } else if (i < a.length && (j >= b.length || lcs[i + 1][j] >= lcs[i][j + 1])) out.push({ sign: "-", text: a[i++] });
    else out.push({ sign: "+", text: b[j++] });
  }
  return out;
}

/** Changed lines with `context` unchanged lines around them; `...` marks what is left out. */
function hunks(lines: { sign: "+" | "-" | " "; text: string }[], context = 2): { sign: "+" | "-" | " "; text: string }[] {
  const keep = lines.map((_, i) => lines.slice(Math.max(0, i - context), i + context + 1).some((l) => l.sign !== " "));
  const out: { sign: "+" | "-" | " "; text: string }[] = [];
  lines.forEach((line, i) => {
    if (keep[i]) out.push(line);
    else if (keep[i - 1] !== false || i === 0) out.push({ sign: " ", text: "..." });
  });
  return out;
}

const show = (v: unknown) => JSON.stringify(v);
const multiline = (v: unknown): v is string => typeof v === "string" && v.includes("\n");

function valueLines(sign: "+" | "-", value: unknown, at: string, depth: number): Line[] {
  if (isObject(value) || Array.isArray(value)) {
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value).sort(([x], [y]) => x.localeCompare(y));
    if (entries.length === 0) return [{ sign, depth, text: `${at}: ${show(value)}` }];
    return entries.flatMap(([k, v]) => valueLines(sign, v, join(at, k), depth));
  }
  if (multiline(value)) {
    return [{ sign, depth, text: `${at}: |` }, ...value.split("\n").map((text) => ({ sign, depth: depth + 1, text }))];
  }
  return [{ sign, depth, text: `${at}: ${show(value)}` }];
}

function changeLines(change: PropertyChange, depth: number): Line[] {
  if (change.kind === "add") return valueLines("+", change.value, change.path, depth);
  if (change.kind === "delete") return valueLines("-", change.value, change.path, depth);
  if (multiline(change.old) || multiline(change.new)) {
    const body = hunks(diffLines(String(change.old ?? ""), String(change.new ?? "")));
    return [{ sign: "~", depth, text: `${change.path}:` }, ...body.map((l) => ({ sign: l.sign, depth: depth + 1, text: l.text }))];
  }
  return [{ sign: "~", depth, text: `${change.path}: ${show(change.old)} => ${show(change.new)}` }];
}

export interface DiffLabels {
  stack: string;
  base: string;
  head: string;
}

function diffLineList(diff: PlanDiff): Line[] {
  const lines: Line[] = [];
  for (const r of diff.added) {
    lines.push({ sign: "+", depth: 1, text: `${r.type} ${r.name} (create)` });
    lines.push(...valueLines("+", { parent: r.parent, ...r.inputs }, "", 3));
  }
  for (const r of diff.changed) {
    lines.push({ sign: "~", depth: 1, text: `${r.type} ${r.name} (update)` });
    for (const c of r.changes) lines.push(...changeLines(c, 3));
  }
  for (const r of diff.removed) lines.push({ sign: "-", depth: 1, text: `${r.type} ${r.name} (delete)` });
  return lines;
}

function summary(diff: PlanDiff): string[] {
  const counts: [string, number, string][] = [
    ["+", diff.added.length, "to create"],
    ["~", diff.changed.length, "to update"],
    ["-", diff.removed.length, "to delete"],
  ];
  return ["Resources:", ...counts.filter(([, n]) => n > 0).map(([s, n, what]) => `    ${s} ${n} ${what}`), `    ${diff.unchanged} unchanged`];
}

/** `pulumi preview --diff`-like text: sign after the indentation. */
export function renderText(diff: PlanDiff, labels: DiffLabels): string {
  const header = `Offline plan diff of stack ${labels.stack}: ${labels.base} => ${labels.head}`;
  const body = diffLineList(diff).map((l) => `${"  ".repeat(l.depth - 1)}${l.sign} ${l.text}`.trimEnd());
  const nothing = body.length === 0 ? ["  No resource changes."] : [];
  return [header, "", ...body, ...nothing, "", ...summary(diff), ""].join("\n");
}

/** For a GitHub job summary: a `diff` code block, sign in the first column so GitHub colours the lines. */
export function renderMarkdown(diff: PlanDiff, labels: DiffLabels): string {
  const body = diffLineList(diff).map((l) => `${l.sign === "~" ? "!" : l.sign} ${"  ".repeat(l.depth - 1)}${l.text}`.trimEnd());
  const changes = diff.added.length + diff.changed.length + diff.removed.length;
  return [
    `Stack \`${labels.stack}\`, \`${labels.base}\` => ${labels.head}: **${changes === 0 ? "no resource changes" : `${changes} resources change`}** (${diff.unchanged} unchanged).`,
    "",
    ...(changes ? ["```diff", ...body, "```", ""] : []),
    "<sub>Computed offline from the Pulumi program under mocks (`npm run plan:diff`); `~` updates are shown as `!` lines.</sub>",
    "",
  ].join("\n");
}

// ---- Running the plans ------------------------------------------------------------------------------------

class PlanDiffError extends Error {}

function git(cwd: string, args: string[]): string {
  const result = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (result.error) throw new PlanDiffError(`git is not installed: ${result.error.message}`);
  if (result.status !== 0) throw new PlanDiffError(`git ${args.join(" ")} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** Runs scripts/plan.ts of the checkout in `dir` with the ts-node of `toolsDir`; undefined when that checkout has no plan script. */
export function runPlan(dir: string, stack: string, toolsDir: string): Plan | undefined {
  if (!fs.existsSync(path.join(dir, "scripts", "plan.ts"))) return undefined;
  const tsNode = path.join(toolsDir, "node_modules", "ts-node", "dist", "bin.js");
  const result = spawnSync(process.execPath, [tsNode, "--transpile-only", path.join("scripts", "plan.ts"), "--stack", stack, "--format", "json"], {
    cwd: dir,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, PULUMI_STACK: stack },
  });
  if (result.status !== 0) {
    throw new PlanDiffError(`the plan of ${dir} failed (exit ${result.status}):\n${(result.stderr || result.stdout).trim().split("\n").slice(-8).join("\n")}`);
  }
  try {
    return JSON.parse(result.stdout) as Plan;
  } catch {
    throw new PlanDiffError(`the plan of ${dir} is not JSON: ${result.stdout.slice(0, 200)}`);
  }
}

/** Checks `ref` out in a temporary worktree (sharing node_modules) and runs `work` on it, then removes it. */
export function withWorktree<T>(root: string, commit: string, work: (dir: string) => T): T {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-plan-base-"));
  const dir = path.join(parent, "checkout");
  git(root, ["worktree", "add", "--detach", "--quiet", dir, commit]);
  try {
    for (const modules of ["node_modules", path.join("emulator", "node_modules")]) {
      if (fs.existsSync(path.join(root, modules)) && fs.existsSync(path.dirname(path.join(dir, modules)))) {
        fs.symlinkSync(path.join(root, modules), path.join(dir, modules), "dir");
      }
    }
    return work(dir);
  } finally {
    spawnSync("git", ["worktree", "remove", "--force", dir], { cwd: root });
    fs.rmSync(parent, { recursive: true, force: true });
    spawnSync("git", ["worktree", "prune"], { cwd: root });
  }
}

export interface PlanDiffOptions {
  base: string;
  stack: string;
  cwd: string;
}

/** Plans the base commit and the working tree and compares them. */
export function planDiff(options: PlanDiffOptions): { diff: PlanDiff; labels: DiffLabels; notes: string[] } {
  const root = git(options.cwd, ["rev-parse", "--show-toplevel"]);
  let commit: string;
  try {
    commit = git(root, ["rev-parse", "--verify", "--quiet", `${options.base}^{commit}`]);
  } catch {
    throw new PlanDiffError(`unknown git ref '${options.base}': name a branch, tag or commit (fetch it first, e.g. git fetch origin main)`);
  }
  const notes: string[] = [];
  const empty: Plan = { project: "", stack: options.stack, resources: [] };
  const base = withWorktree(root, commit, (dir) => runPlan(dir, options.stack, root));
  if (!base) notes.push(`${options.base} has no scripts/plan.ts: every resource shows as new`);
  const head = runPlan(root, options.stack, root);
  if (!head) throw new PlanDiffError(`${root} has no scripts/plan.ts: nothing to compare`);
  return { diff: diffPlans(base ?? empty, head), labels: { stack: options.stack, base: `${options.base} (${commit.slice(0, 7)})`, head: "working tree" }, notes };
}

function main(argv: string[]): void {
  const program = new Command("plan:diff")
    .description("compare the offline plans of a git ref and the working tree, like pulumi preview --diff")
    .requiredOption("--base <git-ref>", "the commit to compare with, e.g. origin/main")
    .option("--stack <name>", "stack whose Pulumi.<name>.yaml both plans use", "dev")
    .addOption(new Option("--format <format>", "output format").choices(["text", "markdown", "json"]).default("text"))
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .parse(argv);
  const opts = program.opts<{ base: string; stack: string; format: "text" | "markdown" | "json" }>();
  try {
    const { diff, labels, notes } = planDiff({ base: opts.base, stack: opts.stack, cwd: process.cwd() });
    for (const note of notes) process.stderr.write(`note: ${note}\n`);
    if (opts.format === "json") process.stdout.write(`${JSON.stringify({ ...labels, ...diff }, null, 2)}\n`);
    else process.stdout.write(opts.format === "markdown" ? renderMarkdown(diff, labels) : renderText(diff, labels));
  } catch (err) {
    if (!(err instanceof PlanDiffError)) throw err;
    process.stderr.write(`plan:diff: ${err.message}\n`);
    process.exitCode = 2;
  }
}

if (require.main === module) main(process.argv);
