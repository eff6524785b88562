/**
 * The emulator's logs on a real log store: VictoriaLogs v1.52.2 built from its Go module, fed with
 * the Loki push API (JSON) by the same queue and client as `promemu run --loki-url`. The lines arrive
 * with their labels, their counts agree with the metrics, a fault's lines sit in its window and not
 * in calm, and a restart of the store loses nothing it acknowledged.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { encodeLokiJson } from "../../emulator/src/sinks/loki/push";
import { eventually, freePort, stopAllServers } from "../support/servers";
import { describeWithVictoriaLogs, logsCount, logsQuery, startVictoriaLogs, type RunningVictoriaLogs } from "../support/victorialogs";
import { ROUTES_500, drained, logFleet, lokiQueue } from "./logs-helpers";

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

describeWithVictoriaLogs()("emulated logs in VictoriaLogs", () => {
  afterAll(() => stopAllServers());

  describe("a fleet's 30 minutes", () => {
    let store: RunningVictoriaLogs;
    const epochMs = Math.floor((Date.now() - 40 * MIN) / 1000) * 1000;
    const fleet = logFleet({ epochMs });
    const queue = () => lokiQueue(store.pushUrl);
    const written = new Map<string, number>();

    beforeAll(async () => {
      store = await startVictoriaLogs();
      const q = queue();
      // Pushed every simulated 15 s, as a live run would.
      for (let t = 15_000; t <= 30 * MIN; t += 15_000) {
        fleet.engine.advanceTo(t);
        const groups = fleet.buffer.take();
        for (const g of groups) written.set(g.stream.host, (written.get(g.stream.host) ?? 0) + g.lines.length);
        q.enqueue(0, encodeLokiJson(groups, 5000, (s) => epochMs + s));
      }
      await drained(q);
      expect(q.totals).toMatchObject({ failed: 0, dropped: 0 });
      const total = [...written.values()].reduce((a, b) => a + b, 0);
      await eventually(async () => ((await logsCount(store, "*")) === total ? true : undefined), 30_000, () => `VictoriaLogs did not show all ${total} lines`);
      // A new stream is found by a stream filter ({host="..."}) only once VictoriaLogs has indexed it: a few seconds.
      await eventually(
        async () => {
          for (const [host, n] of written) if ((await logsCount(store, `{host="${host}"}`)) !== n) return undefined;
          return true;
        },
        30_000,
        () => "the streams were not all indexed",
      );
    }, 120_000);

    test("every host's lines arrive, labelled like its metrics", async () => {
      const rows = await logsQuery(store, "* | stats by (host, job, instance, role, service_name) count() n");
      const byHost = Object.fromEntries(rows.map((r) => [r.host, r]));
      for (const [host, n] of written) expect(Number(byHost[host]?.n)).toBe(n);
      expect(byHost["api-degraded-01"]).toMatchObject({ job: "http", instance: "api-degraded-01:8080", role: "api", service_name: "nginx" });
      expect(byHost["memory-pressure-01"]).toMatchObject({ job: "node", instance: "memory-pressure-01:9100", role: "node", service_name: "syslog" });
      expect(byHost["pg-deadlocks-01"]).toMatchObject({ job: "postgres", instance: "pg-deadlocks-01:9187", service_name: "postgresql" });
    });

    test("counts agree with the metrics: 5xx lines == the 5xx counter, OOM kills == node_vmstat_oom_kill, deadlocks == pg_stat_database_deadlocks", async () => {
      const errors = fleet.counter("api-degraded-01", "http_requests_total", ROUTES_500);
      expect(errors).toBeGreaterThan(100);
      // VictoriaLogs parses a JSON line into fields: status is one of them.
      expect(await logsCount(store, `{host="api-degraded-01"} status:500`)).toBe(errors);
      expect(await logsCount(store, `{host="api-calm-01"} status:500`)).toBe(fleet.counter("api-calm-01", "http_requests_total", ROUTES_500));
      const ooms = fleet.exporter("memory-pressure-01").valueOf("node_vmstat_oom_kill")!;
      expect(ooms).toBeGreaterThan(2);
      expect(await logsCount(store, `{host="memory-pressure-01"} "Out of memory: Killed process"`)).toBe(ooms);
      const deadlocks = ["app", "postgres", "template1", "template0"].reduce((s, datname) => s + (fleet.exporter("pg-deadlocks-01").valueOf("pg_stat_database_deadlocks", { datname }) ?? 0), 0);
      expect(await logsCount(store, `{host="pg-deadlocks-01"} "deadlock detected"`)).toBe(deadlocks);
    });

    test("a fault's lines are in its window, not in calm", async () => {
      const calm = `_time:[${iso(epochMs)}, ${iso(epochMs + 5 * MIN)})`;
      const fault = `_time:[${iso(epochMs + 5 * MIN)}, ${iso(epochMs + 25 * MIN + 15_000)}]`;
      expect(await logsCount(store, `{host="memory-pressure-01"} "Out of memory" ${calm}`)).toBe(0);
      expect(await logsCount(store, `{host="memory-pressure-01"} "Out of memory" ${fault}`)).toBeGreaterThan(0);
      expect(await logsCount(store, `{host="unit-crashloop-01"} "Scheduled restart job" ${calm}`)).toBe(0);
      expect(await logsCount(store, `{host="unit-crashloop-01"} "Scheduled restart job" ${fault}`)).toBeGreaterThan(5);
      expect(await logsCount(store, `{host="api-degraded-01"} status:500 ${fault}`)).toBeGreaterThan(50 * (await logsCount(store, `{host="api-degraded-01"} status:500 ${calm}`)));
      expect(await logsCount(store, `{host="calm-01"} "kernel:"`)).toBe(0);
    });
  });

  test("a restart of the store loses nothing it acknowledged; lines sent while it is down are retried", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-vl-restart-"));
    const port = await freePort();
    const epochMs = Math.floor((Date.now() - 20 * MIN) / 1000) * 1000;
    const fleet = logFleet({ epochMs });
    try {
      let store = await startVictoriaLogs({ port, dataDir });
      const log: string[] = [];
      const q = lokiQueue(store.pushUrl, { log });
      const push = (until: number) => {
        fleet.engine.advanceTo(until);
        q.enqueue(0, encodeLokiJson(fleet.buffer.take(), 2000, (s) => epochMs + s));
      };
      push(5 * MIN);
      await drained(q);
      const acknowledged = q.totals.sent;
      await store.stop();
      push(10 * MIN); // the store is down: the queue keeps these and retries
      await eventually(async () => (log.some((l) => l.includes("failing")) ? true : undefined), 10_000, () => "no failure logged");
      expect(q.pending).toBeGreaterThan(0);
      store = await startVictoriaLogs({ port, dataDir });
      await drained(q);
      expect(q.totals).toMatchObject({ failed: 0, dropped: 0 });
      expect(log.join("\n")).toMatch(/loki push to .* is back: sending again after \d+ failed attempts/);
      const total = fleet.lines.length;
      expect(q.totals.sent).toBe(total);
      expect(acknowledged).toBeGreaterThan(0);
      await eventually(async () => ((await logsCount(store, "*")) === total ? true : undefined), 30_000, () => `not all ${total} lines`);
      await store.stop();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  test("promemu run --loki-url: the CLI pushes the default scenario's logs, the balancer's peak included", async () => {
    const store = await startVictoriaLogs();
    const cli = path.join(__dirname, "..", "..", "emulator", "bin", "promemu.js");
    const child = spawn(process.execPath, [cli, "run", "--scenario", "default", "--set", "peak.first=2s", "--loki-url", store.pushUrl, "--speed", "4", "--duration", "40s", "--push-interval", "1s", "--status-interval", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(stderr).toMatch(/logs of 5 hosts to http:\/\/127\.0\.0\.1:\d+\/insert\/loki\/api\/v1\/push/);
    await eventually(async () => ((await logsCount(store, `{host="balancer-01", service_name="balancer"} "heavy task started"`)) === 1 ? true : undefined), 15_000, () => "no peak line");
    await eventually(async () => ((await logsCount(store, `{role="worker"} "work queue backing up"`)) === 4 ? true : undefined), 15_000, () => "not 4 worker lines");
    const access = `{host="balancer-01", service_name="nginx", job="promemu"}`;
    await eventually(async () => ((await logsCount(store, access)) > 100 ? true : undefined), 15_000, () => `no access lines; by stream: ${JSON.stringify(stderr)}`);
    await store.stop();
  }, 60_000);
});
