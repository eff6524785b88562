/** Exporter profiles' faults started by scenario events (`on`, `until`) rather than at a fixed `at`. */
import type { EmulatorEvent } from "../../emulator/src/events/bus";
import { FaultSchedule } from "../../emulator/src/profiles/fault-schedule";
import { type FaultSpec, effectsAt } from "../../emulator/src/profiles/node/faults";
import { MINUTE, engineFor, exporterOf, exporterValue as v, exposition, scenarioError } from "./helpers";

/** A node host and a batch host that starts at 10m and stops at 30m (host_started / host_stopped). */
const SCENARIO = (faults: string) => `
timeOfDay: "13:00"
hosts:
  - name: node-01
    role: node
    exporter:
      profile: node
      faults:
${faults}
  - name: batch-01
    role: batch
    delay: 10m
    ttl: 20m
    metrics: {busy: {generator: {type: constant, value: 1}}}
`;

const PARTS = { mountpoints: ["/"], nics: ["eth0"], units: ["a.service"], chips: ["coretemp"], arrays: [], bonds: [] };
const event = (name: string, time: number, role = "batch"): EmulatorEvent => ({ name, source: "batch-01", role, time });

describe("faults on events: the schedule", () => {
  const faults = [
    { fault: "disk_fill", on: { event: "heavy_task_start" }, for: 10 * MINUTE, ramp: 2 * MINUTE, level: 0.95, direction: "both", alerts: [] },
    { fault: "clock_unsynced", on: { event: "heavy_task_start" }, until: { event: "heavy_task_end" }, direction: "both", alerts: [] },
    { fault: "unit_failed", at: 40 * MINUTE, for: 5 * MINUTE, direction: "both", alerts: [] },
  ] as FaultSpec[];

  it("no effect before the event, ramps in after it, lasts `for`, ends on `until`; timed faults as before", () => {
    const subscribed: [string, number][] = [];
    const schedule = new FaultSchedule(faults, { subscribe: (filter, _l, tag) => subscribed.push([filter.event, tag ?? 0]) });
    expect(subscribed).toEqual([["heavy_task_start", 0], ["heavy_task_start", 2], ["heavy_task_end", 3]]);
    const at = (t: number) => effectsAt(faults, t, PARTS, schedule);
    expect(at(5 * MINUTE).fill.get("/")).toBeUndefined();
    expect(at(5 * MINUTE).unsynced).toBe(false);
    schedule.onEvent(event("heavy_task_start", 10 * MINUTE), 0);
    schedule.onEvent(event("heavy_task_start", 10 * MINUTE), 2);
    expect(at(10 * MINUTE).fill.get("/")).toBe(0);
    expect(at(11 * MINUTE).fill.get("/")).toBeCloseTo(0.475);
    expect(at(12 * MINUTE).fill.get("/")).toBeCloseTo(0.95);
    expect(at(19 * MINUTE).fill.get("/")).toBeCloseTo(0.95);
    expect(at(20 * MINUTE).fill.get("/")).toBeUndefined();
    expect(at(25 * MINUTE).unsynced).toBe(true);
    schedule.onEvent(event("heavy_task_end", 26 * MINUTE), 3);
    expect(at(26 * MINUTE).unsynced).toBe(false);
    expect(at(39 * MINUTE).unitFailed.size).toBe(0);
    expect(at(41 * MINUTE).unitFailed.has("a.service")).toBe(true);
    expect(at(46 * MINUTE).unitFailed.size).toBe(0);
    // Timed faults alone: the same as without a schedule.
    expect(effectsAt(faults, 41 * MINUTE, PARTS).unitFailed.has("a.service")).toBe(true);
    expect(effectsAt(faults, 15 * MINUTE, PARTS).fill.size).toBe(0);
  });

  it("an `on` event while the fault is on extends it without restarting its ramp; after it ended, it starts afresh", () => {
    const schedule = new FaultSchedule(faults, { subscribe: () => undefined });
    schedule.onEvent(event("heavy_task_start", 10 * MINUTE), 0);
    schedule.onEvent(event("heavy_task_start", 15 * MINUTE), 0);
    expect(schedule.start(0)).toBe(10 * MINUTE);
    expect(schedule.end(0)).toBe(25 * MINUTE);
    expect(schedule.growth(0, 15 * MINUTE)).toBe(1);
    schedule.onEvent(event("heavy_task_start", 40 * MINUTE), 0);
    expect(schedule.active(0, 30 * MINUTE)).toBe(false);
    expect(schedule.start(0)).toBe(40 * MINUTE);
    expect(schedule.growth(0, 41 * MINUTE)).toBeCloseTo(0.5);
  });
});

describe("faults on events: in a running scenario", () => {
  it("follows another host's events, filtered by source or role, on the exporter's metrics", () => {
    const engine = engineFor(
      SCENARIO(`        - {fault: textfile_error, on: {event: host_started, source: batch-01}, for: 5m, alerts: [NodeTextfileError]}
        - {fault: clock_unsynced, on: {event: host_started, role: batch}, until: {event: host_stopped, role: batch}}
        - {fault: unit_failed, at: 40m, for: 5m}`),
      3,
    );
    const sample = (t: number) => {
      engine.advanceTo(t);
      const e = exporterOf(engine, "node-01");
      return {
        textfile: v(e, "node_textfile_scrape_error"),
        synced: v(e, "node_timex_sync_status"),
        failed: /node_systemd_unit_state\{[^}]*state="failed"[^}]*\} 1\b/.test(exposition(e)),
      };
    };
    // Ticks come every 12-17 s: a minute's margin around each edge.
    expect(sample(9 * MINUTE)).toEqual({ textfile: 0, synced: 1, failed: false });
    expect(sample(11 * MINUTE)).toEqual({ textfile: 1, synced: 0, failed: false });
    expect(sample(14 * MINUTE)).toEqual({ textfile: 1, synced: 0, failed: false });
    expect(sample(16 * MINUTE)).toEqual({ textfile: 0, synced: 0, failed: false });
    expect(sample(29 * MINUTE)).toEqual({ textfile: 0, synced: 0, failed: false });
    expect(sample(31 * MINUTE)).toEqual({ textfile: 0, synced: 1, failed: false });
    expect(sample(41 * MINUTE)).toEqual({ textfile: 0, synced: 1, failed: true });
    expect(sample(46 * MINUTE)).toEqual({ textfile: 0, synced: 1, failed: false });
  });

  it("plays the same for the same seed", () => {
    const yaml = SCENARIO(`        - {fault: cpu_saturation, on: host_started, ramp: 2m, for: 10m, level: 0.95}`);
    const [a, b] = [engineFor(yaml, 5), engineFor(yaml, 5)];
    for (const engine of [a, b]) engine.advanceTo(12 * MINUTE);
    expect(v(exporterOf(a, "node-01"), "node_load1")).toBe(v(exporterOf(b, "node-01"), "node_load1"));
  });

  it("needs exactly one of `at` and `on`, and `until` only with `on`", () => {
    const bad = (fault: string) => scenarioError(`hosts: [{name: a, role: r, exporter: {profile: node, faults: [${fault}]}}]`);
    expect(bad(`{fault: cpu_saturation, at: 1m, on: heavy_task_start}`)).toMatch(/hosts\[0\]\.exporter\.faults\[0\]: fault cpu_saturation needs exactly one of `at` .* or `on` .*not both/);
    expect(bad(`{fault: cpu_saturation, for: 1m}`)).toMatch(/fault cpu_saturation needs exactly one of .*and has neither/);
    expect(bad(`{fault: cpu_saturation, at: 1m, until: done}`)).toMatch(/faults\[0\]\.until: fault cpu_saturation: `until`/);
    expect(scenarioError(`hosts: [{name: a, role: r, exporter: {profile: postgres, faults: [{fault: down, for: 1m}]}}]`)).toMatch(/fault down needs exactly one/);
    expect(scenarioError(`hosts: [{name: a, role: r, exporter: {profile: http, faults: [{fault: errors, on: "a b"}]}}]`)).toMatch(/faults\[0\]\.on: must be an event name/);
  });
});
