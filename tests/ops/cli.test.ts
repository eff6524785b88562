/**
 * The CLI as users start it (ts-node on ops/cli.ts, and once through the npm script): exit codes,
 * one-paragraph errors without stack traces, help.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { FakeTools } from "./support/fake-tools";
import { makeProject, OPS_ENTRY } from "./support/harness";

const ROOT = path.resolve(__dirname, "../..");

function ops(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const result = spawnSync(process.execPath, [...OPS_ENTRY, ...args], { cwd, env, encoding: "utf8", timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("ops CLI entry point", () => {
  let fakes: FakeTools;
  let project: string;
  beforeAll(() => {
    fakes = new FakeTools();
    project = makeProject({ "Pulumi.dev.yaml": "config:\n  promemu:portOffset: 70000\n" });
  });
  afterAll(() => {
    fakes.remove();
    fs.rmSync(project, { recursive: true, force: true });
  });

  test("help lists every command; no command at all is a usage error", () => {
    const help = ops(["--help"], project, fakes.env());
    expect(help.code).toBe(0);
    for (const command of ["up", "down", "restart", "status", "logs", "backup", "restore", "cleanup", "config", "stack:new"]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    }
    const none = ops([], project, fakes.env());
    expect(none.code).toBe(2);
  });

  test("bad input exits 2 with one paragraph and no stack trace", () => {
    const badConfig = ops(["config", "--stack", "dev"], project, fakes.env());
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toBe("error: invalid configuration in Pulumi.dev.yaml:\n  - promemu:portOffset: Too big: expected number to be <=50000\n");
    const badName = ops(["status", "--stack", "no such"], project, fakes.env());
    expect(badName.code).toBe(2);
    expect(badName.stderr).toBe("error: invalid stack name 'no such': use letters, digits, '-', '_' or '.' (at most 100)\n");
    const badOption = ops(["backup", "--compress"], project, fakes.env());
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain("unknown option '--compress'");
  });

  test("the npm script runs the same CLI", () => {
    const result = spawnSync("npm", ["run", "--silent", "config", "--", "--stack", "dev", "--json"], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${fakes.binDir}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`, PROMEMU_FAKE_DIR: fakes.dir },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ project: "promemu", stack: "dev", file: "Pulumi.dev.yaml" });
  });
});
