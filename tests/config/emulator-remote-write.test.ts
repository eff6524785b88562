/**
 * `emulator.remoteWrite`: the emulator writes to an external remote-write endpoint (a team's Thanos Receive, Mimir or
 * VictoriaMetrics) instead of the stack's Prometheus: its URL, a bearer token held as a secret, headers such as a
 * tenant; bad values stop the configuration before anything is deployed, each naming its key.
 */
import { emulatorEnvironment } from "../../config/emulator";
import { parseSettings } from "../../config/settings";

const base = { project: "promemu", stack: "dev", pushgatewayUrl: "http://pushgateway:9091", remoteWriteUrl: "http://prometheus:9090/api/v1/write" };
const THANOS = "http://thanos-receive.example:19291/api/v1/receive";
const environment = (emulator: Record<string, unknown>) => emulatorEnvironment({ settings: parseSettings({ emulator }, "test"), ...base });

/** Every problem parseSettings reports for an emulator section, one per line. */
function problems(emulator: Record<string, unknown>): string {
  try {
    parseSettings({ emulator }, "Pulumi.dev.yaml");
  } catch (err) {
    return (err as Error).message;
  }
  return "";
}

describe("emulator.remoteWrite", () => {
  it("sends to the external URL, with the token and the headers, instead of the stack's Prometheus", () => {
    const env = environment({ sink: "remote-write", remoteWrite: { url: THANOS, bearerToken: "s3cr3t", headers: { "THANOS-TENANT": "team-a", "X-Team": "payments" } } });
    expect(env).toMatchObject({
      PROMEMU_REMOTE_WRITE_URL: THANOS,
      PROMEMU_REMOTE_WRITE_BEARER_TOKEN: "s3cr3t",
      PROMEMU_REMOTE_WRITE_HEADERS: "THANOS-TENANT=team-a,X-Team=payments",
    });
    expect(env).not.toHaveProperty("PROMEMU_PUSHGATEWAY_URL");
  });

  it("changes nothing when unset: the stack's Prometheus, no token, no headers", () => {
    const env = environment({ sink: "remote-write" });
    expect(env.PROMEMU_REMOTE_WRITE_URL).toBe("http://prometheus:9090/api/v1/write");
    expect(env).not.toHaveProperty("PROMEMU_REMOTE_WRITE_BEARER_TOKEN");
    expect(env).not.toHaveProperty("PROMEMU_REMOTE_WRITE_HEADERS");
    expect(parseSettings({}, "test").emulator.remoteWrite).toEqual({ headers: {} });
  });

  it("gives the headers to the emulator in the form its --remote-write-header reads", () => {
    // The emulator's own parser, on what the container gets: the same headers back.
    const { parseRemoteWriteHeaders } = jest.requireActual("../../emulator/src/cli/remote-write-headers") as typeof import("../../emulator/src/cli/remote-write-headers");
    const env = environment({ sink: "remote-write", remoteWrite: { url: THANOS, headers: { "X-Scope-OrgID": "team b" } } });
    expect(parseRemoteWriteHeaders([env.PROMEMU_REMOTE_WRITE_HEADERS], "PROMEMU_REMOTE_WRITE_HEADERS")).toEqual({ headers: { "X-Scope-OrgID": "team b" }, problems: [] });
  });

  it.each([
    [{ sink: "remote-write", remoteWrite: { url: "thanos:19291" } }, "promemu:emulator.remoteWrite.url: the scheme thanos is not supported; use http:// or https://"],
    [{ sink: "remote-write", remoteWrite: { url: "not a url" } }, 'promemu:emulator.remoteWrite.url: "not a url" is not a URL'],
    [{ sink: "remote-write", remoteWrite: { url: `${THANOS}?tenant=a` } }, "promemu:emulator.remoteWrite.url: must not have a query or a fragment"],
    [{ sink: "remote-write", remoteWrite: { url: "http://user:pw@thanos:19291/api/v1/receive" } }, "promemu:emulator.remoteWrite.url: must not carry credentials"],
    [{ remoteWrite: { url: THANOS } }, "promemu:emulator.remoteWrite.url: needs emulator.sink: remote-write (it is pushgateway)"],
    [{ sink: "remote-write", remoteWrite: { bearerToken: "x" } }, "promemu:emulator.remoteWrite.bearerToken: is for emulator.remoteWrite.url, which is not set"],
    [{ sink: "remote-write", remoteWrite: { headers: { "THANOS-TENANT": "a" } } }, "promemu:emulator.remoteWrite.headers: are for emulator.remoteWrite.url, which is not set"],
    [{ sink: "remote-write", remoteWrite: { url: THANOS, headers: { Authorization: "Bearer x" } } }, 'promemu:emulator.remoteWrite.headers "Authorization=Bearer x": the Authorization header cannot be set'],
    [{ sink: "remote-write", remoteWrite: { url: THANOS, headers: { "tenant id": "a" } } }, '"tenant id" is not an HTTP header name'],
    [{ sink: "remote-write", remoteWrite: { url: THANOS, headers: { "X-Teams": "a,b" } } }, "promemu:emulator.remoteWrite.headers.X-Teams: must not contain a comma"],
    [{ sink: "remote-write", remoteWrite: { url: THANOS, tenant: "a" } }, "promemu:emulator.remoteWrite.tenant: unknown key"],
  ])("refuses %j, naming the key", (emulator, message) => {
    const text = problems(emulator);
    expect(text).toContain("Pulumi.dev.yaml");
    expect(text).toContain(message);
  });
});
