/**
 * The program (index.ts) under mocks with configurations other than the dev stack's: secrets set with
 * `--secret`, Grafana turned off, a bind address other than loopback. Each run gets its own module registry,
 * so each loads its own Pulumi runtime and program.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ProgramRun } from "../../scripts/mocked-program";
import { SECRET_CAPABLE_KEYS } from "../../config/settings";
import { CONTAINER, runIndexUnderMocks, VOLUME } from "../support/program";

const ROOT = path.resolve(__dirname, "../..");

/** For each secret-capable key: a configuration holding a value found nowhere else, with its top-level key secret. */
const SECRET_CASES: Record<(typeof SECRET_CAPABLE_KEYS)[number], { key: string; value: string; marker: string }> = {
  grafanaAdminPassword: { key: "promemu:grafanaAdminPassword", value: "marker-password-7q2x", marker: "marker-password-7q2x" },
  "alertmanager.webhookUrl": {
    key: "promemu:alertmanager",
    value: JSON.stringify({ webhookUrl: "https://hooks.example/services/marker-token-9f3k" }),
    marker: "marker-token-9f3k",
  },
  "emulator.set": { key: "promemu:emulator", value: JSON.stringify({ set: { "peak.first": "1m13s" } }), marker: "1m13s" },
  "emulator.remoteWrite.bearerToken": {
    key: "promemu:emulator",
    value: JSON.stringify({ sink: "remote-write", remoteWrite: { url: "http://thanos-receive.example:19291/api/v1/receive", bearerToken: "marker-rw-token-3m8p" } }),
    marker: "marker-rw-token-3m8p",
  },
  "prometheus.externalLabels": { key: "promemu:prometheus", value: JSON.stringify({ externalLabels: { team: "marker-label-5h1z" } }), marker: "marker-label-5h1z" },
};

describe("secret configuration", () => {
  it.each(SECRET_CAPABLE_KEYS.map((k) => [k]))("keeps %s secret in every resource input and output", async (capable) => {
    const { key, value, marker } = SECRET_CASES[capable];
    const run = await runIndexUnderMocks({ [key]: value }, [key]);
    // It reaches the resources (so it was not dropped), but only inside secrets.
    expect(JSON.stringify(run.resources.map((r) => r.revealedInputs))).toContain(marker);
    expect(JSON.stringify(run.resources.map((r) => r.inputs))).not.toContain(marker);
    expect(JSON.stringify(run.outputs)).not.toContain(marker);
  });

  it("keeps what carries no secret readable: a secret webhook hides the Alertmanager configuration only", async () => {
    const { key, value } = SECRET_CASES["alertmanager.webhookUrl"];
    const run = await runIndexUnderMocks({ [key]: value }, [key]);
    const alertmanager = run.resources.find((r) => r.name === "promemu-alertmanager-container")!;
    // The SDK makes a whole top-level input secret when anything inside it is.
    expect(alertmanager.inputs.uploads).toBe("[secret]");
    expect(alertmanager.inputs.command).toContain("--storage.path=/alertmanager");
    const prometheus = run.resources.find((r) => r.name === "promemu-prometheus-container")!;
    expect(JSON.stringify(prometheus.inputs.uploads)).not.toContain("[secret]");
  });

  it("refuses a secret on a key whose value reaches Docker in plain text, naming the key and the ones allowed", async () => {
    await expect(runIndexUnderMocks({ "promemu:portOffset": "100" }, ["promemu:portOffset"])).rejects.toThrow(
      /promemu:portOffset: is set as a secret, but its value reaches Docker in plain text .*only these keys can be secrets: promemu:grafanaAdminPassword, promemu:alertmanager\.webhookUrl/,
    );
  });

  it("lets `npm run plan` run on a stack file with encrypted values: stand-ins that pass validation, printed as [secret]", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "promemu-secure-")), "Pulumi.sec.yaml");
    fs.writeFileSync(
      file,
      "config:\n  promemu:grafanaAdminPassword:\n    secure: v1:AAAA\n  promemu:alertmanager:\n    webhookUrl:\n      secure: v1:BBBB\n",
    );
    const result = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/plan.ts", "--stack", "sec", "--config", file, "--format", "text"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/promemu-alertmanager-container[\s\S]*uploads = "\[secret\]"/);
    expect(result.stdout).toMatch(/promemu-grafana-container[\s\S]*envs = "\[secret\]"/);
    expect(result.stdout).not.toMatch(/stand-in/);
  });
});

describe("grafana.enabled = false", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runIndexUnderMocks({ "promemu:grafana": '{"enabled":false}' });
  });

  it("declares no Grafana resource", () => {
    expect(run.resources.filter((r) => r.name.includes("grafana"))).toEqual([]);
    expect(run.resources.filter((r) => r.type === CONTAINER).map((r) => r.inputs.hostname).sort()).toEqual(["alertmanager", "emulator", "logs", "prometheus", "pushgateway"]);
    expect(run.resources.filter((r) => r.type === VOLUME)).toHaveLength(4);
  });

  it("neither scrapes Grafana nor waits for it, nor lets its origin read Prometheus", () => {
    const prometheus = run.resources.find((r) => r.name === "promemu-prometheus-container")!;
    const config = (prometheus.inputs.uploads as { file: string; content: string }[]).find((u) => u.file.endsWith("prometheus.yml"))!.content;
    expect(config).not.toContain("grafana");
    expect(prometheus.inputs.command).toContain("--web.cors.origin=http://127\\.0\\.0\\.1:9090");
    const check = run.resources.find((r) => r.name === "promemu-check-targets-up")!;
    expect((check.inputs.environment as Record<string, string>).EXPECTED_JOBS).toBe("alertmanager,emulator,logs,prometheus,pushgateway");
  });

  it("exports no Grafana URL, container, volume, image, login or password", () => {
    const outputs = run.outputs as Record<string, Record<string, unknown> | undefined>;
    expect(Object.keys(outputs.urls!).sort()).toEqual(["alertmanager", "emulator", "logs", "prometheus", "pushgateway"]);
    for (const key of ["containers", "volumes", "images"]) expect(outputs[key]).not.toHaveProperty("grafana");
    expect(outputs.grafanaAdminUser).toBeUndefined();
    expect(outputs.grafanaAdminPassword).toBeUndefined();
  });
});

describe("bindAddress", () => {
  it("warns at up, naming what becomes reachable, when it is not loopback", async () => {
    const warnings: string[] = [];
    await runIndexUnderMocks({ "promemu:bindAddress": "0.0.0.0" }, [], (pulumi) => {
      jest.spyOn(pulumi.log, "warn").mockImplementation(async (message: string) => void warnings.push(message));
    });
    expect(warnings).toEqual([expect.stringMatching(/^bindAddress is 0\.0\.0\.0, not loopback/)]);
    for (const what of ["anonymous Viewer", "Pushgateway (port 9091): anyone can push", "Alertmanager (port 9093)", "silences", "emulator (port 9464)"]) {
      expect(warnings[0]).toContain(what);
    }
  });

  it("says nothing on loopback", async () => {
    const warnings: string[] = [];
    await runIndexUnderMocks({ "promemu:bindAddress": "127.0.0.2" }, [], (pulumi) => {
      jest.spyOn(pulumi.log, "warn").mockImplementation(async (message: string) => void warnings.push(message));
    });
    expect(warnings).toEqual([]);
  });
});
