/** The emulator container's environment (config/emulator.ts) for each sink and replica. */
import { emulatorEnvironment } from "../../config/emulator";
import { parseSettings } from "../../config/settings";

const base = { project: "promemu", stack: "dev", pushgatewayUrl: "http://pushgateway:9091", remoteWriteUrl: "http://prometheus:9090/api/v1/write" };
const environment = (emulator: Record<string, unknown>, replica?: number) => emulatorEnvironment({ settings: parseSettings({ emulator }, "test"), ...base, replica });

describe("emulatorEnvironment", () => {
  it("names exactly one sink: the Pushgateway by default, the remote-write receiver with sink remote-write", () => {
    expect(environment({})).toMatchObject({ PROMEMU_PUSHGATEWAY_URL: "http://pushgateway:9091" });
    expect(environment({})).not.toHaveProperty("PROMEMU_REMOTE_WRITE_URL");
    const remote = environment({ sink: "remote-write" });
    expect(remote.PROMEMU_REMOTE_WRITE_URL).toBe("http://prometheus:9090/api/v1/write");
    expect(remote).not.toHaveProperty("PROMEMU_PUSHGATEWAY_URL");
  });

  it("refuses a remote-write sink without the receiver's URL rather than fall back to pushing", () => {
    const settings = parseSettings({ emulator: { sink: "remote-write" } }, "test");
    expect(() => emulatorEnvironment({ settings, project: "promemu", stack: "dev", pushgatewayUrl: "http://pushgateway:9091" })).toThrow(/remoteWriteUrl/);
  });

  it("gives replica k of n shard k/n and an owner mark of its own; one replica neither", () => {
    expect(environment({})).not.toHaveProperty("PROMEMU_SHARD");
    expect(environment({}).PROMEMU_OWNER).toBe("promemu-dev");
    expect([1, 2, 3].map((k) => environment({ replicas: 3 }, k)).map((e) => [e.PROMEMU_SHARD, e.PROMEMU_OWNER])).toEqual([
      ["1/3", "promemu-dev-1-of-3"],
      ["2/3", "promemu-dev-2-of-3"],
      ["3/3", "promemu-dev-3-of-3"],
    ]);
    expect(environment({ replicas: 3 }).PROMEMU_SHARD).toBe("1/3");
  });

  it("refuses a replica that is not one of the configured ones", () => {
    expect(() => environment({ replicas: 2 }, 3)).toThrow(/replica 3 is not one of 1..2/);
    expect(() => environment({}, 0)).toThrow(/replica 0/);
  });
});
