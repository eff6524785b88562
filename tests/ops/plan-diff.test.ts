/**
 * plan:diff: the property-level comparison and its pulumi-preview-like rendering, then the whole command on
 * git repositories (a stub plan script, and this repository's own program on a clone).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { diffLines, diffPlans, Plan, planDiff, renderMarkdown, renderText } from "../../scripts/plan-diff";

const ROOT = path.resolve(__dirname, "../..");

const plan = (resources: Plan["resources"]): Plan => ({ project: "promemu", stack: "dev", resources });
const BASE = plan([
  { type: "promemu:index:Prometheus", name: "prom", parent: null, inputs: {} },
  { type: "docker:index/container:Container", name: "prom-c", parent: "prom", inputs: { image: "prom/prometheus:v3.4.0", envs: ["A=1", "B=2"], ports: [{ external: 9090 }], upload: "a\nb\nc\nd\ne\nf\ng" } },
  { type: "docker:index/volume:Volume", name: "old-v", parent: "prom", inputs: { name: "promemu-dev-old" } },
]);
const HEAD = plan([
  { type: "promemu:index:Prometheus", name: "prom", parent: null, inputs: {} },
  { type: "docker:index/container:Container", name: "prom-c", parent: "prom", inputs: { image: "prom/prometheus:v3.5.0", envs: ["A=1"], ports: [{ external: 9190, ip: "127.0.0.1" }], upload: "a\nb\nc\nd\nE\nf\ng" } },
  { type: "docker:index/volume:Volume", name: "new-v", parent: "prom", inputs: { name: "promemu-dev-new", labels: [{ label: "x", value: "y" }] } },
]);
const LABELS = { stack: "dev", base: "origin/main (abc1234)", head: "working tree" };

describe("plan diff rendering", () => {
  test("added, removed and changed resources, with every changed property path", () => {
    const diff = diffPlans(BASE, HEAD);
    expect(diff.added.map((r) => r.name)).toEqual(["new-v"]);
    expect(diff.removed.map((r) => r.name)).toEqual(["old-v"]);
    expect(diff.unchanged).toBe(1);
    expect(diff.changed).toEqual([
      {
        type: "docker:index/container:Container",
        name: "prom-c",
        changes: [
          { kind: "delete", path: "envs[1]", value: "B=2" },
          { kind: "update", path: "image", old: "prom/prometheus:v3.4.0", new: "prom/prometheus:v3.5.0" },
          { kind: "update", path: "ports[0].external", old: 9090, new: 9190 },
          { kind: "add", path: "ports[0].ip", value: "127.0.0.1" },
          { kind: "update", path: "upload", old: "a\nb\nc\nd\ne\nf\ng", new: "a\nb\nc\nd\nE\nf\ng" },
        ],
      },
    ]);
  });

  test("text in the style of pulumi preview --diff, multi-line values as a line diff with context", () => {
    expect(renderText(diffPlans(BASE, HEAD), LABELS)).toBe(
      [
        "Offline plan diff of stack dev: origin/main (abc1234) => working tree",
        "",
        "+ docker:index/volume:Volume new-v (create)",
        "    + labels[0].label: \"x\"",
        "    + labels[0].value: \"y\"",
        "    + name: \"promemu-dev-new\"",
        "    + parent: \"prom\"",
        "~ docker:index/container:Container prom-c (update)",
        "    - envs[1]: \"B=2\"",
        "    ~ image: \"prom/prometheus:v3.4.0\" => \"prom/prometheus:v3.5.0\"",
        "    ~ ports[0].external: 9090 => 9190",
        "    + ports[0].ip: \"127.0.0.1\"",
        "    ~ upload:",
        "        ...",
        "        c",
        "        d",
        "      - e",
        "      + E",
        "        f",
        "        g",
        "- docker:index/volume:Volume old-v (delete)",
        "",
        "Resources:",
        "    + 1 to create",
        "    ~ 1 to update",
        "    - 1 to delete",
        "    1 unchanged",
        "",
      ].join("\n"),
    );
  });

  test("markdown puts the sign in the first column of a diff block; no change says so", () => {
    const md = renderMarkdown(diffPlans(BASE, HEAD), LABELS);
    expect(md).toContain("**3 resources change** (1 unchanged)");
    expect(md).toContain("```diff\n+ docker:index/volume:Volume new-v (create)\n+     labels[0].label: \"x\"");
    expect(md).toContain("\n! docker:index/container:Container prom-c (update)\n-     envs[1]: \"B=2\"\n!     image:");
    const same = renderMarkdown(diffPlans(BASE, BASE), LABELS);
    expect(same).toContain("**no resource changes** (3 unchanged)");
    expect(same).not.toContain("```");
    expect(renderText(diffPlans(BASE, BASE), LABELS)).toContain("  No resource changes.\n\nResources:\n    3 unchanged\n");
  });

  test("line diff: removals before additions, common lines kept", () => {
    expect(diffLines("a\nb\nc", "a\nx\nc\nd")).toEqual([
      { sign: " ", text: "a" },
      { sign: "-", text: "b" },
      { sign: "+", text: "x" },
      { sign: " ", text: "c" },
      { sign: "+", text: "d" },
    ]);
  });
});

/** A git repository whose scripts/plan.ts prints Pulumi.dev.yaml's resources as a plan. */
function stubRepo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-plandiff-"));
  const run = (...args: string[]) => {
    const r = spawnSync("git", args, { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
  };
  run("init", "--quiet", "--initial-branch=main");
  run("config", "user.email", "test@example.invalid");
  run("config", "user.name", "test");
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  fs.writeFileSync(path.join(dir, ".gitignore"), "node_modules\n");
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "commonjs", target: "ES2022", esModuleInterop: true } }));
  fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "resources:\n  - {type: docker:index/volume:Volume, name: data, parent: null, inputs: {name: v1}}\n");
  run("add", ".");
  run("commit", "--quiet", "-m", "no plan script yet");
  fs.mkdirSync(path.join(dir, "scripts"));
  fs.writeFileSync(
    path.join(dir, "scripts", "plan.ts"),
    'import * as fs from "fs";\nimport * as yaml from "js-yaml";\nconst stack = process.argv[process.argv.indexOf("--stack") + 1];\n' +
      'const doc = yaml.load(fs.readFileSync(`Pulumi.${stack}.yaml`, "utf8")) as { resources: unknown[] };\n' +
      'process.stdout.write(JSON.stringify({ project: "p", stack, resources: doc.resources }));\n',
  );
  run("add", ".");
  run("commit", "--quiet", "-m", "plan script");
  return dir;
}

describe("plan:diff on git repositories", () => {
  let repo: string;
  beforeAll(() => {
    repo = stubRepo();
  });
  afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

  test("compares the base commit, checked out in a temporary worktree, with the working tree, and removes the worktree", () => {
    fs.writeFileSync(path.join(repo, "Pulumi.dev.yaml"), "resources:\n  - {type: docker:index/volume:Volume, name: data, parent: null, inputs: {name: v2}}\n");
    const { diff, labels, notes } = planDiff({ base: "HEAD", stack: "dev", cwd: repo });
    expect(notes).toEqual([]);
    expect(labels.base).toMatch(/^HEAD \([0-9a-f]{7}\)$/);
    expect(diff.changed).toEqual([{ type: "docker:index/volume:Volume", name: "data", changes: [{ kind: "update", path: "name", old: "v1", new: "v2" }] }]);
    const worktrees = spawnSync("git", ["worktree", "list", "--porcelain"], { cwd: repo, encoding: "utf8" }).stdout;
    expect(worktrees.match(/^worktree /gm)).toHaveLength(1);
  });

  test("a base without the plan script shows everything as new; an unknown ref is refused", () => {
    const { diff, notes } = planDiff({ base: "HEAD~1", stack: "dev", cwd: repo });
    expect(notes).toEqual(["HEAD~1 has no scripts/plan.ts: every resource shows as new"]);
    expect(diff.added.map((r) => r.name)).toEqual(["data"]);
    expect(() => planDiff({ base: "no-such-branch", stack: "dev", cwd: repo })).toThrow(
      "unknown git ref 'no-such-branch': name a branch, tag or commit (fetch it first, e.g. git fetch origin main)",
    );
  });
});

describe("plan:diff on this project's program", () => {
  let clone: string;
  beforeAll(() => {
    clone = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-plandiff-clone-"));
    const r = spawnSync("git", ["clone", "--quiet", "--shared", ROOT, clone], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(clone, "node_modules"), "dir");
  });
  afterAll(() => fs.rmSync(clone, { recursive: true, force: true }));

  test("a retention change in Pulumi.dev.yaml shows as an update of the Prometheus container only", () => {
    const file = path.join(clone, "Pulumi.dev.yaml");
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config: Record<string, Record<string, unknown>> };
    doc.config["promemu:prometheus"] = { ...doc.config["promemu:prometheus"], retentionTime: "3d" };
    fs.writeFileSync(file, yaml.dump(doc));
    const { diff } = planDiff({ base: "HEAD", stack: "dev", cwd: clone });
    expect(diff.added).toEqual([]);
    expect(diff.removed).toEqual([]);
    expect(diff.changed.map((c) => c.name)).toEqual(["promemu-prometheus-container"]);
    const changes = diff.changed[0].changes;
    expect(changes.some((c) => c.kind === "update" && String(c.new).includes("3d") && String((c as { old: unknown }).old).includes("7d"))).toBe(true);
  });
});
