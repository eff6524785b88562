/**
 * `npm run plan:diff -- --base <git-ref> [--stack dev] [--format text|markdown|json]`: what a change does to
 * the infrastructure, without Docker or the Pulumi CLI. It runs the offline plan (scripts/plan.ts) of the
 * base commit, checked out in a temporary git worktree, and of the working tree, and prints the resources
 * added, removed and changed, with each changed property path and its old => new value, in the style of
 * `pulumi preview --diff`: each changed resource is updated in place (`~`) or replaced (`+-`) as the real
 * providers decide (docker 5.2.0, command 1.2.1), with the inputs that force the replacement. The pull-request
 * workflow puts the markdown form in the job summary.
 */
import { spawnSync } from "child_process";
import { Command, Option } from "commander";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SERVICE_REPLACE_ON_CHANGES } from "../components/service";
import type { Plan, PlanResource } from "./plan";

export type { Plan, PlanResource };

export type PropertyChange =
  | { kind: "add"; path: string; value: unknown }
  | { kind: "delete"; path: string; value: unknown }
  | { kind: "update"; path: string; old: unknown; new: unknown }
  /** The value holds the id of a resource that is replaced, which is known only once the replacement exists. */
  | { kind: "computed"; path: string; old: unknown; after: string };

/** An input whose change makes the resource a replacement, by the provider's own rule or by the program's replaceOnChanges. */
export interface ReplaceReason {
  /** The top-level input, as `pulumi preview --json` lists it in a step's replaceReasons. */
  property: string;
  by: "provider" | "replaceOnChanges";
}

export interface ResourceChange {
  type: string;
  name: string;
  /** What `pulumi preview` does to the resource: update it in place or replace it. */
  op: Operation;
  /** Empty for an update. */
  replaceReasons: ReplaceReason[];
  /** A replace deletes the old resource before it creates the new one (the name or the host ports cannot be shared). */
  deleteBeforeReplace: boolean;
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

// ---- Update or replace: the real providers' rules ---------------------------------------------------------
//
// What `pulumi preview` does with a changed resource is its provider's decision (Diff), then the engine's: the
// resource is replaced when the provider marks a changed input as replacing, or when a changed input is under one
// of the resource's replaceOnChanges paths. The tables below are read in the providers' sources (built by
// scripts/offline-toolchain/build.sh into ~/.cache/promemu/toolchain/build/):
// - docker 5.2.0 bridges terraform-provider-docker v4.5.0 (pulumi-docker `upstream/internal/provider/`): an input
//   whose Terraform schema has `ForceNew: true`, at any depth, replaces; the bridge reports the top-level input
//   (pulumi-terraform-bridge v3.137.0 pkg/tfbridge/provider.go Diff). Pulumi names are the camelCase of the
//   Terraform names, lists and sets plural (provider/cmd/pulumi-resource-docker/bridge-metadata.json).
// - docker:index/image:Image is native (pulumi-docker provider/provider.go dockerNativeProvider.Diff): every change
//   is an update, never a replace.
// - command 1.2.1 (pulumi-command provider/pkg/provider/local): Command implements Update, so pulumi-go-provider's
//   default Diff updates in place; `triggers` carries `provider:"replaceOnChanges"` (pkg/provider/common/inputs.go),
//   which @pulumi/command also sets as the resource option replaceOnChanges: ["triggers[*]"] (local/command.js).

export type Operation = "update" | "replace";

interface ProviderRules {
  /** What a change of an input that `except` does not cover does. */
  otherwise: Operation;
  /** Inputs (dotted paths without indices; a path covers what is below it) whose change does the opposite. */
  except: readonly string[];
  /** Inputs whose change the provider does not report at all. */
  ignored?: readonly string[];
  /**
   * When the provider asks for delete-before-replace: always (the resource's DeleteBeforeReplace), or when `name` is
   * set by the program rather than auto-named (pulumi-terraform-bridge pkg/tfbridge/schema.go
   * nameRequiresDeleteBeforeReplace, with the autonaming of pulumi-docker provider/resources.go SetAutonaming).
   */
  deleteBeforeReplace?: "always" | "named";
}

const CONTAINER = "docker:index/container:Container";

export const PROVIDER_RULES: Readonly<Record<string, ProviderRules>> = {
  // resource_docker_container.go: every input is ForceNew except these (`rm`, `start`, `wait`, `wait_timeout`,
  // `attach`, `logs`, `must_run`, `restart`, `max_retry_count`, `remove_volumes`, `tmpfs`, `device_*_bps|iops`,
  // `destroy_grace_seconds`, `memory`, `memory_reservation`, `memory_swap`, `cpu_shares`, `cpu_set`, `healthcheck`
  // and all below it, `container_read_refresh_timeout_milliseconds`, `init`, `cpu_period`, `cpu_quota`).
  // provider/resources.go gives docker_container `DeleteBeforeReplace: true`.
  [CONTAINER]: {
    otherwise: "replace",
    except: [
      "rm", "start", "wait", "waitTimeout", "attach", "logs", "mustRun", "restart", "maxRetryCount", "removeVolumes", "tmpfs",
      "deviceReadBps", "deviceReadIops", "deviceWriteBps", "deviceWriteIops", "destroyGraceSeconds", "memory", "memoryReservation",
      "memorySwap", "cpuShares", "cpuSet", "healthcheck", "containerReadRefreshTimeoutMilliseconds", "init", "cpuPeriod", "cpuQuota",
    ],
    deleteBeforeReplace: "always",
  },
  // resource_docker_volume.go: `name`, `labels`, `driver`, `driver_opts` are ForceNew; `cluster` is not, but every
  // input below it is, except `availability` (and the computed `id`).
  "docker:index/volume:Volume": { otherwise: "replace", except: ["cluster.availability", "cluster.id"], deleteBeforeReplace: "named" },
  // resource_docker_network.go: every input is ForceNew, `ipam_config` and all below it too.
  "docker:index/network:Network": { otherwise: "replace", except: [], deleteBeforeReplace: "named" },
  // resource_docker_image.go (docker_image is RemoteImage): `name`, `pull_triggers`, `triggers`, `platform` are
  // ForceNew, `keep_locally` and `force_remove` are not; `build` is not, but every input below it is, except `tag`,
  // `remove`, `label` and `auth_config`. provider/resources.go names RemoteImage's `name` itself: not auto-named.
  "docker:index/remoteImage:RemoteImage": {
    otherwise: "replace",
    except: ["keepLocally", "forceRemove", "build.tags", "build.remove", "build.label", "build.authConfigs"],
  },
  // provider/provider.go Diff: an update for any changed input; a `registry` change counts only when its `server` changes.
  "docker:index/image:Image": { otherwise: "update", except: [], ignored: ["registry.username", "registry.password"] },
  // pkg/provider/common/inputs.go: `triggers` replaces; Command has an Update, so every other input updates.
  "command:local:Command": { otherwise: "update", except: ["triggers"] },
};

/** Resource options the program declares, which a plan does not carry, each read from where the program sets it. */
interface DeclaredOptions {
  /** Which resources of a plan they apply to. */
  applies: (r: { type: string; name: string; inputs: Record<string, unknown> }) => boolean;
  replaceOnChanges: readonly string[];
  deleteBeforeReplace: boolean;
}

export const DECLARED_OPTIONS: readonly DeclaredOptions[] = [
  // components/service.ts serviceContainer: `<name>-container`, `-<replica>` after the first.
  { applies: (r) => r.type === CONTAINER && /-container(-\d+)?$/.test(r.name), replaceOnChanges: SERVICE_REPLACE_ON_CHANGES, deleteBeforeReplace: true },
  // components/one-shot.ts oneShotContainer: every other container.
  { applies: (r) => r.type === CONTAINER, replaceOnChanges: [], deleteBeforeReplace: true },
];

const NO_OPTIONS: DeclaredOptions = { applies: () => true, replaceOnChanges: [], deleteBeforeReplace: false };

export const declaredOptions = (r: { type: string; name: string; inputs: Record<string, unknown> }): DeclaredOptions =>
  DECLARED_OPTIONS.find((o) => o.applies(r)) ?? NO_OPTIONS;

/** `ports[0].external` => ["ports", "external"]; `triggers[*]` => ["triggers"]. */
const segments = (p: string) => p.replace(/\[[^\]]*\]/g, "").split(".").filter(Boolean);
const under = (p: string, rule: string) => {
  const [a, b] = [segments(p), segments(rule)];
  return b.length <= a.length && b.every((s, i) => s === a[i]);
};

export interface Classification {
  op: Operation;
  replaceReasons: ReplaceReason[];
  deleteBeforeReplace: boolean;
  /** The changes the provider reports (without those it ignores). */
  changes: PropertyChange[];
}

/**
 * Update or replace, for a resource of the plan with these changes. A type without rules (none today: components
 * have no inputs) shows as an update. `parent` is not an input: it neither updates nor replaces.
 */
export function classify(r: { type: string; name: string; inputs: Record<string, unknown> }, changes: PropertyChange[]): Classification {
  const rules = PROVIDER_RULES[r.type];
  const options = declaredOptions(r);
  const reported = changes.filter((c) => !rules?.ignored?.some((rule) => under(c.path, rule)));
  const reasons = new Map<string, ReplaceReason>();
  for (const c of reported) {
    if (c.path === "parent") continue;
    const property = segments(c.path)[0];
    const byProvider = rules ? (rules.except.some((rule) => under(c.path, rule)) ? rules.otherwise !== "replace" : rules.otherwise === "replace") : false;
    if (byProvider) reasons.set(property, { property, by: "provider" });
    else if (!reasons.has(property) && options.replaceOnChanges.some((rule) => under(c.path, rule))) reasons.set(property, { property, by: "replaceOnChanges" });
  }
  const replaceReasons = [...reasons.values()].sort((a, b) => a.property.localeCompare(b.property));
  const op: Operation = replaceReasons.length ? "replace" : "update";
  const byProvider = rules?.deleteBeforeReplace === "always" || (rules?.deleteBeforeReplace === "named" && typeof r.inputs.name === "string");
  return { op, replaceReasons, deleteBeforeReplace: op === "replace" && (byProvider || options.deleteBeforeReplace), changes: reported };
}

/** Every string in a value, with its path. */
function strings(value: unknown, at = ""): { path: string; value: string }[] {
  if (typeof value === "string") return [{ path: at, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, join(at, i)));
  if (isObject(value)) return Object.keys(value).sort().flatMap((k) => strings(value[k], join(at, k)));
  return [];
}

/** The id the mocks give a resource (scripts/mocked-program.ts: `${name}-id`), as it appears in another's inputs. */
const mockId = (name: string) => new RegExp(`(?<![\\w.-])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-id(?![\\w-])`);

/** The changes the id of a replaced resource brings into the inputs that hold it, and that `own` does not cover yet. */
function computedChanges(inputs: Record<string, unknown>, own: PropertyChange[], replaced: Set<string>, self: string): PropertyChange[] {
  const covered = (p: string) => own.some((c) => p === c.path || p.startsWith(`${c.path}.`) || p.startsWith(`${c.path}[`));
  return strings(inputs).flatMap(({ path: at, value }) => {
    const by = covered(at) ? undefined : [...replaced].find((name) => name !== self && mockId(name).test(value));
    return by ? [{ kind: "computed" as const, path: at, old: value, after: by }] : [];
  });
}

/**
 * Resources added, removed and changed, each change classified as `pulumi preview` would. A replaced resource gets
 * a new id, which the preview does not know yet: an input holding it changes too (the end-of-up check's `triggers`
 * hold the container ids), which may replace that resource in turn.
 */
export function diffPlans(base: Plan, head: Plan): PlanDiff {
  const before = new Map(base.resources.map((r) => [keyOf(r), r]));
  const after = new Set(head.resources.map(keyOf));
  const kept = head.resources.filter((r) => before.has(keyOf(r)));
  const changes = new Map(
    kept.map((r) => {
      const old = before.get(keyOf(r))!;
      return [r, diffValues({ parent: old.parent, ...old.inputs }, { parent: r.parent, ...r.inputs })] as const;
    }),
  );
  const replaced = new Set<string>();
  const classified = new Map<PlanResource, Classification>();
  for (;;) {
    for (const r of kept) classified.set(r, classify(r, changes.get(r)!));
    const newly = kept.filter((r) => classified.get(r)!.op === "replace" && !replaced.has(r.name));
    if (newly.length === 0) break;
    for (const r of newly) replaced.add(r.name);
    for (const r of kept) changes.get(r)!.push(...computedChanges(r.inputs, changes.get(r)!, replaced, r.name));
  }
  const diff: PlanDiff = { added: head.resources.filter((r) => !before.has(keyOf(r))), removed: [], changed: [], unchanged: 0 };
  for (const r of kept) {
    const c = classified.get(r)!;
    if (c.changes.length) diff.changed.push({ type: r.type, name: r.name, op: c.op, replaceReasons: c.replaceReasons, deleteBeforeReplace: c.deleteBeforeReplace, changes: c.changes });
    else diff.unchanged += 1;
  }
  diff.removed = base.resources.filter((r) => !after.has(keyOf(r)));
  return diff;
}

/** A diff line: its sign, nesting depth and text. Text and markdown place the sign differently. */
interface Line {
  sign: "+" | "-" | "~" | "+-" | " ";
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
  // `pulumi preview --diff` shows a value not known before the update as output<string>.
  if (change.kind === "computed") return [{ sign: "~", depth, text: `${change.path}: ${show(change.old)} => output<string> (the new id of ${change.after})` }];
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

/** `update`, or `replace: envs, healthcheck (replaceOnChanges); delete before replace`. */
export function describeOp(r: ResourceChange): string {
  if (r.op === "update") return "update";
  const reasons = r.replaceReasons.map((x) => (x.by === "provider" ? x.property : `${x.property} (replaceOnChanges)`)).join(", ");
  return `replace: ${reasons}${r.deleteBeforeReplace ? "; delete before replace" : ""}`;
}

function diffLineList(diff: PlanDiff): Line[] {
  const lines: Line[] = [];
  for (const r of diff.added) {
    lines.push({ sign: "+", depth: 1, text: `${r.type} ${r.name} (create)` });
    lines.push(...valueLines("+", { parent: r.parent, ...r.inputs }, "", 3));
  }
  for (const r of diff.changed) {
    lines.push({ sign: r.op === "replace" ? "+-" : "~", depth: 1, text: `${r.type} ${r.name} (${describeOp(r)})` });
    for (const c of r.changes) lines.push(...changeLines(c, 3));
  }
  for (const r of diff.removed) lines.push({ sign: "-", depth: 1, text: `${r.type} ${r.name} (delete)` });
  return lines;
}

/** Counts in the order and with the signs of `pulumi preview`'s summary. */
function counts(diff: PlanDiff): [string, number, string][] {
  const updates = diff.changed.filter((r) => r.op === "update").length;
  return [
    ["+ ", diff.added.length, "create"],
    ["~ ", updates, "update"],
    ["- ", diff.removed.length, "delete"],
    ["+-", diff.changed.length - updates, "replace"],
  ];
}

function summary(diff: PlanDiff): string[] {
  return ["Resources:", ...counts(diff).filter(([, n]) => n > 0).map(([s, n, what]) => `    ${s}${n} to ${what}`), `    ${diff.unchanged} unchanged`];
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
  const body = diffLineList(diff).map((l) => `${l.sign === "~" || l.sign === "+-" ? "!" : l.sign} ${"  ".repeat(l.depth - 1)}${l.text}`.trimEnd());
  const changes = diff.added.length + diff.changed.length + diff.removed.length;
  const ops = counts(diff)
    .filter(([, n]) => n > 0)
    .map(([, n, what]) => `${n} to ${what}`)
    .join(", ");
  return [
    `Stack \`${labels.stack}\`, \`${labels.base}\` => ${labels.head}: **${changes === 0 ? "no resource changes" : `${changes} resources change`}**${changes ? `: ${ops}` : ""} (${diff.unchanged} unchanged).`,
    "",
    ...(changes ? ["```diff", ...body, "```", ""] : []),
    "<sub>Computed offline from the Pulumi program under mocks (`npm run plan:diff`). Update or replace as the real docker 5.2.0 and " +
      "command 1.2.1 providers and the program's replaceOnChanges decide, with the inputs that force a replacement; " +
      "updates and replacements are `!` lines.</sub>",
    "",
  ].join("\n");
}

/** For scripts: the labels and the diff, each changed resource with its `op`, `replaceReasons` and `deleteBeforeReplace`. */
export function renderJson(diff: PlanDiff, labels: DiffLabels): string {
  return `${JSON.stringify({ ...labels, ...diff }, null, 2)}\n`;
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
    if (opts.format === "json") process.stdout.write(renderJson(diff, labels));
    else process.stdout.write(opts.format === "markdown" ? renderMarkdown(diff, labels) : renderText(diff, labels));
  } catch (err) {
    if (!(err instanceof PlanDiffError)) throw err;
    process.stderr.write(`plan:diff: ${err.message}\n`);
    process.exitCode = 2;
  }
}

if (require.main === module) main(process.argv);
