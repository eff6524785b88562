/**
 * The stack's side of the emulator: its configuration check refuses what the emulator would refuse
 * (a scenario too large to run, unknown parameters, a push interval Node's timers cannot hold), and
 * `emulator.set` reaches the emulator's option parsing intact through PROMEMU_SET.
 */
import { spawn } from "child_process";
import { emulatorEnvironment, encodeSet } from "../../config/emulator";
import { ConfigError, SettingsSchema, parseSettings, secretStandIn } from "../../config/settings";
import { freePort, waitForUrl } from "../support/servers";
import { EMULATOR_BIN, tempFile } from "./helpers";

function issues(raw: Record<string, unknown>): string[] {
  try {
    parseSettings(raw, "Pulumi.test.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  return [];
}

describe("the stack's configuration check of the emulator", () => {
  it("refuses a scenario too large to run, with its estimate and the key that raises the limit", () => {
    const [problem, ...rest] = issues({ emulator: { set: { "hosts.count": 1e9 } } });
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^promemu:emulator\.set: scenario default expands to 1,000,000,002 hosts and 16,000,000,040 series, which would need about 10\.4 TB of memory/);
    expect(problem).toContain("raise the limit with promemu:emulator.maxSeries");

    expect(issues({ emulator: { set: { "hosts.count": 100_000 } } })[0]).toContain("1,600,040 series");
    expect(issues({ emulator: { set: { "hosts.count": 100_000 }, maxSeries: 2_000_000 } })).toEqual([]);
    // A disabled emulator runs nothing; a secret the offline plan cannot read is not checked.
    expect(issues({ emulator: { enabled: false, set: { "hosts.count": 1e9 } } })).toEqual([]);
    expect(issues({ emulator: { set: { "hosts.count": secretStandIn(["emulator", "set", "hosts.count"]) } } })).toEqual([]);
  });

  it("refuses what the emulator would refuse at start: unknown or ill-typed parameters, a push interval above a day", () => {
    expect(issues({ emulator: { set: { "hosts.cnt": 3 } } })).toEqual([
      expect.stringMatching(/^promemu:emulator\.set: --set hosts\.cnt=3: scenario default has no parameter "hosts\.cnt"/),
    ]);
    expect(issues({ emulator: { set: { "hosts.count": "many" } } })[0]).toContain("--set hosts.count=many: must be a number");
    expect(issues({ emulator: { pushInterval: "30d" } })).toEqual(["promemu:emulator.pushInterval: must be at most 1d"]);
    expect(issues({ emulator: { seed: 2 ** 32 } })[0]).toMatch(/^promemu:emulator\.seed: /);
  });

  it("passes maxSeries to the container only when it is set", () => {
    const args = { project: "promemu", stack: "dev", pushgatewayUrl: "http://pushgateway:9091" };
    expect(emulatorEnvironment({ settings: parseSettings({}, "x"), ...args })).not.toHaveProperty("PROMEMU_MAX_SERIES");
    expect(emulatorEnvironment({ settings: parseSettings({ emulator: { maxSeries: 5000 } }, "x"), ...args }).PROMEMU_MAX_SERIES).toBe("5000");
  });
});

describe("emulator.set on its way into the container", () => {
  it("is JSON in PROMEMU_SET (empty without overrides), keys sorted", () => {
    expect(encodeSet({})).toBe("");
    expect(encodeSet({ "z.b": 1, a: "x,y=z", c: true })).toBe('{"a":"x,y=z","c":true,"z.b":1}');
  });

  it("a value with commas and = survives end to end: settings -> PROMEMU_SET -> the CLI's options -> the series", async () => {
    const scenario = tempFile("site.yaml", "params: {site: x, hosts: {count: 1}}\nlabels: {site: '${site}'}\nhosts: [{name: 'h-{{i}}', count: '${hosts.count}', role: r, metrics: {m: 1}}]\n");
    // The schema alone: the stack's check would refuse `site`, a parameter of this file, not of its built-in scenario.
    const settings = SettingsSchema.parse({ emulator: { set: { site: "eu-west,rack=3", "hosts.count": 2 } } });
    const environment = emulatorEnvironment({ settings, project: "promemu", stack: "dev", pushgatewayUrl: "http://pushgateway:9091" });
    const port = await freePort();
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PROMEMU_")));
    const child = spawn(process.execPath, [EMULATOR_BIN, "run"], {
      stdio: ["ignore", "ignore", "pipe"],
      // The container's environment, except where it would reach for the stack's network.
      env: { ...base, ...environment, PROMEMU_SCENARIO: scenario, PROMEMU_PUSHGATEWAY_URL: "", PROMEMU_LISTEN: `127.0.0.1:${port}` },
    });
    let output = "";
    child.stderr!.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await waitForUrl(`http://127.0.0.1:${port}/healthz`, 20_000, () => output);
      const lines = (await (await fetch(`http://127.0.0.1:${port}/emulated`)).text()).split("\n").filter((l) => l.startsWith("m{"));
      expect(lines).toHaveLength(2);
      for (const line of lines) expect(line).toContain('site="eu-west,rack=3"');
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
