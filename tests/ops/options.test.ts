/**
 * Every option that takes a value is checked while the command line is read, before any docker or
 * pulumi call and before any file is touched: the message names the option, the value and what is allowed.
 */
import * as fs from "fs";
import * as path from "path";
import { inspectJson, runOps, stackOutputs, useSandbox } from "./support/harness";

const URLS = { pushgateway: "http://127.0.0.1:1", prometheus: "http://127.0.0.1:1", grafana: "http://127.0.0.1:1" };

describe("ops option values", () => {
  const sb = useSandbox({ "Pulumi.dev.yaml": "config: {}\n" });

  test.each([
    [["restore", "backups/x", "--timeout", "abc", "--yes"], "--timeout must be a number of seconds above 0 and at most 86400, not 'abc'"],
    [["restore", "backups/x", "--timeout", "", "--yes"], "--timeout must be a number of seconds above 0 and at most 86400, not ''"],
    [["restore", "backups/x", "--timeout", "0"], "--timeout must be a number of seconds above 0 and at most 86400, not '0'"],
    [["restore", "backups/x", "--timeout", "1e3"], "--timeout must be a number of seconds above 0 and at most 86400, not '1e3'"],
    [["stack:new", "x", "--offset", ""], "--offset must be a whole number from 0 to 50000, not ''"],
    [["stack:new", "x", "--offset", "12.5"], "--offset must be a whole number from 0 to 50000, not '12.5'"],
    [["stack:new", "x", "--offset", "-100"], "--offset must be a whole number from 0 to 50000, not '-100'"],
    [["stack:new", "x", "--offset", "60000"], "--offset must be a whole number from 0 to 50000, not '60000'"],
    [["stack:new", "x", "--bind-address", ""], "--bind-address must be an IPv4 address such as 127.0.0.1, not empty"],
    [["logs", "--tail", "lots"], "--tail must be a whole number from 0 to 10000000 or 'all', not 'lots'"],
    [["logs", "--tail", ""], "--tail must be a whole number from 0 to 10000000 or 'all', not ''"],
    [["logs", "--since", ""], "--since must be a time or duration such as 10m, not empty"],
    [["backup", "--output", ""], "--output must be a directory, not empty"],
    [["status", "--stack", ""], "invalid stack name '': use letters, digits, '-', '_' or '.' (at most 100)"],
  ])("%j is refused before anything is done", async (argv, message) => {
    const run = await runOps(argv, sb);
    expect(run.stderr).toBe(`error: ${message}\n`);
    expect(run.code).toBe(2);
    expect(sb.fakes.calls()).toEqual([]);
    expect(fs.readdirSync(sb.cwd).sort()).toEqual(["Pulumi.dev.yaml", "Pulumi.yaml"]);
  });

  test("valid values pass: --timeout with a fraction, --tail all, --offset 0", async () => {
    sb.fakes.on({ tool: "pulumi", args: ["stack", "output"], stdout: JSON.stringify(stackOutputs("dev", URLS)) }, { tool: "docker", args: ["logs"], stdout: "" });
    expect((await runOps(["logs", "prometheus", "--tail", "all", "--stack", "dev"], sb)).code).toBe(0);
    expect(sb.fakes.commandLines("docker")).toEqual(["logs --tail all promemu-dev-prometheus"]);
    expect((await runOps(["restore", "backups/x", "--timeout", "0.5", "--stack", "dev"], sb)).stderr).toContain("is not a backup: it has no manifest.json");
  });
});

describe("ops service names", () => {
  const sb = useSandbox({ "Pulumi.dev.yaml": "config: {}\n" });

  test.each([["restart"], ["logs"]])("%s accepts only the services the stack runs, not names every object has", async (command) => {
    const services = ["pushgateway", "prometheus", "alertmanager", "emulator"];
    sb.fakes.on({ tool: "pulumi", args: ["stack", "output"], stdout: JSON.stringify(stackOutputs("dev", { pushgateway: URLS.pushgateway, prometheus: URLS.prometheus }, { services })) });
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "grafana"]) {
      const run = await runOps([command, name, "--stack", "dev"], sb);
      expect([name, run.code, run.stderr]).toEqual([name, 2, `error: unknown service '${name}': stack dev runs pushgateway, prometheus, alertmanager, emulator\n`]);
    }
    expect(sb.fakes.commandLines("pulumi").filter((l) => !l.startsWith("stack output"))).toEqual([]);
    expect(sb.fakes.calls("docker")).toEqual([]);
  });
});

describe("ops on a stack without Grafana (grafana.enabled: false)", () => {
  const sb = useSandbox({ "Pulumi.dev.yaml": "config:\n  promemu:grafana:\n    enabled: false\n" });
  const services = ["pushgateway", "prometheus", "alertmanager", "emulator"];

  test("logs shows the services it runs; restart replaces them and prints no Grafana login", async () => {
    const EXPORT = JSON.stringify({
      deployment: {
        resources: services.map((s) => ({ urn: `urn:pulumi:dev::promemu::docker:index/container:Container::${s}`, type: "docker:index/container:Container", outputs: { name: `promemu-dev-${s}` } })),
      },
    });
    sb.fakes.on(
      { tool: "pulumi", args: ["stack", "output"], stdout: JSON.stringify(stackOutputs("dev", { pushgateway: URLS.pushgateway, prometheus: URLS.prometheus }, { services })) },
      { tool: "pulumi", args: ["stack", "export"], stdout: EXPORT },
      { tool: "pulumi", args: ["up"], stdout: "" },
      { tool: "docker", args: ["logs"], stdout: "ok\n" },
      { tool: "docker", args: ["container", "inspect"], stdout: inspectJson("dev", {}, services) },
    );
    const logs = await runOps(["logs", "--stack", "dev"], sb);
    expect(logs.code).toBe(0);
    expect(sb.fakes.commandLines("docker")).toEqual(services.map((s) => `logs promemu-dev-${s}`));
    const restart = await runOps(["restart", "--stack", "dev"], sb);
    expect(restart.code).toBe(0);
    expect(restart.stdout).not.toContain("grafana");
    expect(restart.stdout).not.toContain("Grafana login");
  });
});

describe("ops file-system errors", () => {
  const sb = useSandbox({ "Pulumi.dev.yaml": "config: {}\n" });

  test("a manifest that cannot be read, and a stack file that cannot be written, are named plainly (exit 1)", async () => {
    fs.mkdirSync(path.join(sb.cwd, "backups/odd/manifest.json"), { recursive: true });
    const restore = await runOps(["restore", "backups/odd", "--stack", "dev"], sb);
    expect(restore.stderr).toBe(`error: cannot read ${path.join(sb.cwd, "backups/odd/manifest.json")}: it is a directory (EISDIR)\n`);
    expect(restore.code).toBe(1);

    // Pulumi.bob.yaml is a link into a path under a file: writing it fails with ENOTDIR.
    fs.writeFileSync(path.join(sb.cwd, "a-file"), "");
    fs.symlinkSync(path.join(sb.cwd, "a-file", "Pulumi.bob.yaml"), path.join(sb.cwd, "Pulumi.bob.yaml"));
    const stackNew = await runOps(["stack:new", "bob", "--offset", "700"], sb);
    expect(stackNew.stderr).toBe(`error: cannot open ${path.join(sb.cwd, "Pulumi.bob.yaml")}: a part of the path is a file, not a directory (ENOTDIR)\n`);
    expect(stackNew.code).toBe(1);
    expect(sb.fakes.calls("pulumi")).toEqual([]);
  });
});
