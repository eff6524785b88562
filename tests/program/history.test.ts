/**
 * The program under mocks with `emulator.history`: the start time taken once and shared by the history and every
 * emulator replica, the write step before Prometheus (into its volume, as its user, with no network), the
 * recording-rule step after it (a failed step is tests/components/one-shot.test.ts).
 */
import { parseSettings } from "../../config/settings";
import type { ProgramRun } from "../../scripts/mocked-program";
import { CONTAINER, containerEnv, named, runIndexUnderMocks, upload } from "../support/program";

const runProgram = (emulator: Record<string, unknown>): Promise<ProgramRun> => runIndexUnderMocks({ "promemu:emulator": JSON.stringify(emulator) });

const args = (command: string[]) => Object.fromEntries(command.filter((a) => a.startsWith("--")).map((a) => [a.slice(2, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]));

describe("emulator.history", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram({ history: "7d", replicas: 2, seed: 7, set: { "hosts.count": 5 } });
  });

  it("takes the start time once, on the step grid, kept until what the history is played from changes", () => {
    const start = named(run, "promemu-prometheus-history-start");
    expect(start).toMatchObject({ type: "command:local:Command", parent: "promemu-prometheus-history" });
    expect(start.inputs.create).toContain("Date.now() - 604800000");
    expect(start.inputs.create).toContain("const step = 15000");
    expect(start.inputs.update).toBeUndefined();
    const [identity, length] = start.inputs.triggers as [string, number];
    expect(length).toBe(604_800_000);
    expect(JSON.parse(identity)).toEqual(expect.arrayContaining(["--scenario=default", "--seed=7", "--sink=pushgateway", "--replicas=2", '--set={"hosts.count":5}']));
  });

  it("writes the history into Prometheus' volume before Prometheus starts: once, as Prometheus' user, without a network", () => {
    const write = named(run, "promemu-prometheus-history-write");
    expect(write).toMatchObject({ type: CONTAINER, parent: "promemu-prometheus-history" });
    expect(write.inputs).toMatchObject({
      name: "promemu-probe-prometheus-history",
      user: "65534:65534",
      networkMode: "none",
      restart: "no",
      attach: true,
      logs: true,
      mustRun: false,
      volumes: [{ volumeName: "promemu-probe-prometheus-data", containerPath: "/prometheus" }],
    });
    // The emulator's image: promemu and promtool.
    expect(write.inputs.image).toBe(named(run, "promemu-emulator-container").inputs.image);
    const command = write.inputs.command as string[];
    expect(command.slice(0, 2)).toEqual(["history", "write"]);
    expect(args(command)).toEqual({
      data: "/prometheus",
      scenario: "default",
      set: '{"hosts.count":5}',
      seed: "7",
      step: "15s",
      sink: "pushgateway",
      job: "promemu",
      owner: "promemu-probe",
      replicas: "2",
    });
    expect(containerEnv(run, "promemu-prometheus-history-write")).toEqual({ PROMEMU_START_AT: "2026-01-01T00:00:00.000Z" });
    const prometheus = named(run, "promemu-prometheus-container");
    expect(prometheus.dependsOn).toContain("promemu-prometheus-history-write");
    expect(prometheus.inputs.labels).toContainEqual({ label: "io.promemu.history-start", value: "2026-01-01T00:00:00.000Z" });
  });

  it("has every emulator replica go on from the history's start", () => {
    for (const name of ["promemu-emulator-container", "promemu-emulator-container-2"]) {
      expect(containerEnv(run, name)).toMatchObject({ PROMEMU_START_AT: "2026-01-01T00:00:00.000Z" });
    }
  });

  it("evaluates the recording rules over the history once Prometheus is up, with the stack's rule files", () => {
    const rules = named(run, "promemu-history-rules");
    expect(rules).toMatchObject({ type: CONTAINER, parent: "promemu-history" });
    expect(named(run, "promemu-history").type).toBe("promemu:index:HistoryRules");
    expect(rules.dependsOn).toContain("promemu-prometheus-container");
    expect(rules.inputs).toMatchObject({ user: "65534:65534", attach: true, mustRun: false, networksAdvanced: [{ name: "promemu-probe" }] });
    const command = rules.inputs.command as string[];
    expect(command).toEqual([
      "history",
      "rules",
      "--data=/prometheus",
      "--url=http://prometheus:9090",
      "--eval-interval=15s",
      "/etc/promemu/history-rules/promemu-alerts.yml",
    ]);
    expect(upload(rules, "/etc/promemu/history-rules/promemu-alerts.yml")).toBe(upload(named(run, "promemu-prometheus-container"), "/etc/prometheus/rules/promemu-alerts.yml"));
  });

  it("pushes the history's log lines into the log store once it is there: the same range, scenario, seed and job, once for any emulator image", () => {
    const push = named(run, "promemu-history-logs-push");
    expect(named(run, "promemu-history-logs").type).toBe("promemu:index:HistoryLogs");
    expect(push).toMatchObject({ type: CONTAINER, parent: "promemu-history-logs" });
    // Nothing a change replaces delete-before-replace (the store's container, the write step): Pulumi would replace the
    // push with it, and the lines would be pushed twice. The push retries until the store answers.
    expect(push.dependsOn).not.toContain("promemu-logs-container");
    expect(push.dependsOn).not.toContain("promemu-prometheus-history-write");
    expect(push.inputs).toMatchObject({ name: "promemu-probe-logs-history", attach: true, mustRun: false, restart: "no", networksAdvanced: [{ name: "promemu-probe" }] });
    expect(push.inputs.image).toBe(named(run, "promemu-emulator-container").inputs.image);
    // A rebuilt emulator image does not push the lines a second time.
    expect(push.ignoreChanges).toEqual(["image"]);
    expect(named(run, "promemu-history-rules").ignoreChanges).toEqual([]);
    const command = push.inputs.command as string[];
    expect(command[0]).toBe("backfill");
    expect(args(command)).toEqual({
      from: "2026-01-01T00:00:00.000Z",
      to: "2026-01-08T00:00:00.000Z",
      scenario: "default",
      set: '{"hosts.count":5}',
      seed: "7",
      step: "15s",
      job: "promemu",
      "loki-url": "http://logs:9428/insert/loki/api/v1/push",
      "loki-retry-for": "5m",
    });
    // No --out: the lines alone (the metrics are the write step's).
    expect(command.some((a) => a.startsWith("--out"))).toBe(false);
  });

  it("pushes no history of logs without a log store, for a scenario whose hosts write none, or beyond the store's retention", async () => {
    const noStore = await runIndexUnderMocks({ "promemu:emulator": JSON.stringify({ history: "1d" }), "promemu:logs": JSON.stringify({ enabled: false }) });
    expect(noStore.resources.filter((r) => /history-logs/.test(r.name))).toEqual([]);
    const quiet = await runProgram({ history: "1d", scenario: "hosts-load-with-peaks" });
    expect(quiet.resources.filter((r) => /history-logs/.test(r.name))).toEqual([]);
    expect(named(quiet, "promemu-history-rules")).toBeDefined();
    const long = await runIndexUnderMocks({ "promemu:emulator": JSON.stringify({ history: "7d" }), "promemu:logs": JSON.stringify({ retention: "3d" }) });
    expect(long.resources.filter((r) => /history-logs/.test(r.name))).toEqual([]);
  });

  it("exports when the history starts", () => {
    expect(run.outputs.history).toMatchObject({ since: "2026-01-01T00:00:00.000Z" });
  });

  it("with remote write, writes samples a push interval apart, labelled as remote write sends them", async () => {
    const remote = await runProgram({ history: "2h", sink: "remote-write", pushInterval: "30s" });
    expect(args(named(remote, "promemu-prometheus-history-write").inputs.command as string[])).toMatchObject({ step: "30s", sink: "remote-write" });
  });

  it("none without the setting: no history resources, no start time in the emulator's environment", async () => {
    const plain = await runProgram({});
    expect(plain.resources.filter((r) => /history/.test(r.name))).toEqual([]);
    expect(containerEnv(plain, "promemu-emulator-container")).not.toHaveProperty("PROMEMU_START_AT");
    expect(plain.outputs.history).toBeUndefined();
  });
});

describe("emulator.history settings", () => {
  const issues = (emulator: Record<string, unknown>, prometheus: Record<string, unknown> = {}) => {
    try {
      parseSettings({ emulator, prometheus }, "Pulumi.probe.yaml");
      return [];
    } catch (err) {
      return (err as { issues: string[] }).issues;
    }
  };

  it("accepts a history within the retention", () => {
    expect(issues({ history: "7d" })).toEqual([]);
    expect(issues({ history: "30d" }, { retentionTime: "30d" })).toEqual([]);
  });

  it("refuses, naming the key: longer than the retention, 0s, another speed, no emulator, not a duration", () => {
    expect(issues({ history: "8d" })).toEqual([expect.stringMatching(/^promemu:emulator\.history: 8d is longer than prometheus\.retentionTime \(7d\)/)]);
    expect(issues({ history: "0s" })).toEqual([expect.stringMatching(/^promemu:emulator\.history: must be longer than 0s/)]);
    expect(issues({ history: "1d", speed: 10 })).toEqual([expect.stringMatching(/^promemu:emulator\.history: needs emulator\.speed 1 \(it is 10\)/)]);
    expect(issues({ history: "1d", enabled: false })).toEqual([expect.stringMatching(/^promemu:emulator\.history: needs emulator\.enabled/)]);
    expect(issues({ history: "a week" })).toEqual([expect.stringMatching(/^promemu:emulator\.history: must be a duration/)]);
  });
});
