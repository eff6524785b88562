/**
 * The program (index.ts) under mocks with `emulator.sink: remote-write` and `emulator.replicas`: the receiver flag
 * on Prometheus only when needed, one sink in the emulator's environment, the start order, and one container per
 * replica, each scraped and waited for.
 */
import * as yaml from "js-yaml";
import { exposureWarning } from "../../config/exposure";
import { exporterProfiles, parseSettings } from "../../config/settings";
import type { ProgramRun } from "../../scripts/mocked-program";
import { CONTAINER, containerEnv, named, runIndexUnderMocks, upload } from "../support/program";

const RECEIVER = "--web.enable-remote-write-receiver";

const runProgram = (emulator: Record<string, unknown>): Promise<ProgramRun> => runIndexUnderMocks({ "promemu:emulator": JSON.stringify(emulator) });

const prometheusCommand = (run: ProgramRun) => named(run, "promemu-prometheus-container").inputs.command as string[];
const scrapeConfigs = (run: ProgramRun) =>
  (
    yaml.load(upload(named(run, "promemu-prometheus-container"), "/etc/prometheus/prometheus.yml")) as {
      scrape_configs: { job_name: string; static_configs?: { targets: string[] }[]; http_sd_configs?: { url: string }[] }[];
    }
  ).scrape_configs;
const checkEnv = (run: ProgramRun) => named(run, "promemu-check-targets-up").inputs.environment as Record<string, string>;

describe("emulator.sink", () => {
  it("pushgateway (the default): no remote-write receiver, the emulator pushes to the Pushgateway and starts after it", async () => {
    const run = await runProgram({});
    expect(prometheusCommand(run)).not.toContain(RECEIVER);
    expect(containerEnv(run, "promemu-emulator-container")).toMatchObject({ PROMEMU_PUSHGATEWAY_URL: "http://pushgateway:9091" });
    expect(containerEnv(run, "promemu-emulator-container")).not.toHaveProperty("PROMEMU_REMOTE_WRITE_URL");
    expect(named(run, "promemu-emulator-container").dependsOn).toContain("promemu-pushgateway-container");
  });

  describe("remote-write", () => {
    let run: ProgramRun;
    beforeAll(async () => {
      run = await runProgram({ sink: "remote-write" });
    });

    it("starts Prometheus with the remote-write receiver", () => {
      expect(prometheusCommand(run)).toContain(RECEIVER);
    });

    it("gives the emulator the receiver's URL and no Pushgateway URL (it would refuse both; it must not push)", () => {
      const environment = containerEnv(run, "promemu-emulator-container");
      expect(environment.PROMEMU_REMOTE_WRITE_URL).toBe("http://prometheus:9090/api/v1/write");
      expect(environment).not.toHaveProperty("PROMEMU_PUSHGATEWAY_URL");
    });

    it("starts the emulator after a healthy Prometheus instead of after the Pushgateway", () => {
      const emulator = named(run, "promemu-emulator-container");
      expect(emulator.dependsOn).toContain("promemu-prometheus-container");
      expect(emulator.dependsOn).not.toContain("promemu-pushgateway-container");
      expect(emulator.inputs.wait).toBe(true);
      expect(named(run, "promemu-prometheus-container").inputs.wait).toBe(true);
    });

    it("still runs and waits for the Pushgateway and the emulator's own job at the end of up", () => {
      expect(run.resources.filter((r) => r.type === CONTAINER).map((r) => r.inputs.hostname).sort()).toEqual([
        "alertmanager",
        "emulator",
        "grafana",
        "logs",
        "prometheus",
        "pushgateway",
      ]);
      expect(checkEnv(run).EXPECTED_JOBS).toBe("alertmanager,emulator,grafana,logs,prometheus,pushgateway");
    });
  });

  it("names the open receiver in the warning for a bind address other than loopback", () => {
    const warning = (emulator: Record<string, unknown>) => exposureWarning(parseSettings({ bindAddress: "0.0.0.0", emulator }, "test"))!;
    expect(warning({ sink: "remote-write" })).toMatch(/Prometheus \(port 9090\): [^;]*anyone can write series through its remote-write receiver/);
    expect(warning({})).not.toContain("remote-write receiver");
  });

  it("opens no receiver for a remote-write sink when the emulator is off", async () => {
    const run = await runProgram({ sink: "remote-write", enabled: false });
    expect(prometheusCommand(run)).not.toContain(RECEIVER);
  });
});

describe("emulator.replicas", () => {
  let run: ProgramRun;
  const names = ["promemu-emulator-container", "promemu-emulator-container-2", "promemu-emulator-container-3"];
  beforeAll(async () => {
    run = await runProgram({ replicas: 3, scenario: "fleet-calm" });
  });

  it("runs one container per replica, each on shard k/3 under an owner mark of its own", () => {
    const environments = names.map((name) => containerEnv(run, name));
    expect(environments.map((e) => e.PROMEMU_SHARD)).toEqual(["1/3", "2/3", "3/3"]);
    expect(environments.map((e) => e.PROMEMU_OWNER)).toEqual(["promemu-probe-1-of-3", "promemu-probe-2-of-3", "promemu-probe-3-of-3"]);
    // Everything else the same: one fleet, one scenario, one seed.
    const rest = environments.map(({ PROMEMU_SHARD, PROMEMU_OWNER, ...other }) => other);
    expect(rest[1]).toEqual(rest[0]);
    expect(rest[2]).toEqual(rest[0]);
    expect(names.map((name) => named(run, name).inputs.name)).toEqual(["promemu-probe-emulator", "promemu-probe-emulator-2", "promemu-probe-emulator-3"]);
    expect(names.map((name) => named(run, name).dependsOn.includes("promemu-pushgateway-container"))).toEqual([true, true, true]);
  });

  it("has Prometheus scrape every replica in the emulator job and discover each one's exporter hosts", () => {
    const jobs = scrapeConfigs(run);
    expect(jobs.find((job) => job.job_name === "emulator")?.static_configs).toEqual([{ targets: ["emulator:9464", "emulator-2:9464", "emulator-3:9464"] }]);
    const profiles = exporterProfiles(parseSettings({ emulator: { scenario: "fleet-calm" } }, "test"));
    expect(profiles.length).toBeGreaterThan(0);
    for (const profile of profiles) {
      expect(jobs.find((job) => job.job_name === profile)?.http_sd_configs?.map((sd) => sd.url)).toEqual(
        ["emulator", "emulator-2", "emulator-3"].map((host) => `http://${host}:9464/sd/${profile}`),
      );
    }
  });

  it("waits for every replica at the end of up", () => {
    const check = named(run, "promemu-check-targets-up");
    for (const name of names) {
      expect(check.dependsOn).toContain(name);
      expect(check.inputs.triggers).toContain(`${name}-id`);
    }
  });

  it("exports every replica's container, the first also as containers.emulator and the only one on a host port", () => {
    expect(run.outputs.emulatorContainers).toEqual(["promemu-probe-emulator", "promemu-probe-emulator-2", "promemu-probe-emulator-3"]);
    expect((run.outputs.containers as Record<string, string>).emulator).toBe("promemu-probe-emulator");
    expect((run.outputs.urls as Record<string, string>).emulator).toBe("http://127.0.0.1:9464");
    expect(names.map((name) => named(run, name).inputs.ports === undefined)).toEqual([false, true, true]);
  });

  it("keeps one replica as it always was: no shard, the stack's owner mark, one container", async () => {
    const one = await runProgram({});
    const environment = containerEnv(one, "promemu-emulator-container");
    expect(environment).not.toHaveProperty("PROMEMU_SHARD");
    expect(environment.PROMEMU_OWNER).toBe("promemu-probe");
    expect(one.outputs.emulatorContainers).toEqual(["promemu-probe-emulator"]);
    expect(one.resources.filter((r) => r.type === CONTAINER && r.inputs.hostname === "emulator-2")).toEqual([]);
  });

  it("combines with remote write: every replica writes to Prometheus and starts after it", async () => {
    const both = await runProgram({ replicas: 2, sink: "remote-write" });
    for (const name of names.slice(0, 2)) {
      expect(containerEnv(both, name).PROMEMU_REMOTE_WRITE_URL).toBe("http://prometheus:9090/api/v1/write");
      expect(containerEnv(both, name)).not.toHaveProperty("PROMEMU_PUSHGATEWAY_URL");
      expect(named(both, name).dependsOn).toContain("promemu-prometheus-container");
    }
  });
});
