/**
 * The log store in the stack, run for real (issue 19): `npm run up` of a stack with logs on (the default) brings up
 * VictoriaLogs (the local image of the pinned v1.52.2, built from its Go module), the emulator pushes its hosts' lines
 * to it, Docker's syslog log driver ships the stack's own containers' output to its syslog listener, and the
 * operations see it: status, the end-of-up check (its scrape job), backup. Grafana has no image here, so it is off.
 */
import * as fs from "fs";
import * as path from "path";
import { instantQuery } from "../e2e/prometheus-api";
import { eventually } from "../support/servers";
import { logsCount } from "../support/victorialogs";
import { expectSuccess, freeOffset, runCommand, stackObjects, useEngine } from "./harness";

/** Host ports before the offset: logs (TCP, UDP collector), Pushgateway, Prometheus, Alertmanager, emulator. */
const BASE_PORTS = [9428, 5140, 9091, 9090, 9093, 9464];
const STACK = `engine-logs-${process.pid % 10000}`;

const live = useEngine([STACK]);

describe("the log store in the stack, on a real Docker engine", () => {
  let offset = 0;
  const store = () => ({ url: `http://127.0.0.1:${9428 + offset}` });

  live("up with logs on: the store runs, is scraped and reported, and holds the emulator's lines and the containers' output", async (p, images) => {
    expect(images.PROMEMU_IMAGE_VICTORIALOGS).toMatch(/victoria-logs:v1\.52\.2$/);
    offset = await freeOffset(BASE_PORTS);
    p.writeStack(STACK, {
      portOffset: offset,
      logs: { image: images.PROMEMU_IMAGE_VICTORIALOGS },
      pushgateway: { image: images.PROMEMU_IMAGE_PUSHGATEWAY },
      prometheus: { image: images.PROMEMU_IMAGE_PROMETHEUS, scrapeInterval: "2s", evaluationInterval: "2s" },
      alertmanager: { image: images.PROMEMU_IMAGE_ALERTMANAGER },
      grafana: { enabled: false },
      // With a history: its log lines are pushed into the store too (components/history.ts HistoryLogs).
      emulator: { nodeImage: images.PROMEMU_IMAGE_NODE, pushInterval: "2s", history: "30m" },
    });
    const upStarted = Date.now();
    const up = await p.npm("up", ["--stack", STACK]);
    expectSuccess(up);
    expect(up.stdout).toContain(`Stack ${STACK} is up`);

    const objects = await stackObjects(p.env, STACK);
    expect(objects.containers).toContain(`promemu-${STACK}-logs`);
    expect(objects.volumes).toContain(`promemu-${STACK}-logs-data`);
    // The end-of-up check waited for the store's scrape job.
    const up1 = await instantQuery(`http://127.0.0.1:${9090 + offset}`, 'up{job="logs"}');
    expect(up1.map((r) => r.value[1])).toEqual(["1"]);

    // The emulator's hosts' lines (the default scenario: the balancer's access log), labelled like its metrics.
    const balancer = await eventually(
      async () => {
        const n = await logsCount(store(), '{role="balancer", service_name="nginx"}');
        return n > 0 ? n : undefined;
      },
      120_000,
      () => "no access-log line of the balancer reached the store",
      2_000,
    );
    expect(balancer).toBeGreaterThan(0);
    expect(await logsCount(store(), '{job="promemu", role="worker"}')).toBeGreaterThanOrEqual(0);

    // The history's lines: stamped in the half hour before the up, labelled as the live ones, pushed once.
    const since = JSON.parse((await p.pulumi(["stack", "output", "history", "--json", "--stack", STACK])).stdout).since as string;
    expect(Date.parse(since)).toBeLessThan(upStarted - 29 * 60_000);
    const past = `{role="balancer", service_name="nginx"} _time:[${since}, ${new Date(Date.parse(since) + 30 * 60_000).toISOString()})`;
    const historyLines = await eventually(
      async () => {
        const n = await logsCount(store(), past);
        return n > 0 ? n : undefined;
      },
      60_000,
      () => "no line of the history reached the store",
      2_000,
    );
    // The default balancer serves some requests a second: half an hour of them, not a few stray lines.
    expect(historyLines).toBeGreaterThan(10_000);
    const pushed = objects.containers.find((c) => c.endsWith("-logs-history"));
    expect(pushed).toBe(`promemu-${STACK}-logs-history`);
    const told = await runCommand("docker", ["logs", pushed!], { env: p.env });
    expect(told.output).toMatch(/0 refused, 0 dropped/);

    // The stack's own containers' output, shipped by Docker's syslog driver: Prometheus' start lines under its name.
    const prometheusLines = await eventually(
      async () => {
        const n = await logsCount(store(), `{app_name="promemu-${STACK}-prometheus"} "Server is ready to receive web requests"`);
        return n > 0 ? n : undefined;
      },
      60_000,
      () => "Prometheus' start line never reached the store through the syslog driver",
      2_000,
    );
    expect(prometheusLines).toBe(1);
    const emulatorOutput = await logsCount(store(), `{app_name="promemu-${STACK}-emulator"}`);
    expect(emulatorOutput).toBeGreaterThan(0);
    // Dual logging: `docker logs` (and `npm run logs`) still read a container whose driver is syslog.
    // (Prometheus writes to stderr, which `docker logs` gives back on its stderr.)
    const local = await runCommand("docker", ["logs", "--tail", "200", `promemu-${STACK}-prometheus`], { env: p.env });
    expect(local.output).toMatch(/Server is ready to receive web requests/);
    const logs = await p.npm("logs", ["--stack", STACK, "prometheus", "--tail", "200"]);
    expectSuccess(logs);
    expect(logs.stdout + logs.stderr).toMatch(/Server is ready to receive web requests/);

    const status = await p.npm("status", ["--stack", STACK, "--json"]);
    expectSuccess(status, "status");
    const report = JSON.parse(status.stdout) as { services: { service: string; healthy: boolean; http?: { ok: boolean } }[] };
    expect(report.services.find((s) => s.service === "logs")).toMatchObject({ healthy: true, http: { ok: true } });
  });

  live("backup copies the store's volume; a second up changes nothing, and pushes the history's lines no second time", async (p) => {
    const backup = await p.npm("backup", ["--stack", STACK]);
    expectSuccess(backup);
    expect(backup.stdout).toMatch(/logs/);
    const again = await p.pulumi(["preview", "--expect-no-changes", "--stack", STACK]);
    expectSuccess(again, "a preview after up");
    const since = JSON.parse((await p.pulumi(["stack", "output", "history", "--json", "--stack", STACK])).stdout).since as string;
    const past = `_time:[${since}, ${new Date(Date.parse(since) + 30 * 60_000).toISOString()})`;
    const before = await logsCount(store(), past);
    // A change to the emulator's folder: a new image, which replaces the emulator and runs the history's (idempotent)
    // metric steps again, but not the push of its lines, which the store would keep twice.
    fs.appendFileSync(path.join(p.dir, "emulator/scenarios/default.yaml"), "# the engine suite's rebuild\n");
    const second = await p.npm("up", ["--stack", STACK]);
    expectSuccess(second);
    expect(await logsCount(store(), past)).toBe(before);
  });
});
