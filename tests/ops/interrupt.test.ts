/**
 * Ctrl-C, SIGTERM and a closed standard output on the CLI as people run it (its own process, ts-node):
 * a fake docker or pulumi blocks like a long copy or `pulumi up`, the test sends the signal, and what
 * the CLI started is undone before it exits 130 or 143, without a stack trace.
 */
import { spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Manifest } from "../../ops/backup-manifest";
import { FakeRule } from "./support/fake-tools";
import { calledWith, DATA_PATHS, imageId, imageInspectJson, imageRef, inspectJson, spawnOps, stackOutputs, useSandbox } from "./support/harness";

const URLS = { pushgateway: "http://127.0.0.1:1", prometheus: "http://127.0.0.1:1", alertmanager: "http://127.0.0.1:1", grafana: "http://127.0.0.1:1" };
const DATA_SERVICES = Object.keys(DATA_PATHS);
const NO_TRACE = /\bat .*\.ts:\d+|internal error/;
const ROOT = path.resolve(__dirname, "../..");

describe("ops CLI interrupted", () => {
  const sb = useSandbox({ "Pulumi.dev.yaml": "config:\n  promemu:portOffset: 0\n" });
  const deployed = (): FakeRule[] => [
    { tool: "pulumi", args: ["stack", "ls"], stdout: JSON.stringify([{ name: "dev", current: true }]) },
    { tool: "pulumi", args: ["stack", "output"], stdout: JSON.stringify(stackOutputs("dev", URLS)) },
    { tool: "docker", args: ["container", "inspect"], stdout: inspectJson("dev", {}, DATA_SERVICES) },
    { tool: "docker", args: ["image", "inspect"], stdout: imageInspectJson() },
  ];
  test("SIGTERM during a backup's copy: the helper container is removed, the container unpaused, the partial backup deleted; exit 143", async () => {
    sb.fakes.on(
      ...deployed(),
      { tool: "docker", args: ["run", "--rm", "--name", "promemu-dev-prometheus-backup"], block: true },
      { tool: "docker", args: ["run"] },
      { tool: "docker", args: ["pause"] },
      { tool: "docker", args: ["unpause"] },
      { tool: "docker", args: ["rm"] },
    );
    const cli = spawnOps(["backup"], sb);
    await calledWith(sb.fakes, "docker", "run --rm --name promemu-dev-prometheus-backup");
    cli.child.kill("SIGTERM");
    const result = await cli.exited;
    expect(result.code).toBe(143);
    expect(sb.fakes.commandLines("docker").filter((l) => !l.includes("inspect"))).toEqual([
      "pause promemu-dev-pushgateway",
      expect.stringMatching(/^run --rm --name promemu-dev-pushgateway-backup /),
      "unpause promemu-dev-pushgateway",
      "pause promemu-dev-prometheus",
      expect.stringMatching(/^run --rm --name promemu-dev-prometheus-backup /),
      "rm -f promemu-dev-prometheus-backup",
      "unpause promemu-dev-prometheus",
    ]);
    expect(sb.fakes.signals()).toEqual([expect.objectContaining({ tool: "docker", signal: "SIGTERM" })]);
    expect(fs.readdirSync(path.join(sb.cwd, "backups", "dev"))).toEqual([]);
    expect(result.stderr).toMatch(/the incomplete backup backups\/dev\/\d{4}-\d\d-\d\dT\d{6}Z was removed/);
    expect(result.stderr).toContain("interrupted by SIGTERM: docker run was stopped (docker rm -f promemu-dev-prometheus-backup)\n");
    expect(result.stderr).not.toMatch(NO_TRACE);
  });

  test("Ctrl-C during a restore: the helper is removed, the containers start again, and what is incomplete is said; exit 130", async () => {
    const dir = path.join(sb.cwd, "backups", "dev", "2025-01-31T120501Z");
    fs.mkdirSync(dir, { recursive: true });
    const services = DATA_SERVICES.map((service) => {
      const archive = `${service}.tar`;
      fs.writeFileSync(path.join(dir, archive), `${service} data`);
      const bytes = fs.statSync(path.join(dir, archive)).size;
      const sha256 = createHash("sha256").update(`${service} data`).digest("hex");
      return { service, volume: `promemu-dev-${service}-data`, container: `promemu-dev-${service}`, image: imageRef(service), imageId: imageId(service), dataPath: DATA_PATHS[service], method: "paused-copy", archive, bytes, sha256 };
    });
    const manifest = { format: "promemu-backup/1", project: "promemu", stack: "dev", createdAt: "2025-01-31T12:05:01.250Z", promemu: "0.1.0", services } as Manifest;
    fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest));
    sb.fakes.on(
      ...deployed(),
      { tool: "docker", args: ["run", "--rm", "--name", "promemu-dev-prometheus-restore"], block: true },
      { tool: "docker", args: ["run"] },
      { tool: "docker", args: ["stop"] },
      { tool: "docker", args: ["start"] },
      { tool: "docker", args: ["rm"] },
    );
    const cli = spawnOps(["restore", "backups/dev/2025-01-31T120501Z", "--yes"], sb);
    await calledWith(sb.fakes, "docker", "run --rm --name promemu-dev-prometheus-restore");
    cli.child.kill("SIGINT");
    const result = await cli.exited;
    expect(result.code).toBe(130);
    const all = DATA_SERVICES.map((s) => `promemu-dev-${s}`).join(" ");
    expect(sb.fakes.commandLines("docker").filter((l) => !l.includes("inspect"))).toEqual([
      `stop ${all}`,
      expect.stringMatching(/^run --rm --name promemu-dev-pushgateway-restore /),
      expect.stringMatching(/^run --rm --name promemu-dev-prometheus-restore /),
      "rm -f promemu-dev-prometheus-restore",
      `start ${all}`,
    ]);
    expect(result.stderr).toContain(
      "the restore stopped while replacing prometheus's data, which is now incomplete; restored: pushgateway; not touched: alertmanager, grafana. Run the same restore again to finish it.",
    );
    expect(result.stderr).toContain("interrupted by SIGINT");
    expect(result.stderr).not.toMatch(NO_TRACE);
  });

  test("a second signal quits at once, even while cleaning up", async () => {
    sb.fakes.on(
      ...deployed(),
      { tool: "docker", args: ["run", "--rm", "--name", "promemu-dev-pushgateway-backup"], block: true },
      { tool: "docker", args: ["unpause"], block: true },
      { tool: "docker", args: ["pause"] },
      { tool: "docker", args: ["rm"] },
    );
    const cli = spawnOps(["backup"], sb);
    await calledWith(sb.fakes, "docker", "run --rm --name promemu-dev-pushgateway-backup");
    cli.child.kill("SIGTERM");
    await calledWith(sb.fakes, "docker", "unpause promemu-dev-pushgateway");
    // A second signal within a second is taken for the same one delivered twice (terminal and npm).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    cli.child.kill("SIGTERM");
    const result = await cli.exited;
    expect(result.code).toBe(143);
    expect(result.stderr).toContain("SIGTERM again: quitting without finishing the clean-up (check docker ps --all for paused or stopped containers)");
  });

  test("Ctrl-C in a terminal running npm run backup: the whole process group gets SIGINT, the clean-up still runs; exit 130", async () => {
    sb.fakes.on(
      ...deployed(),
      { tool: "docker", args: ["run", "--rm", "--name", "promemu-dev-pushgateway-backup"], block: true },
      { tool: "docker", args: ["pause"] },
      { tool: "docker", args: ["unpause"] },
      { tool: "docker", args: ["rm"] },
    );
    // npm runs the script in the project; the fakes' PROMEMU_FAKE_DIR points it at this test's sandbox. Under
    // bash (macOS' sh) the script's shell execs the CLI, so npm's forwarded SIGINT reaches the CLI as well
    // as the terminal's: one Ctrl-C, delivered twice.
    const env = {
      ...sb.fakes.env(),
      PATH: `${sb.fakes.binDir}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
      npm_config_script_shell: "/bin/bash",
    };
    const npm = spawn("npm", ["run", "--silent", "backup", "--", "--output", path.join(sb.cwd, "backups")], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stderr = "";
    npm.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<string>((resolve) => npm.once("close", (code, signal) => resolve(signal ?? String(code))));
    await calledWith(sb.fakes, "docker", "run --rm --name promemu-dev-pushgateway-backup");
    // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group (npm, sh, the CLI).
    process.kill(-npm.pid!, "SIGINT");
    // npm passes the CLI's 130 on as its own exit code, or as shells expect it, ending itself by SIGINT.
    expect(["130", "SIGINT"]).toContain(await exited);
    expect(sb.fakes.commandLines("docker").filter((l) => !l.includes("inspect")).slice(-2)).toEqual(["rm -f promemu-dev-pushgateway-backup", "unpause promemu-dev-pushgateway"]);
    expect(stderr).toContain("interrupted by SIGINT");
    expect(stderr).not.toContain("quitting without finishing the clean-up");
  });

  test("SIGTERM during up asks Pulumi to cancel (SIGINT, its graceful stop) and says what to do next; exit 143", async () => {
    sb.fakes.on(...deployed(), { tool: "pulumi", args: ["up"], block: true });
    const cli = spawnOps(["up"], sb);
    await calledWith(sb.fakes, "pulumi", "up --yes --stack dev");
    cli.child.kill("SIGTERM");
    const result = await cli.exited;
    expect(result.code).toBe(143);
    expect(sb.fakes.signals()).toEqual([{ tool: "pulumi", args: ["up", "--yes", "--stack", "dev", "--non-interactive"], signal: "SIGINT" }]);
    expect(result.stderr).toContain("interrupted by SIGTERM: pulumi up was cancelled part-way; run the command again to finish");
    expect(result.stderr).not.toMatch(NO_TRACE);
  });

  test("SIGTERM during cleanup's destroy deletes no volume; SIGTERM during stack:new leaves no stack file", async () => {
    sb.fakes.on(...deployed(), { tool: "docker", args: ["volume", "ls"], stdout: '{"Name":"promemu-dev-grafana-data"}\n' }, { tool: "pulumi", args: ["destroy"], block: true });
    const cleanup = spawnOps(["cleanup", "--yes"], sb);
    await calledWith(sb.fakes, "pulumi", "destroy");
    cleanup.child.kill("SIGTERM");
    expect((await cleanup.exited).code).toBe(143);
    expect(sb.fakes.commandLines("docker").filter((l) => l.startsWith("volume rm"))).toEqual([]);

    sb.fakes.on({ tool: "pulumi", args: ["stack", "init"], block: true });
    const stackNew = spawnOps(["stack:new", "bob", "--offset", "700"], sb);
    await calledWith(sb.fakes, "pulumi", "stack init bob");
    stackNew.child.kill("SIGTERM");
    expect((await stackNew.exited).code).toBe(143);
    expect(fs.existsSync(path.join(sb.cwd, "Pulumi.bob.yaml"))).toBe(false);
  });

  test("Ctrl-C ends logs --follow with 130 and no error", async () => {
    sb.fakes.on(...deployed(), { tool: "docker", args: ["logs"], block: true });
    const cli = spawnOps(["logs", "prometheus", "--follow"], sb);
    await calledWith(sb.fakes, "docker", "logs --follow promemu-dev-prometheus");
    cli.child.kill("SIGINT");
    const result = await cli.exited;
    expect(result.code).toBe(130);
    expect(result.stderr).not.toContain("error:");
  });

  test("a closed standard output ends the command quietly (npm run config | head -1)", async () => {
    const result = await spawnOps(["config", "--stack", "dev"], sb, { closeStdout: true }).exited;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });
});
