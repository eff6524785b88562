/**
 * The program (index.ts) under mocks with `emulator.remoteWrite.url`: the emulator writes to a team's own receiver
 * (Thanos Receive here) instead of the stack's Prometheus, which then opens no receiver; the token stays a secret; a
 * bad URL stops the program naming the key.
 */
import type { ProgramRun } from "../../scripts/mocked-program";
import { containerEnv, named, runIndexUnderMocks } from "../support/program";

const RECEIVER = "--web.enable-remote-write-receiver";
const THANOS = "http://thanos-receive.example:19291/api/v1/receive";

describe("emulator.remoteWrite.url", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runIndexUnderMocks({
      "promemu:emulator": JSON.stringify({ sink: "remote-write", remoteWrite: { url: THANOS, headers: { "THANOS-TENANT": "team-a" } } }),
    });
  });

  it("gives the emulator the external URL and the tenant header, and no Pushgateway URL", () => {
    const environment = containerEnv(run, "promemu-emulator-container");
    expect(environment).toMatchObject({ PROMEMU_REMOTE_WRITE_URL: THANOS, PROMEMU_REMOTE_WRITE_HEADERS: "THANOS-TENANT=team-a" });
    expect(environment).not.toHaveProperty("PROMEMU_PUSHGATEWAY_URL");
    expect(environment).not.toHaveProperty("PROMEMU_REMOTE_WRITE_BEARER_TOKEN");
  });

  it("starts the stack's Prometheus without a remote-write receiver, and the emulator without waiting for it", () => {
    expect(named(run, "promemu-prometheus-container").inputs.command as string[]).not.toContain(RECEIVER);
    expect(named(run, "promemu-emulator-container").dependsOn).not.toContain("promemu-prometheus-container");
  });

  it("keeps the bearer token secret: the emulator's whole environment is one", async () => {
    const secret = await runIndexUnderMocks(
      { "promemu:emulator": JSON.stringify({ sink: "remote-write", remoteWrite: { url: THANOS, bearerToken: "marker-token-8c1v" } }) },
      ["promemu:emulator"],
    );
    const emulator = named(secret, "promemu-emulator-container");
    expect(JSON.stringify(emulator.inputs)).not.toContain("marker-token-8c1v");
    expect(JSON.stringify(emulator.revealedInputs)).toContain("PROMEMU_REMOTE_WRITE_BEARER_TOKEN=marker-token-8c1v");
  });

  it("refuses a bad URL before anything is declared, naming the key", async () => {
    await expect(runIndexUnderMocks({ "promemu:emulator": JSON.stringify({ sink: "remote-write", remoteWrite: { url: "ftp://thanos/receive" } }) })).rejects.toThrow(
      /promemu:emulator\.remoteWrite\.url: the scheme ftp is not supported; use http:\/\/ or https:\/\//,
    );
  });
});
