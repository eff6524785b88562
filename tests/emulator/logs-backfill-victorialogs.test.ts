/**
 * `promemu backfill --loki-url` into a real VictoriaLogs (v1.52.2, built by the global setup): a range two months
 * old (the store keeps 10 years here, -retentionPeriod) arrives with its own timestamps, within [--from, --to), with
 * the labels of the live push, every entry of the files the same backfill wrote, and counts that agree with the
 * metrics of the same play (5xx lines == the 5xx counter's increase, OOM kills == node_vmstat_oom_kill's).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { eventually, stopAllServers } from "../support/servers";
import { describeWithVictoriaLogs, logsCount, logsQuery, startVictoriaLogs, type RunningVictoriaLogs } from "../support/victorialogs";
import { promemuAsync } from "./helpers";
import { entries, increase } from "./logs-backfill-helpers";
import { LOG_FLEET, ROUTES_500 } from "./logs-helpers";

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

describeWithVictoriaLogs()("promemu backfill --loki-url into VictoriaLogs", () => {
  let store: RunningVictoriaLogs;
  let dir: string;
  // Two months ago, on a whole minute; 1 ms past the last tick so that it is in both the metrics and the logs.
  const fromMs = Math.floor((Date.now() - 60 * 24 * 60 * MIN) / MIN) * MIN;
  const toMs = fromMs + 30 * MIN + 1;
  let om: string;
  let total: number;
  /** Entries of each host's files (a PostgreSQL entry is one line in the store). */
  const perHost = new Map<string, number>();

  beforeAll(async () => {
    store = await startVictoriaLogs({ args: ["-retentionPeriod=10y"] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-logs-backfill-vl-"));
    const scenario = path.join(dir, "log-fleet.yaml");
    fs.writeFileSync(scenario, LOG_FLEET);
    const args = ["backfill", "--scenario", scenario, "--from", iso(fromMs), "--to", iso(toMs), "--out", path.join(dir, "m"), "--logs-out", path.join(dir, "logs"), "--loki-url", store.pushUrl, "--loki-batch", "2000"];
    const { status: code, out } = await promemuAsync(args);
    expect({ code, out }).toMatchObject({ code: 0 });
    total = Number(/: ([\d,]+) lines in /.exec(out)![1].replace(/,/g, ""));
    expect(out).toContain(`${total.toLocaleString("en-US")} sent, 0 refused, 0 dropped`);
    om = fs.readFileSync(path.join(dir, "m", "log-fleet.om"), "utf8");
    for (const host of fs.readdirSync(path.join(dir, "logs"))) {
      let n = 0;
      for (const file of fs.readdirSync(path.join(dir, "logs", host))) n += entries(fs.readFileSync(path.join(dir, "logs", host, file), "utf8"));
      perHost.set(host, n);
    }
    expect([...perHost.values()].reduce((a, b) => a + b, 0)).toBe(total);
    await eventually(async () => ((await logsCount(store, "*")) === total ? true : undefined), 60_000, () => `VictoriaLogs did not show all ${total} lines`);
    // A stream filter ({host="..."}) finds a new stream only once VictoriaLogs has indexed it: a few seconds.
    await eventually(
      async () => {
        for (const [host, n] of perHost) if ((await logsCount(store, `{host="${host}"}`)) !== n) return undefined;
        return true;
      },
      30_000,
      () => "the streams were not all indexed",
    );
  }, 180_000);

  afterAll(async () => {
    await stopAllServers();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("every line arrives with its own old timestamp, within [--from, --to)", async () => {
    expect(await logsCount(store, `_time:[${iso(fromMs)}, ${iso(toMs)})`)).toBe(total);
    expect(await logsCount(store, `_time:>${iso(fromMs + 31 * MIN)}`)).toBe(0);
    // The first access lines are in the range's first minute, two months ago.
    expect(await logsCount(store, `{host="api-calm-01"} _time:[${iso(fromMs)}, ${iso(fromMs + MIN)})`)).toBeGreaterThan(100);
  });

  test("every host's entries, labelled like its metrics (as the live push labels them)", async () => {
    const rows = await logsQuery(store, "* | stats by (host, job, instance, role, service_name) count() n");
    const byHost = Object.fromEntries(rows.map((r) => [r.host, r]));
    for (const [host, n] of perHost) expect([host, Number(byHost[host]?.n)]).toEqual([host, n]);
    expect(byHost["api-degraded-01"]).toMatchObject({ job: "http", instance: "api-degraded-01:8080", role: "api", service_name: "nginx" });
    expect(byHost["memory-pressure-01"]).toMatchObject({ job: "node", instance: "memory-pressure-01:9100", role: "node", service_name: "syslog" });
    expect(byHost["pg-deadlocks-01"]).toMatchObject({ job: "postgres", instance: "pg-deadlocks-01:9187", service_name: "postgresql" });
  });

  test("counts agree with the backfilled metrics; a fault's lines are in its window only", async () => {
    const errors = increase(om, "http_requests_total", ROUTES_500.map((r) => ({ instance: "api-degraded-01:8080", ...r })));
    expect(errors).toBeGreaterThan(100);
    // VictoriaLogs parses a JSON line into fields: status is one of them.
    expect(await logsCount(store, `{host="api-degraded-01"} status:500`)).toBe(errors);
    const ooms = increase(om, "node_vmstat_oom_kill", [{ instance: "memory-pressure-01:9100" }]);
    expect(ooms).toBeGreaterThan(2);
    expect(await logsCount(store, `{host="memory-pressure-01"} "Out of memory: Killed process"`)).toBe(ooms);
    const deadlocks = increase(om, "pg_stat_database_deadlocks", [{ instance: "pg-deadlocks-01:9187" }]);
    expect(await logsCount(store, `{host="pg-deadlocks-01"} "deadlock detected"`)).toBe(deadlocks);
    expect(await logsCount(store, `{host="memory-pressure-01"} "Out of memory" _time:[${iso(fromMs)}, ${iso(fromMs + 5 * MIN)})`)).toBe(0);
  });
});
