/**
 * Usable right after install: the emulator package builds itself when it is installed (its `prepare`,
 * which npm runs after `npm ci`; the root `npm ci` runs `npm ci --prefix emulator`), so that on a fresh
 * clone `npm ci` then `npx promemu list` works in the order a newcomer types them.
 *
 * Proven on a copy of the package without dist/ (the state of a fresh clone): its bin says "not built"
 * (exit 2), then `npm ci --offline` (the packages come from npm's cache, filled by the root install
 * that ran before the suites) and the bin answers. About 10 s: one install and one TypeScript build.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const EMULATOR = path.resolve(__dirname, "../../emulator");
const ROOT = path.resolve(__dirname, "../..");
/** What a clone has of the package: sources, launcher, scenarios, manifests; no node_modules, no dist. */
const PACKAGE_FILES = ["package.json", "package-lock.json", "tsconfig.json", "src", "bin", "scenarios"];

describe("install: the promemu command works right after npm ci", () => {
  let copy: string;

  beforeAll(() => {
    copy = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-install-"));
    for (const entry of PACKAGE_FILES) fs.cpSync(path.join(EMULATOR, entry), path.join(copy, entry), { recursive: true });
  });

  afterAll(() => fs.rmSync(copy, { recursive: true, force: true }));

  const list = () => spawnSync(process.execPath, [path.join(copy, "bin/promemu.js"), "list"], { encoding: "utf8", timeout: 30_000 });

  it("the root install installs the emulator package, whose own install builds it", () => {
    const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(root.scripts.postinstall).toMatch(/npm ci --prefix emulator\b/);
    expect(root.bin.promemu).toBe("emulator/bin/promemu.js");
  });

  it("a fresh copy is not built; after npm ci, `promemu list` lists the scenarios", () => {
    const before = list();
    expect(before.stderr).toContain("the emulator is not built yet");
    expect(before.status).toBe(2);

    const install = spawnSync("npm", ["ci", "--offline", "--no-audit", "--no-fund"], {
      cwd: copy,
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, NPM_CONFIG_UPDATE_NOTIFIER: "false" },
    });
    expect({ status: install.status, output: (install.stdout + install.stderr).slice(-2000) }).toMatchObject({ status: 0 });
    expect(fs.existsSync(path.join(copy, "dist/cli.js"))).toBe(true);

    const after = list();
    expect(after.stderr).toBe("");
    expect(after.status).toBe(0);
    expect(after.stdout).toMatch(/^default$/m);
    expect(after.stdout).toMatch(/^fleet-faults$/m);
  }, 150_000);
});
