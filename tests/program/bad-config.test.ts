/**
 * Every invalid value fails before any resource is declared, with a message naming the key and what is
 * allowed. `settingsFromConfig` is exactly what index.ts runs on Pulumi's configuration strings.
 */
import * as pulumi from "@pulumi/pulumi";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, settingsFromConfig } from "../../config/settings";

function problems(config: Record<string, string>): string[] {
  try {
    settingsFromConfig(config, "Pulumi.bad.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error("expected the configuration to be rejected");
}

describe("bad configuration", () => {
  it("accepts an empty configuration and fills in every default", () => {
    const settings = settingsFromConfig({}, "Pulumi.dev.yaml");
    expect(settings.prometheus).toMatchObject({ retentionTime: "7d", retentionSize: "10GB", scrapeInterval: "15s" });
    expect(settings.grafana.anonymousAccess).toBe(true);
  });

  it("reads Pulumi's string encoding of numbers, booleans and objects", () => {
    const settings = settingsFromConfig(
      { "promemu:portOffset": "100", "promemu:keepData": "false", "promemu:prometheus": '{"retentionTime":"3d"}', "docker:host": "unix:///x" },
      "Pulumi.dev.yaml",
    );
    expect(settings).toMatchObject({ portOffset: 100, keepData: false, prometheus: { retentionTime: "3d", retentionSize: "10GB" } });
  });

  it("rejects an unknown emulator sink and a replica count outside 1..16, naming the key and what is allowed", () => {
    expect(problems({ "promemu:emulator": '{"sink":"kafka"}' })).toEqual(["promemu:emulator.sink: must be one of: pushgateway, remote-write"]);
    for (const replicas of ["0", "17", "2.5", '"3"']) {
      expect(problems({ "promemu:emulator": `{"replicas":${replicas}}` })).toEqual(["promemu:emulator.replicas: must be a whole number from 1 to 16"]);
    }
    expect(settingsFromConfig({ "promemu:emulator": '{"sink":"remote-write","replicas":16}' }, "x").emulator).toMatchObject({ sink: "remote-write", replicas: 16 });
    expect(settingsFromConfig({}, "x").emulator).toMatchObject({ sink: "pushgateway", replicas: 1 });
  });

  it("rejects a port out of range", () => {
    expect(problems({ "promemu:prometheus": '{"port":70000}' })).toEqual([expect.stringMatching(/^promemu:prometheus\.port: .*65535/)]);
    expect(problems({ "promemu:grafana": '{"port":0}' })).toEqual([expect.stringMatching(/^promemu:grafana\.port: /)]);
  });

  it("rejects a port pushed out of range by portOffset", () => {
    expect(problems({ "promemu:portOffset": "50000", "promemu:grafana": '{"port":20000}' })).toEqual([
      "promemu:grafana.port: grafana port plus portOffset is 70000, above 65535",
    ]);
  });

  it("rejects two services on one host port", () => {
    expect(problems({ "promemu:grafana": '{"port":9090}' })).toEqual([
      "promemu:grafana.port: host port 9090 is already taken by prometheus; every service needs its own port",
    ]);
  });

  it("ignores the port of a disabled service", () => {
    expect(() => settingsFromConfig({ "promemu:alertmanager": '{"enabled":false,"port":9090}' }, "Pulumi.x.yaml")).not.toThrow();
  });

  it("rejects a malformed duration", () => {
    expect(problems({ "promemu:prometheus": '{"retentionTime":"7 days"}' })).toEqual([
      expect.stringMatching(/^promemu:prometheus\.retentionTime: must be a duration such as 15s, 5m/),
    ]);
    expect(problems({ "promemu:emulator": '{"pushInterval":"0s"}' })).toEqual(["promemu:emulator.pushInterval: must be longer than 0s"]);
  });

  it("rejects a size without a unit", () => {
    expect(problems({ "promemu:prometheus": '{"retentionSize":"10"}' })).toEqual([
      "promemu:prometheus.retentionSize: must be a size with a unit: B, KB, MB, GB, TB, PB or EB (e.g. 10GB)",
    ]);
  });

  it("rejects an unknown scenario and lists the built-in ones", () => {
    expect(problems({ "promemu:emulator": '{"scenario":"peaks"}' })).toEqual([
      "promemu:emulator.scenario: must be one of the built-in scenarios: default, fleet-calm, fleet-faults, hosts-load-with-peaks, single-host-load",
    ]);
  });

  it.each([["grafana/grafana"], ["grafana/grafana:latest"], ["Grafana/Grafana:12"], ["grafana/grafana:12.1.0 "]])(
    "rejects the image reference %j",
    (image) => {
      expect(problems({ "promemu:grafana": JSON.stringify({ image }) })).toEqual([expect.stringMatching(/^promemu:grafana\.image: must be a pinned image reference/)]);
    },
  );

  it("accepts images pinned by tag, registry or digest, and local images pinned by tag", () => {
    const digest = `prom/prometheus@sha256:${"a".repeat(64)}`;
    for (const image of ["quay.io/prometheus/prometheus:v3.5.0", "localhost:5000/team/prometheus:v3", digest, "promemu-local/prometheus:2.42.0-debian12"]) {
      expect(settingsFromConfig({ "promemu:prometheus": JSON.stringify({ image }) }, "x").prometheus.image).toBe(image);
    }
    expect(settingsFromConfig({ "promemu:emulator": '{"nodeImage":"promemu-local/node:20.20.2-debian12"}' }, "x").emulator.nodeImage).toBe(
      "promemu-local/node:20.20.2-debian12",
    );
  });

  it.each([["promemu-local/node"], ["promemu-local/node:latest"], ["node"]])("rejects the emulator's base image %j", (nodeImage) => {
    expect(problems({ "promemu:emulator": JSON.stringify({ nodeImage }) })).toEqual([expect.stringMatching(/^promemu:emulator\.nodeImage: must be a pinned image reference/)]);
  });

  it("turns Grafana off with grafana.enabled, freeing its port", () => {
    expect(settingsFromConfig({}, "x").grafana.enabled).toBe(true);
    expect(() => settingsFromConfig({ "promemu:grafana": '{"enabled":false,"port":9090}' }, "x")).not.toThrow();
  });

  it.each([["localhost"], ["256.0.0.1"], ["127.0.0"], [""]])("rejects the bind address %j", (address) => {
    expect(problems({ "promemu:bindAddress": address })).toEqual([expect.stringMatching(/^promemu:bindAddress: must be an IPv4 address/)]);
  });

  it("rejects unknown keys, naming each one", () => {
    expect(problems({ "promemu:prometheus": '{"retention":"3d"}', "promemu:grafna": "{}" })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^promemu:prometheus\.retention: unknown key/), expect.stringMatching(/^promemu:grafna: unknown key/)]),
    );
  });

  it("rejects a weak or default Grafana password and a non-http webhook", () => {
    expect(problems({ "promemu:grafanaAdminPassword": "admin" })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^promemu:grafanaAdminPassword: must be at least 12 characters/)]),
    );
    expect(problems({ "promemu:alertmanager": '{"webhookUrl":"ftp://hooks.example/x"}' })).toEqual(["promemu:alertmanager.webhookUrl: must be an http(s) URL"]);
  });

  it("reports a value of the wrong type with its key", () => {
    expect(problems({ "promemu:keepData": "yes" })).toEqual([expect.stringMatching(/^promemu:keepData: /)]);
  });
});

describe("bad configuration in the program", () => {
  it("stops index.ts with a RunError (printed without a stack trace) before any resource is declared", async () => {
    const registered: string[] = [];
    await pulumi.runtime.setMocks({ newResource: (a) => (registered.push(a.name), { id: "x", state: a.inputs }), call: () => ({}) }, "promemu", "bad");
    pulumi.runtime.setAllConfig({ "promemu:prometheus": '{"retentionSize":"10"}' });
    let error: unknown;
    jest.isolateModules(() => {
      try {
        require("../../index");
      } catch (err) {
        error = err;
      }
    });
    expect(pulumi.RunError.isInstance(error as Error)).toBe(true);
    expect((error as Error).message).toContain("Pulumi.bad.yaml");
    expect((error as Error).message).toContain("promemu:prometheus.retentionSize");
    expect(registered).toEqual([]);
  });

  it("makes `npm run plan` exit 2 with the message and no stack trace", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-bad-"));
    const file = path.join(dir, "Pulumi.bad.yaml");
    fs.writeFileSync(file, "config:\n  promemu:bindAddress: localhost\n");
    const result = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/plan.ts", "--stack", "bad", "--config", file], {
      cwd: path.resolve(__dirname, "../.."),
      encoding: "utf8",
    });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("promemu:bindAddress: must be an IPv4 address");
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
