/**
 * --remote-write-header NAME=VALUE (PROMEMU_REMOTE_WRITE_HEADERS): extra headers on every remote-write request, e.g.
 * a receiver's tenant (THANOS-TENANT for Thanos Receive, X-Scope-OrgID for Mimir). The protocol's own headers and
 * Authorization cannot be given; bad values exit 2 naming the flag or the variable.
 */
import { spawnSync } from "child_process";
import { parseRunOptions } from "../../emulator/src/cli/options";
import { Runner } from "../../emulator/src/runner";
import { loadScenario } from "../../emulator/src/scenario/loader";
import { Telemetry } from "../../emulator/src/telemetry";
import { sleep } from "../support/servers";
import { EMULATOR_BIN, rawRunOptions as raw } from "./helpers";
import { startFakeReceiver } from "./remote-write-helpers";

const URL_ = "http://127.0.0.1:9/api/v1/write";

describe("--remote-write-header", () => {
  it("reads NAME=VALUE pairs, repeated or comma-separated", () => {
    const options = parseRunOptions(raw({ remoteWriteUrl: URL_, remoteWriteHeader: ["THANOS-TENANT=team-a", "X-Team = payments , X-Env=dev"] }));
    expect(options.remoteWrite?.headers).toEqual({ "THANOS-TENANT": "team-a", "X-Team": "payments", "X-Env": "dev" });
    expect(parseRunOptions(raw({ remoteWriteUrl: URL_ })).remoteWrite?.headers).toBeUndefined();
  });

  it.each([
    ["THANOS-TENANT", "must be NAME=VALUE with a value"],
    ["THANOS-TENANT=", "must be NAME=VALUE with a value"],
    ["=team-a", "must be NAME=VALUE with a value"],
    ["tenant id=a", '"tenant id" is not an HTTP header name'],
    ["Authorization=Bearer x", "the Authorization header cannot be set: credentials come from"],
    ["content-type=text/plain", "the content-type header cannot be set: remote write sets it"],
    ["X-Prometheus-Remote-Write-Version=2.0.0", "the X-Prometheus-Remote-Write-Version header cannot be set"],
    ["User-Agent=me", "the User-Agent header cannot be set"],
  ])("refuses %s", (value, problem) => {
    expect(() => parseRunOptions(raw({ remoteWriteUrl: URL_, remoteWriteHeader: [value] }))).toThrow(`--remote-write-header "${value.split(",")[0]}": ${problem}`);
  });

  it("refuses a header given twice (any case), and a header without --remote-write-url", () => {
    expect(() => parseRunOptions(raw({ remoteWriteUrl: URL_, remoteWriteHeader: ["THANOS-TENANT=a", "thanos-tenant=b"] }))).toThrow("thanos-tenant is given twice (also as THANOS-TENANT)");
    expect(() => parseRunOptions(raw({ listen: ":9464", remoteWriteHeader: ["THANOS-TENANT=a"] }))).toThrow("--remote-write-header is for remote write: give --remote-write-url");
  });

  it("promemu run exits 2 naming the flag or the variable", () => {
    const flag = spawnSync(process.execPath, [EMULATOR_BIN, "run", "--remote-write-url", URL_, "--remote-write-header", "Authorization=x", "--duration", "1s"], { encoding: "utf8" });
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain('--remote-write-header "Authorization=x": the Authorization header cannot be set');
    const env = spawnSync(process.execPath, [EMULATOR_BIN, "run", "--remote-write-url", URL_, "--duration", "1s"], {
      encoding: "utf8",
      env: { ...process.env, PROMEMU_REMOTE_WRITE_HEADERS: "THANOS-TENANT" },
    });
    expect(env.status).toBe(2);
    expect(env.stderr).toContain('PROMEMU_REMOTE_WRITE_HEADERS "THANOS-TENANT": must be NAME=VALUE with a value');
  });

  it("sends the headers with every request, beside the protocol's own", async () => {
    const receiver = await startFakeReceiver(() => ({ status: 204 }));
    const runner = new Runner({
      scenario: loadScenario("default").scenario,
      seed: 1,
      speed: 60,
      pushIntervalMs: 100,
      remoteWrite: { url: receiver.url, userAgent: "promemu-test", timeoutMs: 2000, shards: 2, maxSamplesPerRequest: 50, maxPendingSamples: 100_000, headers: { "THANOS-TENANT": "team-a" } },
      telemetry: new Telemetry({ processMetrics: false }),
      log: () => undefined,
    });
    try {
      runner.start();
      await sleep(500);
      await runner.stop();
      expect(receiver.requests.length).toBeGreaterThan(2);
      for (const r of receiver.requests) {
        expect(r.headers["thanos-tenant"]).toBe("team-a");
        expect(r.headers["content-encoding"]).toBe("snappy");
        expect(r.headers["x-prometheus-remote-write-version"]).toBe("0.1.0");
      }
    } finally {
      await runner.stop();
      await receiver.close();
    }
  });
});
