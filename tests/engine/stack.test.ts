/**
 * `pulumi up`, `preview --diff`, the operations and `destroy`, run for real: the Pulumi CLI with the real
 * docker and command providers and language host built from their Go sources, a real Docker daemon, local
 * images of the pinned server programs. Grafana has no image here (AGPL: not built), so these
 * stacks run with `grafana.enabled: false`; everything else is the program a user runs, through the same
 * `npm run` operations.
 *
 * Scenario time is compressed (emulator.speed) and alert `for` values are seconds, so an alert reaches
 * Alertmanager within the test.
 */
import * as fs from "fs";
import * as path from "path";
import { ALERTMANAGER_CONFIG_PATH } from "../../components/alertmanager";
import { alertmanagerAlerts, createSilence, instantQuery, silences } from "../e2e/prometheus-api";
import { eventually } from "../support/servers";
import { docker, expectSuccess, freeOffset, healthOf, Project, stackObjects, useEngine } from "./harness";
import { emulatorImageName } from "../../ops/stack";

/** Host ports of the stack before the offset (config/settings.ts defaults; Grafana is off). */
const BASE_PORTS = [9091, 9090, 9093, 9464, 9428, 5140];
const suffix = String(process.pid % 10000);
const STACK_A = `engine-a-${suffix}`;
const STACK_B = `engine-b-${suffix}`;
const STACK_C = `engine-c-${suffix}`;

/** A stack file for the local images, with scrape, evaluation and scenario time compressed. */
function stackConfig(images: Record<string, string>, portOffset: number, extra: Record<string, unknown> = {}) {
  return {
    portOffset,
    pushgateway: { image: images.PROMEMU_IMAGE_PUSHGATEWAY },
    prometheus: { image: images.PROMEMU_IMAGE_PROMETHEUS, scrapeInterval: "2s", evaluationInterval: "2s", ...(extra.prometheus as object) },
    alertmanager: { image: images.PROMEMU_IMAGE_ALERTMANAGER, groupWait: "1s" },
    logs: { image: images.PROMEMU_IMAGE_VICTORIALOGS },
    grafana: { enabled: false },
    emulator: { nodeImage: images.PROMEMU_IMAGE_NODE, pushInterval: "2s", speed: 6, ...(extra.emulator as object) },
    alerts: { cpuHigh: { for: "4s" }, cpuCritical: { for: "4s" }, memoryHigh: { for: "4s" }, serviceDownFor: "10s", pushFailureFor: "10s" },
  };
}

const url = (offset: number, port: number, p = "") => `http://127.0.0.1:${port + offset}${p}`;

/** A recording rule of the user's (prometheus.extraRuleFiles), whose history the stack backfills. */
const RECORDING_RULES = "groups:\n  - name: recorded\n    rules:\n      - record: role:cpu_usage_percent:avg\n        expr: avg by (role) (cpu_usage_percent)\n";

/**
 * `emulator.history: 2h` in a stack that is up: its output says when the history starts, Prometheus holds the two
 * hours (every 2 s step, remote-write labels, each host from its shard) and their recording rule, and a second up
 * writes nothing and changes nothing.
 */
async function expectHistory(p: Project, offset: number): Promise<void> {
  const outputs = JSON.parse((await p.pulumi(["stack", "output", "--json", "--stack", STACK_B])).stdout) as { history: { since: string; rules: string } };
  const since = Date.parse(outputs.history.since);
  expect(Date.now() - since).toBeGreaterThan(2 * 3_600_000);
  expect(Date.now() - since).toBeLessThan(2 * 3_600_000 + 900_000);
  expect(outputs.history.rules).toMatch(/recording rules over the history .*: role:cpu_usage_percent:avg evaluated in/);
  const prometheus = url(offset, 9090);
  // Every 2 s step of the first hour is there, written before Prometheus started, for a host of each shard. (Not
  // [1h]: Prometheus 2 includes both ends of a range, 3 only the last; the start is a step.)
  const hosts = await instantQuery(prometheus, `sum by (host) (count_over_time(cpu_usage_percent[3599s] @ ${since / 1000 + 3600}))`);
  expect(hosts).toHaveLength(6);
  for (const h of hosts) expect([h.metric.host, h.value[1]]).toEqual([h.metric.host, "1800"]);
  const labels = await instantQuery(prometheus, `cpu_usage_percent{host="worker-01"} @ ${since / 1000 + 600}`);
  expect(labels).toHaveLength(1);
  expect(labels[0].metric).not.toHaveProperty("promemu_owner");
  // The recording rule has the history too (Prometheus loads the new blocks within a minute).
  await eventually(
    async () => {
      const recorded = await instantQuery(prometheus, `count_over_time(role:cpu_usage_percent:avg{role="worker"}[1h] @ ${since / 1000 + 3600})`);
      return recorded.length === 1 && Number(recorded[0].value[1]) > 1700 ? recorded : undefined;
    },
    120_000,
    () => "the recording rule's history never showed up",
    2_000,
  );
  const again = await p.pulumi(["preview", "--expect-no-changes", "--stack", STACK_B]);
  expectSuccess(again, "a preview after the history");
}

/** `it` that runs only when the engine is there (a skip has already been announced, or failed in CI). */
const live = useEngine([STACK_A, STACK_B, STACK_C]);

describe("the stack on a real Docker engine, driven by the Pulumi CLI", () => {
  let offsetA = 0;
  let offsetB = 0;
  let firstUpSeconds = 0;

  live("up of a fresh stack: every container healthy, the end-of-up check green, the emulator's series in Prometheus", async (p, images) => {
    offsetA = await freeOffset(BASE_PORTS);
    p.writeStack(STACK_A, stackConfig(images, offsetA));
    const started = Date.now();
    const up = await p.npm("up", ["--stack", STACK_A]);
    firstUpSeconds = (Date.now() - started) / 1000;
    expectSuccess(up);
    expect(up.stdout).toContain(`Stack ${STACK_A} is up`);
    console.log(`first up of ${STACK_A}: ${firstUpSeconds.toFixed(0)} s`);

    const objects = await stackObjects(p.env, STACK_A);
    expect(objects.containers).toEqual(["alertmanager", "emulator", "logs", "prometheus", "pushgateway"].map((s) => `promemu-${STACK_A}-${s}`));
    const health = await healthOf(p.env, objects.containers);
    // The log store's image has no program to run a health check with (docs/logs.md): it is checked over HTTP.
    expect(health).toEqual(Object.fromEntries(objects.containers.map((c) => [c, c.endsWith("-logs") ? "no-healthcheck" : "healthy"])));

    const prometheus = url(offsetA, 9090);
    const samples = await eventually(
      async () => {
        const found = await instantQuery(prometheus, "cpu_usage_percent");
        return found.length > 0 ? found : undefined;
      },
      60_000,
      () => "the emulator's cpu_usage_percent never reached Prometheus",
    );
    // `stack` is an external label: it marks what leaves Prometheus (alerts), not the stored series.
    expect(samples[0].metric).toMatchObject({ job: "promemu", environment: "sandbox" });
    const up1 = await instantQuery(prometheus, "up == 1");
    expect(up1.map((s) => s.metric.job).sort()).toEqual(["alertmanager", "emulator", "logs", "prometheus", "pushgateway"]);
  });

  live("loads the alert rules and delivers an alert to Alertmanager", async () => {
    const rules = (await (await fetch(url(offsetA, 9090, "/api/v1/rules"))).json()) as { data: { groups: { rules: { name: string }[] }[] } };
    expect(rules.data.groups.flatMap((g) => g.rules.map((r) => r.name))).toEqual(expect.arrayContaining(["HighCPUUsage", "HeavyTaskActive"]));
    const alert = await eventually(
      async () => (await alertmanagerAlerts(url(offsetA, 9093))).find((a) => a.labels.alertname === "HeavyTaskActive"),
      120_000,
      () => "HeavyTaskActive never reached Alertmanager",
    );
    expect(alert.labels).toMatchObject({ host: "balancer-01", stack: STACK_A });
  });

  live("a second up and a preview --expect-no-changes change nothing", async (p) => {
    const started = Date.now();
    const again = await p.pulumi(["up", "--yes", "--stack", STACK_A]);
    console.log(`no-change up of ${STACK_A}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    expectSuccess(again);
    const history = await p.pulumi(["stack", "history", "--json", "--stack", STACK_A]);
    const [last] = JSON.parse(history.stdout) as { kind: string; resourceChanges?: Record<string, number> }[];
    expect(last.kind).toBe("update");
    expect(Object.keys(last.resourceChanges ?? {}).filter((k) => k !== "same")).toEqual([]);
    const preview = await p.pulumi(["preview", "--expect-no-changes", "--stack", STACK_A]);
    expectSuccess(preview);
  });

  live("a retention change replaces only Prometheus, and the data written before is still there", async (p, images) => {
    const prometheus = url(offsetA, 9090);
    const before = await instantQuery(prometheus, "timestamp(cpu_usage_percent{host=\"worker-01\"})");
    const writtenAt = Number(before[0].value[1]);

    p.writeStack(STACK_A, stackConfig(images, offsetA, { prometheus: { retentionTime: "3d" } }));
    const preview = await p.pulumi(["preview", "--diff", "--json", "--stack", STACK_A]);
    expectSuccess(preview);
    const steps = (JSON.parse(preview.stdout) as { steps: { op: string; urn: string }[] }).steps.filter((s) => s.op !== "same");
    const changed = [...new Set(steps.map((s) => s.urn.split("::").pop()!))].sort();
    // The container (replaced: its command changes) and the end-of-up check that follows container ids.
    expect(changed).toEqual(["promemu-check-targets-up", "promemu-prometheus-container"]);

    const up = await p.npm("up", ["--stack", STACK_A]);
    expectSuccess(up);
    const cmdline = await docker(p.env, ["inspect", "--format", "{{json .Args}}", `promemu-${STACK_A}-prometheus`]);
    expect(cmdline).toContain("--storage.tsdb.retention.time=3d");
    const old = await instantQuery(prometheus, `cpu_usage_percent{host="worker-01"} @ ${writtenAt}`);
    expect(old).toHaveLength(1);
  });

  live("a second stack beside the first (remote write, two emulator shards, 2 h of history) shares nothing but images", async (p, images) => {
    offsetB = await freeOffset(BASE_PORTS, new Set([offsetA]));
    fs.mkdirSync(path.join(p.dir, "monitoring"), { recursive: true });
    fs.writeFileSync(path.join(p.dir, "monitoring", "recording.yml"), RECORDING_RULES);
    p.writeStack(STACK_B, {
      ...stackConfig(images, offsetB, {
        emulator: { sink: "remote-write", replicas: 2, history: "2h", speed: 1 },
        prometheus: { extraRuleFiles: ["monitoring/recording.yml"] },
      }),
      // No log store here: with one, the 2 h history also pushes its ~2.6 million log lines, and on a 2-core machine
      // the store's ingestion beside Prometheus loading the history's blocks once kept the recording rule's history
      // from showing within the 120 s below (a cold CI run). The history's lines are the logs suite's
      // (tests/engine/logs.test.ts); this test is about the metrics' history and two stacks side by side.
      logs: { enabled: false },
    });
    const up = await p.npm("up", ["--stack", STACK_B]);
    expectSuccess(up);
    await expectHistory(p, offsetB);
    const a = await stackObjects(p.env, STACK_A);
    const b = await stackObjects(p.env, STACK_B);
    for (const kind of ["containers", "volumes", "networks"] as const) {
      expect(b[kind].length).toBeGreaterThan(0);
      expect(b[kind].filter((n) => a[kind].includes(n))).toEqual([]);
    }
    for (const [stack, offset] of [
      [STACK_A, offsetA],
      [STACK_B, offsetB],
    ] as const) {
      const status = await p.npm("status", ["--stack", stack]);
      expectSuccess(status, `status of ${stack}`);
      const series = await instantQuery(url(offset, 9090), "count(cpu_usage_percent)");
      expect(series.length).toBe(1);
    }
    // B's two shards together write every host of the scenario, each once, straight into Prometheus.
    const shards = [`promemu-${STACK_B}-emulator`, `promemu-${STACK_B}-emulator-2`];
    expect(await healthOf(p.env, shards)).toEqual(Object.fromEntries(shards.map((c) => [c, "healthy"])));
    const hosts = await eventually(
      async () => {
        const found = await instantQuery(url(offsetB, 9090), "count by (host) (cpu_usage_percent)");
        return found.length === 6 ? found : undefined;
      },
      60_000,
      () => "the two remote-write shards did not deliver all six hosts",
    );
    expect(hosts.map((h) => h.value[1])).toEqual(hosts.map(() => "1"));
    const pushed = await instantQuery(url(offsetB, 9090), 'count(push_time_seconds{job="promemu"})');
    expect(pushed).toEqual([]);
  });

  live("logs, backup, restore (nothing lost) and restart work against the real containers", async (p) => {
    const logs = await p.npm("logs", ["--stack", STACK_A, "prometheus", "--tail", "20"]);
    expectSuccess(logs);
    expect(logs.stdout + logs.stderr).toMatch(/Server is ready to receive web requests|TSDB started/);

    const prometheus = url(offsetA, 9090);
    const marker = await instantQuery(prometheus, "timestamp(cpu_usage_percent{host=\"worker-01\"})");
    const markerAt = Number(marker[0].value[1]);
    const backup = await p.npm("backup", ["--stack", STACK_A]);
    expectSuccess(backup);
    const dir = /(backups\/\S+)/.exec(backup.stdout)?.[1];
    expect(dir).toBeDefined();

    const restore = await p.npm("restore", [dir!.replace(/[.:]$/, ""), "--stack", STACK_A, "--yes"]);
    expectSuccess(restore);
    const back = await eventually(
      async () => {
        const found = await instantQuery(prometheus, `cpu_usage_percent{host="worker-01"} @ ${markerAt}`).catch(() => []);
        return found.length ? found : undefined;
      },
      60_000,
      () => "the sample written before the backup is missing after the restore",
    );
    expect(back).toHaveLength(1);

    const idBefore = await docker(p.env, ["inspect", "--format", "{{.Id}}", `promemu-${STACK_A}-emulator`]);
    const restart = await p.npm("restart", ["emulator", "--stack", STACK_A]);
    expectSuccess(restart);
    const idAfter = await docker(p.env, ["inspect", "--format", "{{.Id}}", `promemu-${STACK_A}-emulator`]);
    expect(idAfter).not.toBe(idBefore);
    expect(await healthOf(p.env, [`promemu-${STACK_A}-emulator`])).toEqual({ [`promemu-${STACK_A}-emulator`]: "healthy" });
    // What restore and restart leave is what the state says: a refresh finds nothing to change or replace.
    const refreshed = await p.pulumi(["preview", "--refresh", "--expect-no-changes", "--stack", STACK_A]);
    expectSuccess(refreshed, "preview --refresh after restore and restart");
  });

  live("a secret set with pulumi config set --secret stays out of the stack file, the preview, the output and the state, and reaches the container's file", async (p, images) => {
    const token = `token-${suffix}-s3cr3t`;
    // On the stack network (the Pushgateway answers 404): no notification leaves the machine.
    const webhook = `http://pushgateway:9091/hook/${token}`;
    p.writeStack(STACK_A, stackConfig(images, offsetA, { prometheus: { retentionTime: "3d" } }));
    const set = await p.pulumi(["config", "set", "--secret", "--path", "alertmanager.webhookUrl", webhook, "--stack", STACK_A]);
    expect({ code: set.code, output: set.output }).toEqual({ code: 0, output: "" });
    expect(fs.readFileSync(`${p.dir}/Pulumi.${STACK_A}.yaml`, "utf8")).not.toContain(token);

    const preview = await p.pulumi(["preview", "--diff", "--stack", STACK_A]);
    expectSuccess(preview);
    expect(preview.output).toContain("promemu-alertmanager-container");
    expect(preview.output).not.toContain(token);

    const up = await p.npm("up", ["--stack", STACK_A]);
    expectSuccess(up);
    expect(up.output).not.toContain(token);
    const state = await p.pulumi(["stack", "export", "--stack", STACK_A]);
    expect(state.code).toBe(0);
    expect(state.stdout).not.toContain(token);
    // The container has it, where it is used.
    const uploaded = await docker(p.env, ["exec", `promemu-${STACK_A}-alertmanager`, "cat", ALERTMANAGER_CONFIG_PATH]);
    expect(uploaded).toContain(webhook);
  });

  live("a replace stops the servers gracefully: a silence and a group pushed just before survive it", async (p, images) => {
    const am = url(offsetA, 9093);
    const pg = url(offsetA, 9091);
    const silence = await createSilence(am, "EngineProbe", `kept across a replace ${suffix}`);
    const pushed = await fetch(`${pg}/metrics/job/engine_probe`, { method: "PUT", body: "engine_probe_value 42\n" });
    expect(pushed.status).toBe(200);
    const ids = async () => ({
      am: await docker(p.env, ["inspect", "--format", "{{.Id}}", `promemu-${STACK_A}-alertmanager`]),
      pg: await docker(p.env, ["inspect", "--format", "{{.Id}}", `promemu-${STACK_A}-pushgateway`]),
    });
    const before = await ids();
    // Alertmanager's configuration file and the Pushgateway's command change: both containers are replaced. Neither
    // has written its state to its volume since it started (silences every 15 min, the Pushgateway every 5 min):
    // only a stop with SIGTERM and time to finish keeps them.
    p.writeStack(STACK_A, {
      ...stackConfig(images, offsetA, { prometheus: { retentionTime: "3d" } }),
      alertmanager: { image: images.PROMEMU_IMAGE_ALERTMANAGER, groupWait: "1s", repeatInterval: "3h" },
      pushgateway: { image: images.PROMEMU_IMAGE_PUSHGATEWAY, persistenceInterval: "4m" },
    });
    const preview = await p.pulumi(["preview", "--diff", "--json", "--stack", STACK_A]);
    expectSuccess(preview);
    const ops = Object.fromEntries(
      (JSON.parse(preview.stdout) as { steps: { op: string; urn: string }[] }).steps
        .filter((s) => s.op !== "same")
        .map((s) => [s.urn.split("::").pop()!, s.op]),
    );
    expect(ops).toMatchObject({ "promemu-alertmanager-container": "replace", "promemu-pushgateway-container": "replace" });
    const up = await p.npm("up", ["--stack", STACK_A]);
    expectSuccess(up);
    const after = await ids();
    expect(after.am).not.toBe(before.am);
    expect(after.pg).not.toBe(before.pg);
    expect((await silences(am)).find((s) => s.id === silence)).toMatchObject({ status: { state: "active" } });
    const groups = await (await fetch(`${pg}/api/v1/metrics`)).text();
    expect(groups).toContain('"job":"engine_probe"');
  });

  live("a container stopped by hand is started again by up --refresh, its data kept", async (p) => {
    const name = `promemu-${STACK_A}-pushgateway`;
    const pg = url(offsetA, 9091);
    expect((await fetch(`${pg}/metrics/job/engine_stopped`, { method: "PUT", body: "engine_stopped_value 7\n" })).status).toBe(200);
    await docker(p.env, ["stop", name]);
    const up = await p.pulumi(["up", "--yes", "--refresh", "--stack", STACK_A]);
    expectSuccess(up, "up --refresh after a docker stop");
    expect(await healthOf(p.env, [name])).toEqual({ [name]: "healthy" });
    expect(await (await fetch(`${pg}/api/v1/metrics`)).text()).toContain('"job":"engine_stopped"');
    const again = await p.pulumi(["preview", "--expect-no-changes", "--stack", STACK_A]);
    expectSuccess(again, "a preview after the refresh");
  });

  live("a service that never becomes healthy fails up with the reason, and so does the next up", async (p, images) => {
    const offset = await freeOffset(BASE_PORTS, new Set([offsetA, offsetB]));
    // A wrong image: the Pushgateway container runs Alertmanager, which refuses the Pushgateway's flags and exits.
    p.writeStack(STACK_C, { ...stackConfig(images, offset), pushgateway: { image: images.PROMEMU_IMAGE_ALERTMANAGER } });
    const first = await p.npm("up", ["--stack", STACK_C]);
    expect(first.code).not.toBe(0);
    expect(first.stderr).toMatch(/pushgateway/);
    expect(first.stderr).toMatch(/healthy/i);
    console.log(`failed up of ${STACK_C}:\n${first.stderr.slice(-1500)}`);
    const second = await p.npm("up", ["--stack", STACK_C]);
    console.log(`second up of ${STACK_C}:\n${second.output.slice(-1500)}`);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/pushgateway/);
    const down = await p.npm("down", ["--stack", STACK_C]);
    expectSuccess(down, "down of the failed stack");
  });

  live("up fails with the project's message when a host port is taken", async (p, images) => {
    const net = await import("net");
    const blocker = net.createServer();
    const offset = await freeOffset(BASE_PORTS, new Set([offsetA, offsetB]));
    await new Promise<void>((resolve) => blocker.listen(9090 + offset, "127.0.0.1", resolve));
    try {
      p.writeStack(STACK_C, stackConfig(images, offset));
      const up = await p.npm("up", ["--stack", STACK_C]);
      expect(up.code).not.toBe(0);
      expect(up.stderr).toMatch(new RegExp(`${9090 + offset}.*(in use|taken)`, "i"));
      expect(up.stderr).toMatch(/portOffset|prometheus\.port/);
      expect(up.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    } finally {
      blocker.close();
    }
  });

  live("down removes containers and network and keeps the volumes; cleanup removes them", async (p) => {
    for (const stack of [STACK_B, STACK_A]) {
      const volumes = (await stackObjects(p.env, stack)).volumes;
      const down = await p.npm("down", ["--stack", stack]);
      expectSuccess(down);
      const after = await stackObjects(p.env, stack);
      expect(after).toEqual({ containers: [], networks: [], volumes });
    }
    // pulumi destroy leaves the emulator image (the provider's delete of a built image does nothing); cleanup removes it.
    const image = emulatorImageName({ project: "promemu", stack: STACK_B });
    expect(await docker(p.env, ["image", "ls", "--quiet", image])).not.toBe("");
    const cleanup = await p.npm("cleanup", ["--stack", STACK_B, "--yes"]);
    expectSuccess(cleanup);
    expect(await stackObjects(p.env, STACK_B)).toEqual({ containers: [], networks: [], volumes: [] });
    expect(await docker(p.env, ["image", "ls", "--quiet", image])).toBe("");
  });
});
