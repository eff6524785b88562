/**
 * The documentation a newcomer reads: the configuration reference matches the schema, the README carries
 * the two quick-start commands and every operation, and no relative link (or its #anchor) is broken.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CONFIG_DOC, renderConfigurationDoc } from "../../scripts/gen-config-docs";

const ROOT = path.resolve(__dirname, "../..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, "")
    .replace(/[^\p{L}\p{N}\s-]/gu, "")
    .replace(/\s/g, "-");
}

/** Relative link targets of a markdown file (code blocks left out). */
function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, "");
  return [...prose.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((href) => !/^(https?:|mailto:)/.test(href));
}

/** Broken relative links of a markdown file (path relative to `root`), each as "<file>: <href> (why)". */
function brokenLinks(file: string, root = ROOT): string[] {
  const broken: string[] = [];
  const absolute = path.join(root, file);
  for (const href of relativeLinks(fs.readFileSync(absolute, "utf8"))) {
    const [target, anchor] = href.split("#");
    const resolved = target ? path.join(path.dirname(absolute), target) : absolute;
    if (!fs.existsSync(resolved)) {
      broken.push(`${file}: ${href} (no such file)`);
      continue;
    }
    if (anchor && resolved.endsWith(".md")) {
      const headings = [...fs.readFileSync(resolved, "utf8").matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]));
      if (!headings.includes(anchor)) broken.push(`${file}: ${href} (no heading #${anchor})`);
    }
  }
  return broken;
}

describe("documentation", () => {
  test("docs/configuration.md is what the schema renders", () => {
    const committed = fs.existsSync(CONFIG_DOC) ? fs.readFileSync(CONFIG_DOC, "utf8") : "";
    const fresh = renderConfigurationDoc();
    if (committed !== fresh) {
      throw new Error("docs/configuration.md is stale: run `npm run docs:config` and commit docs/configuration.md");
    }
    // Every key of the schema is in it.
    for (const key of ["bindAddress", "portOffset", "prometheus.retentionTime", "alerts.cpuHigh.for", "emulator.set", "grafanaAdminPassword"]) {
      expect(committed).toContain(`\`promemu:${key}\``);
    }
  });

  test("README's quick start opens with the two commands, npm run up and npm test; the other test command CI runs comes below", () => {
    const readme = read("README.md");
    const quickStart = /^## Quick start\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? "";
    const commands = [...quickStart.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1].trim());
    expect(commands.slice(0, 2)).toEqual(["npm run up", "npm test"]);
    const ci = read(".ci/run");
    for (const command of ["npm test", "npm run test:engine"]) {
      expect(ci).toContain(command);
      expect(commands).toContain(command);
    }
  });

  test("README has the sections a newcomer needs", () => {
    const headings = [...read("README.md").matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    for (const section of ["Architecture", "Prerequisites", "Quick start", "Per-developer stacks", "Operations", "Pull-request previews", "Troubleshooting", "Production considerations"]) {
      expect(headings).toContain(section);
    }
  });

  test("README lists every operations command the package defines", () => {
    const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
    const operations = Object.keys(scripts).filter((s) => scripts[s].startsWith("ts-node --transpile-only ops/cli.ts "));
    expect(operations.length).toBeGreaterThanOrEqual(10);
    const readme = read("README.md");
    for (const command of operations) expect([command, readme.includes(`npm run ${command}`)]).toEqual([command, true]);
  });

  test.each(["README.md", "docs/operations.md", "docs/configuration.md"])("every relative link in %s resolves", (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  test("the link check does catch a broken link and a missing anchor", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-links-"));
    try {
      fs.writeFileSync(path.join(dir, "ops.md"), "# Operations\n\n## Restore a backup\n");
      fs.writeFileSync(path.join(dir, "probe.md"), "[a](missing.md) [b](ops.md#no-such-heading) [c](ops.md#restore-a-backup) [d](#operations)\n");
      expect(brokenLinks("probe.md", dir)).toEqual([
        "probe.md: missing.md (no such file)",
        "probe.md: ops.md#no-such-heading (no heading #no-such-heading)",
        "probe.md: #operations (no heading #operations)",
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
