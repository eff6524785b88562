/**
 * Emulated logs, on the engine's injected clock: the lines agree with the metrics of the same ticks,
 * appear in their fault's window and not in calm, are written as the real programs write them, and
 * a scenario's bad `logs` key is refused with its path.
 */
import { Engine } from "../../emulator/src/engine/engine";
import { encodeLokiJson } from "../../emulator/src/sinks/loki/push";
import { UsageError } from "../../emulator/src/errors";
import { loadScenario, parseScenario } from "../../emulator/src/scenario/loader";
import { LOG_FLEET, ROUTES_500, logFleet } from "./logs-helpers";

const MIN = 60_000;

describe("emulated logs agree with the metrics", () => {
  const fleet = logFleet();
  // Tick times are multiples of 15 s: read the counters at two of them, count the lines between.
  const t1 = 6 * MIN;
  const t2 = 16 * MIN;
  const at1: Record<string, number> = {};
  const at2: Record<string, number> = {};
  const read = (into: Record<string, number>) => {
    into.errors = fleet.counter("api-degraded-01", "http_requests_total", ROUTES_500);
    into.requests = ["200", "201", "404", "400", "500"].reduce((s, code) => s + fleet.counter("api-degraded-01", "http_requests_total", ROUTES_500.map((r) => ({ ...r, code }))), 0);
    into.fast = fleet.counter("api-degraded-01", "http_request_duration_seconds_bucket", ROUTES_500.map(({ method, route }) => ({ method, route, le: "0.1" })));
    into.calmErrors = fleet.counter("api-calm-01", "http_requests_total", ROUTES_500);
    into.ooms = fleet.exporter("memory-pressure-01").valueOf("node_vmstat_oom_kill")!;
    into.deadlocks = ["app", "postgres", "template1", "template0"].reduce((s, datname) => s + (fleet.exporter("pg-deadlocks-01").valueOf("pg_stat_database_deadlocks", { datname }) ?? 0), 0);
  };
  beforeAll(() => {
    fleet.engine.advanceTo(t1);
    read(at1);
    fleet.engine.advanceTo(t2);
    read(at2);
    fleet.engine.advanceTo(30 * MIN);
  });

  test("an HTTP service: 5xx lines == increase of the 5xx counter, lines == requests, request_time <= 0.1 == the bucket's increase", () => {
    const entries = fleet.of("api-degraded-01", t1, t2).map((l) => JSON.parse(l.line));
    expect(at2.errors - at1.errors).toBeGreaterThan(20);
    expect(entries.filter((e) => e.status >= 500).length).toBe(at2.errors - at1.errors);
    expect(entries.length).toBe(at2.requests - at1.requests);
    expect(entries.filter((e) => e.request_time <= 0.1).length).toBe(at2.fast - at1.fast);
    const calm = fleet.of("api-calm-01", t1, t2).map((l) => JSON.parse(l.line));
    expect(calm.filter((e) => e.status >= 500).length).toBe(at2.calmErrors - at1.calmErrors);
  });

  test("a node host: one 'Out of memory: Killed process' per increase of node_vmstat_oom_kill, none before the fault", () => {
    const killed = (from: number, to: number) => fleet.of("memory-pressure-01", from, to).filter((l) => l.line.includes("kernel: Out of memory: Killed process")).length;
    expect(at2.ooms - at1.ooms).toBeGreaterThan(0);
    expect(killed(t1, t2)).toBe(at2.ooms - at1.ooms);
    expect(killed(-1, 5 * MIN)).toBe(0);
  });

  test("PostgreSQL: one 'deadlock detected' per increase of pg_stat_database_deadlocks", () => {
    const found = fleet.of("pg-deadlocks-01", t1, t2).filter((l) => / ERROR: {2}deadlock detected\n/.test(l.line)).length;
    expect(at2.deadlocks - at1.deadlocks).toBeGreaterThan(50);
    expect(found).toBe(at2.deadlocks - at1.deadlocks);
  });

  test("fault lines appear in their window, and a calm host writes only cron's", () => {
    const crash = fleet.of("unit-crashloop-01").filter((l) => l.line.includes("backup.service: Scheduled restart job"));
    expect(crash.length).toBeGreaterThan(5);
    expect(crash.every((l) => l.t > 5 * MIN && l.t <= 15 * MIN + 15_000)).toBe(true);
    expect(crash.map((l) => /restart counter is at (\d+)/.exec(l.line)![1]).slice(0, 3)).toEqual(["1", "2", "3"]);
    const ro = fleet.of("fs-readonly-01").filter((l) => l.line.includes("Remounting filesystem read-only"));
    expect(ro.map((l) => l.t)).toEqual([5 * MIN]);
    expect(ro[0].line).toMatch(/ kernel: EXT4-fs \(sda2\): Remounting filesystem read-only$/);
    const reboot = fleet.of("reboot-01").map((l) => l.line);
    expect(reboot.some((l) => l.endsWith("kernel: reboot: Restarting system"))).toBe(true);
    expect(reboot.some((l) => / systemd\[1\]: Startup finished in /.test(l))).toBe(true);
    expect(fleet.of("calm-01").every((l) => / CRON\[\d+\]: \(root\) CMD /.test(l.line))).toBe(true);
    const down = fleet.of("pg-down-01").map((l) => l.line);
    expect(down.findIndex((l) => l.includes("database system is shut down"))).toBeLessThan(down.findIndex((l) => l.includes("starting PostgreSQL 16.4")));
    expect(fleet.of("pg-restart-01").some((l) => l.line.includes("was terminated by signal 9: Killed"))).toBe(true);
  });

  test("every stream is in time order and labelled like the host's metrics", () => {
    const byStream = new Map<number, number[]>();
    for (const l of fleet.lines) byStream.set(l.stream.index, [...(byStream.get(l.stream.index) ?? []), l.t]);
    for (const times of byStream.values()) expect(times).toEqual([...times].sort((a, b) => a - b));
    const api = fleet.engine.logStreams.find((s) => s.host === "api-degraded-01")!;
    expect(Object.fromEntries(api.labels)).toEqual({ job: "http", instance: "api-degraded-01:8080", host: "api-degraded-01", role: "api", service_name: "nginx" });
    const node = fleet.engine.logStreams.find((s) => s.host === "calm-01")!;
    expect(Object.fromEntries(node.labels)).toMatchObject({ job: "node", instance: "calm-01:9100", service_name: "syslog" });
  });
});

describe("formats as the real programs write them", () => {
  const fleet = logFleet({ epochMs: Date.UTC(2026, 0, 5) });
  beforeAll(() => fleet.engine.advanceTo(12 * MIN));

  test("syslog (rsyslog on Debian 12), PostgreSQL (%m [%p]), nginx JSON", () => {
    expect(fleet.of("memory-pressure-01").find((l) => l.line.includes("oom-killer"))!.line).toMatch(
      /^2026-01-05T00:\d\d:\d\d\.\d{6}\+00:00 memory-pressure-01 kernel: \w+ invoked oom-killer: gfp_mask=0x140cca\(GFP_HIGHUSER_MOVABLE\|__GFP_COMP\), order=0, oom_score_adj=0$/,
    );
    expect(fleet.of("pg-deadlocks-01").find((l) => l.line.includes("deadlock"))!.line).toMatch(/^2026-01-05 00:\d\d:\d\d\.\d{3} UTC \[\d+\] ERROR: {2}deadlock detected\n(?<prefix>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC \[\d+\] )DETAIL: {2}Process \d+ waits for ShareLock on transaction \d+; blocked by process \d+\.\n\tProcess \d+ waits/);
    // Each line of the report has the prefix (the same one), its continuation lines (a tab first) none.
    const report = fleet.of("pg-deadlocks-01").find((l) => l.line.includes("deadlock"))!.line.split("\n");
    const prefix = report[0].slice(0, report[0].indexOf("ERROR:"));
    expect(report.filter((l) => !l.startsWith("\t")).every((l) => l.startsWith(prefix))).toBe(true);
    expect(report.filter((l) => !l.startsWith("\t")).map((l) => l.slice(prefix.length).split(":")[0])).toEqual(["ERROR", "DETAIL", "HINT", "CONTEXT", "STATEMENT"]);
    const access = JSON.parse(fleet.of("api-calm-01").at(-1)!.line);
    expect(Object.keys(access)).toEqual(["time", "remote_addr", "request_method", "request_uri", "status", "body_bytes_sent", "request_time", "http_referer", "http_user_agent"]);
    expect(access.time).toMatch(/^2026-01-05T00:\d\d:\d\d\+00:00$/);
  });

  test("nginx combined", () => {
    const yaml = LOG_FLEET.replace("logs: [{source: access, format: json}]", "logs: [{source: access, format: combined}]");
    const combined = logFleet({ yaml, epochMs: Date.UTC(2026, 0, 5) });
    combined.engine.advanceTo(MIN);
    expect(combined.of("api-calm-01")[0].line).toMatch(/^10\.\d+\.\d+\.\d+ - - \[05\/Jan\/2026:00:00:\d\d \+0000\] "(GET|POST) \/\S+ HTTP\/1\.1" \d{3} \d+ "-" "[^"]+"$/);
  });

  test("the same seed writes the same lines; another seed others", () => {
    const a = logFleet({ seed: 7 });
    const b = logFleet({ seed: 7 });
    const c = logFleet({ seed: 8 });
    for (const f of [a, b, c]) f.engine.advanceTo(7 * MIN);
    expect(a.lines.map((l) => l.line)).toEqual(b.lines.map((l) => l.line));
    expect(c.lines.map((l) => l.line)).not.toEqual(a.lines.map((l) => l.line));
  });
});

describe("built-in scenarios with logs", () => {
  test("default: the balancer's access log counts its http_requests_total, its peaks are logged by it and the workers", () => {
    const { scenario } = loadScenario("default");
    const lines: { host: string; t: number; line: string }[] = [];
    const engine = new Engine(scenario, { seed: 42, logs: { sink: { write: (s, t, line) => lines.push({ host: s.host, t, line }) } } });
    engine.advanceTo(5 * MIN);
    const balancer = engine.hosts.find((h) => h.name === "balancer-01")!;
    const requests = balancer.series.find((s) => s.def.name === "http_requests_total")!.value;
    const access = lines.filter((l) => l.host === "balancer-01" && l.line.startsWith("{"));
    expect(access.length).toBe(requests);
    const peak = lines.filter((l) => l.line.includes("event=peak_start"));
    expect(peak.map((l) => [l.host, l.t])).toEqual([["balancer-01", 60_000], ["worker-01", 60_000], ["worker-02", 60_000], ["worker-03", 60_000], ["worker-04", 60_000]]);
    expect(peak[0].line).toBe('time=2026-01-05T00:01:00.000Z level=info msg="heavy task started: rebalancing work across the workers" event=peak_start');
  });

  test("fleet-faults declares logs for every host; without a log sink the engine makes none", () => {
    const { scenario } = loadScenario("fleet-faults");
    expect(scenario.hosts.every((h) => (h.shape.logs?.length ?? 0) > 0)).toBe(true);
    const engine = new Engine(scenario, { seed: 42 });
    expect(engine.logStreams).toEqual([]);
  });
});

describe("a scenario's logs key is checked", () => {
  const refused = (yaml: string) => {
    try {
      parseScenario(yaml, "x.yaml", "x");
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    }
    throw new Error("accepted");
  };
  test("a syslog on a host without a node exporter, an unknown source, an access log without its counter", () => {
    expect(refused("hosts: [{name: a, role: r, metrics: {x: 1}, logs: [{source: syslog}]}]")).toMatch(/x\.yaml: hosts\[0\]\.logs\[0\]\.source: a syslog follows a node exporter's faults/);
    expect(refused("hosts: [{name: a, role: r, metrics: {x: 1}, logs: [{source: kernel}]}]")).toMatch(/hosts\[0\]\.logs\[0\]\.source: .*must be a log source: access, syslog, postgres, events/);
    expect(refused("hosts: [{name: a, role: r, metrics: {x: 1}, logs: [{source: access}]}]")).toMatch(/hosts\[0\]\.logs\[0\]\.counter: needs the request counter/);
    expect(refused("hosts: [{name: a, role: r, metrics: {x: 1}, logs: [{source: events, lines: [{on: nothing_emits_this, message: hi}]}]}]")).toMatch(/no host emits event "nothing_emits_this"/);
  });
});

describe("the Loki push body", () => {
  test("streams with their labels, values as [unix ns, line], at most maxLines a request, in order", () => {
    const fleet = logFleet({ epochMs: Date.UTC(2026, 0, 5) });
    fleet.engine.advanceTo(2 * MIN);
    const written = fleet.buffer.size;
    const batches = encodeLokiJson(fleet.buffer.take(), 1000, (t) => Date.UTC(2026, 0, 5) + t);
    expect(batches.reduce((n, b) => n + b.samples, 0)).toBe(written);
    expect(batches.every((b) => b.samples <= 1000)).toBe(true);
    const body = JSON.parse(Buffer.from(batches[0].body).toString()) as { streams: { stream: Record<string, string>; values: [string, string][] }[] };
    const first = body.streams[0];
    expect(first.stream).toHaveProperty("host");
    expect(first.values[0][0]).toMatch(/^17675\d{8}000000$/);
    const ts = first.values.map(([ns]) => BigInt(ns));
    expect(ts).toEqual([...ts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(fleet.buffer.size).toBe(0);
  });
});
