/**
 * plan:diff: the property-level comparison and its pulumi-preview-like rendering, then the whole command on
 * git repositories (a stub plan script, and this repository's own program on a clone).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { SERVICE_REPLACE_ON_CHANGES } from "../../components/service";
import {
  classify,
  declaredOptions,
  diffLines,
  diffPlans,
  Plan,
  planDiff,
  PlanResource,
  PropertyChange,
  renderJson,
  renderMarkdown,
  renderText,
} from "../../scripts/plan-diff";
import { runIndexUnderMocks } from "../support/program";

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
        op: "replace",
        replaceReasons: ["envs", "image", "ports", "upload"].map((property) => ({ property, by: "provider" })),
        deleteBeforeReplace: true,
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
        "+- docker:index/container:Container prom-c (replace: envs, image, ports, upload; delete before replace)",
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
        "    - 1 to delete",
        "    +-1 to replace",
        "    1 unchanged",
        "",
      ].join("\n"),
    );
  });

  test("markdown puts the sign in the first column of a diff block; no change says so", () => {
    const md = renderMarkdown(diffPlans(BASE, HEAD), LABELS);
    expect(md).toContain("**3 resources change**: 1 to create, 1 to delete, 1 to replace (1 unchanged).");
    expect(md).toContain("```diff\n+ docker:index/volume:Volume new-v (create)\n+     labels[0].label: \"x\"");
    expect(md).toContain("\n! docker:index/container:Container prom-c (replace: envs, image, ports, upload; delete before replace)\n-     envs[1]: \"B=2\"\n!     image:");
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

const CONTAINER = "docker:index/container:Container";
const COMMAND = "command:local:Command";

/** The changed resources when one resource's inputs go from `inputs` to `inputs` with `next` over them. */
function changeOf(type: string, name: string, inputs: Record<string, unknown>, next: Record<string, unknown>) {
  const one = (i: Record<string, unknown>): PlanResource[] => [{ type, name, parent: "p", inputs: i }];
  return diffPlans(plan(one(inputs)), plan(one({ ...inputs, ...next }))).changed;
}

/** A service container's inputs as components/service.ts declares them (abridged). */
const SERVICE = {
  name: "promemu-dev-alertmanager",
  image: "sha256:aa",
  envs: ["A=1"],
  restart: "unless-stopped",
  wait: true,
  waitTimeout: 180,
  destroyGraceSeconds: 30,
  mustRun: true,
  healthcheck: { interval: "5s", retries: 3, tests: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:9093/-/healthy"], timeout: "3s" },
  ports: [{ internal: 9093, external: 9093, ip: "127.0.0.1", protocol: "tcp" }],
};
const service = (next: Record<string, unknown>) => changeOf(CONTAINER, "promemu-alertmanager-container", SERVICE, next);
const text = (changed: ReturnType<typeof changeOf>) => renderText({ added: [], removed: [], changed, unchanged: 0 }, LABELS);

describe("update or replace, as the real providers decide", () => {
  test("a container's env change replaces it (env is ForceNew), naming envs; the provider deletes it first", () => {
    const changed = service({ envs: ["A=2"] });
    expect(changed).toEqual([
      {
        type: CONTAINER,
        name: "promemu-alertmanager-container",
        op: "replace",
        replaceReasons: [{ property: "envs", by: "provider" }],
        deleteBeforeReplace: true,
        changes: [{ kind: "update", path: "envs[0]", old: "A=1", new: "A=2" }],
      },
    ]);
    expect(text(changed)).toContain("\n+- docker:index/container:Container promemu-alertmanager-container (replace: envs; delete before replace)\n    ~ envs[0]:");
    expect(text(changed)).toContain("Resources:\n    +-1 to replace\n");
    // Several forcing inputs, nested ones named by their top-level input, as pulumi preview --json's replaceReasons.
    expect(service({ image: "sha256:bb", ports: [{ ...SERVICE.ports[0], external: 9193 }] })[0].replaceReasons).toEqual([
      { property: "image", by: "provider" },
      { property: "ports", by: "provider" },
    ]);
  });

  test.each([
    ["restart", "always"],
    ["waitTimeout", 300],
    ["destroyGraceSeconds", 60],
    ["mustRun", false],
    ["wait", false],
  ])("a container's %s change is an in-place update", (property, value) => {
    const changed = service({ [property]: value });
    expect(changed).toMatchObject([{ op: "update", replaceReasons: [], deleteBeforeReplace: false }]);
    expect(text(changed)).toContain(`\n~ docker:index/container:Container promemu-alertmanager-container (update)\n    ~ ${property}: `);
    expect(text(changed)).toContain("Resources:\n    ~ 1 to update\n");
  });

  test("a health check change replaces a service container because of its replaceOnChanges; a one-shot container's is updated", () => {
    const healthcheck = { ...SERVICE.healthcheck, interval: "10s" };
    const changed = service({ healthcheck });
    expect(changed).toMatchObject([{ op: "replace", replaceReasons: [{ property: "healthcheck", by: "replaceOnChanges" }], deleteBeforeReplace: true }]);
    expect(text(changed)).toContain("+- docker:index/container:Container promemu-alertmanager-container (replace: healthcheck (replaceOnChanges); delete before replace)");
    // Read from the component itself, not a copy.
    expect(declaredOptions({ type: CONTAINER, name: "promemu-alertmanager-container", inputs: SERVICE }).replaceOnChanges).toBe(SERVICE_REPLACE_ON_CHANGES);
    // The provider alone updates a health check in place (a one-shot task's container declares no replaceOnChanges).
    expect(changeOf(CONTAINER, "promemu-prometheus-history-write", SERVICE, { healthcheck })).toMatchObject([{ op: "update", replaceReasons: [] }]);
    // A forcing input and the option together: each named once, the provider's rule first.
    expect(service({ healthcheck, envs: [] })[0].replaceReasons).toEqual([
      { property: "envs", by: "provider" },
      { property: "healthcheck", by: "replaceOnChanges" },
    ]);
  });

  test("a volume's or a network's label change replaces it, deleted first (its name is set); a remote image's keepLocally updates it", () => {
    const labels = [{ label: "io.promemu.stack", value: "dev" }];
    const volume = changeOf("docker:index/volume:Volume", "data-volume", { name: "promemu-dev-data", driver: "local", labels }, { labels: [...labels, { label: "x", value: "y" }] });
    expect(volume).toMatchObject([{ op: "replace", replaceReasons: [{ property: "labels", by: "provider" }], deleteBeforeReplace: true }]);
    expect(text(volume)).toContain("+- docker:index/volume:Volume data-volume (replace: labels; delete before replace)\n    + labels[1].label: \"x\"");
    const network = changeOf("docker:index/network:Network", "net", { name: "promemu-dev", labels }, { labels: [] });
    expect(network).toMatchObject([{ op: "replace", replaceReasons: [{ property: "labels", by: "provider" }], deleteBeforeReplace: true }]);
    const image = { name: "prom/prometheus:v3.5.0", keepLocally: true };
    expect(changeOf("docker:index/remoteImage:RemoteImage", "img", image, { keepLocally: false })).toMatchObject([{ op: "update" }]);
    // Not deleted first: RemoteImage's name is not auto-named, so both images may exist at once.
    expect(changeOf("docker:index/remoteImage:RemoteImage", "img", image, { name: "prom/prometheus:v3.6.0" })).toMatchObject([
      { op: "replace", replaceReasons: [{ property: "name", by: "provider" }], deleteBeforeReplace: false },
    ]);
  });

  test("a command's triggers change replaces it; its environment or create change updates it in place", () => {
    const check = { create: "node check.js", environment: { TIMEOUT: "180s" }, triggers: ["a-id", "b-id"] };
    const triggers = changeOf(COMMAND, "check", check, { triggers: ["a-id", "c-id"] });
    expect(triggers).toMatchObject([{ op: "replace", replaceReasons: [{ property: "triggers", by: "provider" }], deleteBeforeReplace: false }]);
    expect(text(triggers)).toContain("+- command:local:Command check (replace: triggers)\n");
    expect(changeOf(COMMAND, "check", check, { environment: { TIMEOUT: "300s" } })).toMatchObject([{ op: "update", replaceReasons: [] }]);
    expect(changeOf(COMMAND, "check", check, { create: "node check.js --fast" })).toMatchObject([{ op: "update", replaceReasons: [] }]);
  });

  test("the native Image is updated in place for any change, and a registry credential change is no change", () => {
    const build = { context: "emulator", dockerfile: "emulator/Dockerfile", args: { NODE_IMAGE: "node:22" } };
    const inputs = { imageName: "promemu-dev-emulator:local", build, skipPush: true, registry: { server: "r.example", username: "u" } };
    expect(changeOf("docker:index/image:Image", "img", inputs, { build: { ...build, args: { NODE_IMAGE: "node:24" } } })).toMatchObject([{ op: "update" }]);
    expect(changeOf("docker:index/image:Image", "img", inputs, { registry: { server: "r.example", username: "v" } })).toEqual([]);
    expect(changeOf("docker:index/image:Image", "img", inputs, { registry: { server: "s.example", username: "u" } })).toMatchObject([{ op: "update" }]);
  });

  test("a replaced resource's new id is unknown to the preview: what holds it changes, and the check is replaced in turn", () => {
    const check = { create: "node check.js", triggers: ["promemu-alertmanager-container-id", "promemu-pushgateway-container-id"] };
    const base = plan([
      { type: CONTAINER, name: "promemu-alertmanager-container", parent: "am", inputs: SERVICE },
      { type: COMMAND, name: "promemu-check-targets-up", parent: "check", inputs: check },
    ]);
    const replaced = diffPlans(base, plan([{ ...base.resources[0], inputs: { ...SERVICE, envs: [] } }, base.resources[1]]));
    expect(replaced.changed.map((r) => [r.name, r.op])).toEqual([
      ["promemu-alertmanager-container", "replace"],
      ["promemu-check-targets-up", "replace"],
    ]);
    expect(replaced.changed[1].changes).toEqual([{ kind: "computed", path: "triggers[0]", old: "promemu-alertmanager-container-id", after: "promemu-alertmanager-container" }]);
    expect(renderText(replaced, LABELS)).toContain(
      "+- command:local:Command promemu-check-targets-up (replace: triggers)\n" +
        '    ~ triggers[0]: "promemu-alertmanager-container-id" => output<string> (the new id of promemu-alertmanager-container)\n',
    );
    // An in-place update keeps the id: nothing else changes.
    const updated = diffPlans(base, plan([{ ...base.resources[0], inputs: { ...SERVICE, restart: "always" } }, base.resources[1]]));
    expect(updated.changed.map((r) => [r.name, r.op])).toEqual([["promemu-alertmanager-container", "update"]]);
    expect(updated.unchanged).toBe(1);
  });

  test("json carries each changed resource's op, replace reasons and delete-before-replace", () => {
    const json = JSON.parse(renderJson(diffPlans(BASE, HEAD), LABELS));
    expect(json).toMatchObject({ stack: "dev", base: LABELS.base, head: "working tree", unchanged: 1 });
    expect(json.changed).toEqual([
      expect.objectContaining({ name: "prom-c", op: "replace", deleteBeforeReplace: true, replaceReasons: expect.arrayContaining([{ property: "envs", by: "provider" }]) }),
    ]);
    expect(JSON.parse(renderJson({ added: [], removed: [], changed: service({ restart: "no" }), unchanged: 0 }, LABELS)).changed[0]).toMatchObject({ op: "update", replaceReasons: [] });
  });

  test("a parent change alone is not an input: listed, but neither forces nor counts as a replace", () => {
    const changes: PropertyChange[] = [{ kind: "update", path: "parent", old: "a", new: "b" }];
    expect(classify({ type: CONTAINER, name: "x-container", inputs: {} }, changes)).toMatchObject({ op: "update", replaceReasons: [] });
  });
});

describe("the options plan:diff assumes are the ones the program registers", () => {
  test("every resource's replaceOnChanges and deleteBeforeReplace, with history one-shots and replicas, under mocks", async () => {
    const run = await runIndexUnderMocks({ "promemu:emulator": JSON.stringify({ history: "1d", replicas: 2 }) });
    const containers = run.resources.filter((r) => r.type === CONTAINER);
    // The run has both kinds of containers the table tells apart.
    expect(containers.map((r) => r.name)).toEqual(expect.arrayContaining(["promemu-emulator-container-2", "promemu-prometheus-history-write"]));
    for (const r of run.resources) {
      const declared = declaredOptions(r);
      // A path the provider replaces on anyway (the command SDK's own triggers[*]) needs no declaration.
      const byProvider = (p: string) =>
        classify(r, [{ kind: "update", path: p.replace(/\[\*\]/g, "[0]"), old: 1, new: 2 }]).replaceReasons.some((x) => x.by === "provider");
      expect({ name: r.name, replaceOnChanges: r.replaceOnChanges.filter((p) => !byProvider(p)), deleteBeforeReplace: r.deleteBeforeReplace }).toEqual({
        name: r.name,
        replaceOnChanges: [...declared.replaceOnChanges].sort(),
        deleteBeforeReplace: declared.deleteBeforeReplace,
      });
    }
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
    expect(diff.changed).toMatchObject([{ type: "docker:index/volume:Volume", name: "data", op: "replace", changes: [{ kind: "update", path: "name", old: "v1", new: "v2" }] }]);
    const worktrees = spawnSync("git", ["worktree", "list", "--porcelain"], { cwd: repo, encoding: "utf8" }).stdout;
    expect(worktrees.match(/^worktree /gm)).toHaveLength(1);
  });

  test("the command prints json with each resource's op; a bad --format exits 2 naming the flag, without a stack trace", () => {
    fs.writeFileSync(path.join(repo, "Pulumi.dev.yaml"), "resources:\n  - {type: docker:index/volume:Volume, name: data, parent: null, inputs: {name: v3}}\n");
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js"), "--transpile-only", path.join(ROOT, "scripts", "plan-diff.ts"), ...args], {
        cwd: repo,
        encoding: "utf8",
      });
    const json = cli("--base", "HEAD", "--format", "json");
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout).changed).toEqual([
      {
        type: "docker:index/volume:Volume",
        name: "data",
        op: "replace",
        replaceReasons: [{ property: "name", by: "provider" }],
        deleteBeforeReplace: true,
        changes: [{ kind: "update", path: "name", old: "v1", new: "v3" }],
      },
    ]);
    const bad = cli("--base", "HEAD", "--format", "yaml");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--format");
    expect(bad.stderr).not.toMatch(/\n\s+at /);
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

  test("a retention change in Pulumi.dev.yaml replaces the Prometheus container and the end-of-up check, as the real preview does", () => {
    const file = path.join(clone, "Pulumi.dev.yaml");
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config: Record<string, Record<string, unknown>> };
    doc.config["promemu:prometheus"] = { ...doc.config["promemu:prometheus"], retentionTime: "3d" };
    fs.writeFileSync(file, yaml.dump(doc));
    const { diff } = planDiff({ base: "HEAD", stack: "dev", cwd: clone });
    expect(diff.added).toEqual([]);
    expect(diff.removed).toEqual([]);
    // tests/engine/stack.test.ts asserts the same of `pulumi preview --diff` with the real providers: the container is
    // replaced (its command changes), and the check whose triggers hold the container ids follows.
    expect(diff.changed.map((c) => [c.name, c.op, c.replaceReasons.map((r) => r.property)])).toEqual([
      ["promemu-check-targets-up", "replace", ["triggers"]],
      ["promemu-prometheus-container", "replace", ["command"]],
    ]);
    const changes = diff.changed[1].changes;
    expect(changes.some((c) => c.kind === "update" && String(c.new).includes("3d") && String((c as { old: unknown }).old).includes("7d"))).toBe(true);
  });
});
