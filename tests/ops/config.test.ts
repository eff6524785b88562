/** config: the effective configuration from the stack file alone, defaults filled in, secrets masked, offline. */
import * as fs from "fs";
import * as yaml from "js-yaml";
import { parseSettings } from "../../config/settings";
import { FakeTools } from "./support/fake-tools";
import { runOps, useSandbox } from "./support/harness";

const STACK_FILE = `encryptionsalt: v1:abc
config:
  promemu:portOffset: "200"
  promemu:grafanaAdminPassword:
    secure: v1:AAAAencryptedAAAA
  promemu:alertmanager:
    webhookUrl:
      secure: v1:BBBBencryptedBBBB
  promemu:prometheus:
    retentionTime: 3d
  docker:host: unix:///var/run/docker.sock
`;

describe("ops config", () => {
  // No pulumi at all: config works offline.
  const sb = useSandbox({ "Pulumi.carol.yaml": STACK_FILE }, ["docker"]);

  test("--json: every default, values as the program reads them, encrypted values masked", async () => {
    const run = await runOps(["config", "--stack", "carol", "--json"], sb);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const shown = JSON.parse(run.stdout);
    const expected = parseSettings({ portOffset: 200, prometheus: { retentionTime: "3d" } }, "test");
    expect(shown).toEqual({
      project: "promemu",
      stack: "carol",
      file: "Pulumi.carol.yaml",
      settings: { ...expected, grafanaAdminPassword: "[secret]", alertmanager: { ...expected.alertmanager, webhookUrl: "[secret]" } },
      hostPorts: { logs: 9628, pushgateway: 9291, prometheus: 9290, alertmanager: 9293, grafana: 3200, emulator: 9664 },
    });
    expect(run.stdout).not.toContain("encrypted");
  });

  test("YAML for people; a plain-text password is masked too", async () => {
    fs.writeFileSync(`${sb.cwd}/Pulumi.carol.yaml`, "config:\n  promemu:grafanaAdminPassword: correct-horse-battery\n");
    const run = await runOps(["config", "--stack", "carol"], sb);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain("correct-horse-battery");
    const doc = yaml.load(run.stdout) as { promemu: Record<string, unknown>; hostPorts: Record<string, number> };
    expect(doc.promemu.grafanaAdminPassword).toBe("[secret]");
    expect(doc.promemu.portOffset).toBe(0);
    expect(doc.hostPorts.grafana).toBe(3000);
    expect(run.stdout).toMatch(/^# Effective configuration of stack carol: Pulumi\.carol\.yaml with every default filled in, secrets masked\.$/m);
  });

  test("an invalid file is a usage error naming file, key and what is allowed", async () => {
    fs.writeFileSync(`${sb.cwd}/Pulumi.carol.yaml`, "config:\n  promemu:emulator:\n    scenario: chaos\n  promemu:grafna: {}\n");
    const run = await runOps(["config", "--stack", "carol"], sb);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("invalid configuration in Pulumi.carol.yaml");
    // The list grows with the emulator's scenarios; what matters is that the allowed values are named.
    expect(run.stderr).toMatch(/promemu:emulator\.scenario: must be one of the built-in scenarios: default, (\S+, )*hosts-load-with-peaks, (\S+, )*single-host-load\n/);
    expect(run.stderr).toContain("promemu:grafna: unknown key");

    fs.writeFileSync(`${sb.cwd}/Pulumi.carol.yaml`, "config: [1, 2\n");
    const broken = await runOps(["config", "--stack", "carol"], sb);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^error: .*Pulumi\.carol\.yaml is not valid YAML: /);
  });

  test("without --stack and without the Pulumi CLI it shows dev; a missing stack file means all defaults", async () => {
    const run = await runOps(["config", "--json"], sb);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ stack: "dev", settings: parseSettings({}, "test") });
  });

  test("a stack that does not exist is said not to exist, as status says, instead of showing defaults", async () => {
    const offline = await runOps(["config", "--stack", "nosuch"], sb);
    expect(offline.stdout).toBe("");
    expect(offline.stderr).toBe("error: no stack nosuch: create it with npm run stack:new -- nosuch\n");
    expect(offline.code).toBe(1);

    const online = new FakeTools().on({ tool: "pulumi", args: ["stack", "ls"], stdout: JSON.stringify([{ name: "dev", current: true }, { name: "plain", current: false }]) });
    try {
      const missing = await runOps(["config", "--stack", "nosuch"], { fakes: online, cwd: sb.cwd });
      expect([missing.code, missing.stdout, missing.stderr]).toEqual([1, "", "error: no stack nosuch: create it with npm run stack:new -- nosuch\n"]);
      // In the backend without a file of its own: every default is its configuration.
      const plain = await runOps(["config", "--stack", "plain", "--json"], { fakes: online, cwd: sb.cwd });
      expect(plain.code).toBe(0);
      expect(JSON.parse(plain.stdout)).toMatchObject({ stack: "plain", settings: parseSettings({}, "test") });
    } finally {
      online.remove();
    }
  });
});
