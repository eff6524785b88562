/** The node exporter profile: families, label sets and the consistency rules a real machine keeps. */
import { Engine } from "../../emulator/src/engine/engine";
import type { ExporterRuntime } from "../../emulator/src/profiles/types";
import { NODE_FAMILIES } from "../../emulator/src/profiles/node/profile";
import { spawnSync } from "child_process";
import { describeWith, findBinary } from "../support/servers";
import { MINUTE, compile, engineFor, exporterOf, exporterValue as v, expectLabelNames, exposition, samples, scenarioError } from "./helpers";

const NODE_HOST = (extra = "") => `
timeOfDay: "13:00"
hosts:
  - name: node-01
    role: node
    exporter:
      profile: node
      layout: {preset: medium, raid: [{device: md0, disks: 2}], bonds: [{master: bond0}]}
${extra}
`;

const start = (yaml: string, seed = 3): Engine => engineFor(yaml, seed);
const exporter = (engine: Engine, name = "node-01"): ExporterRuntime => exporterOf(engine, name);

describe("node profile: families and labels", () => {
  it("has the label sets node_exporter uses, one TYPE per family, unique series", () => {
    const engine = start(NODE_HOST());
    engine.advanceTo(MINUTE);
    const text = exposition(exporter(engine));
    const expectLabels = (name: string, labels: string[]) => expectLabelNames(text, name, labels);
    expectLabels("node_cpu_seconds_total", ["cpu", "mode"]);
    expectLabels("node_filesystem_avail_bytes", ["device", "fstype", "mountpoint"]);
    expectLabels("node_network_receive_bytes_total", ["device"]);
    expectLabels("node_disk_io_time_seconds_total", ["device"]);
    expectLabels("node_systemd_unit_state", ["name", "state", "type"]);
    expectLabels("node_hwmon_temp_celsius", ["chip", "sensor"]);
    expectLabels("node_uname_info", ["domainname", "machine", "nodename", "release", "sysname", "version"]);
    expect(samples(text, "node_cpu_seconds_total").size).toBe(4 * 8);
    expect([...samples(text, "node_uname_info").keys()][0]).toContain('nodename="node-01"');
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]);
    expect(new Set(types).size).toBe(types.length);
    const lines = text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.slice(0, l.lastIndexOf(" ")));
    expect(new Set(lines).size).toBe(lines.length);
    expect(text).toMatch(/^# TYPE node_vmstat_pgmajfault untyped$/m);
    expect(text).toMatch(/^# TYPE node_cpu_seconds_total counter$/m);
  });

  it("emits every family the profile declares, with its own help text", () => {
    const engine = start(NODE_HOST());
    engine.advanceTo(MINUTE);
    const text = exposition(exporter(engine));
    for (const family of NODE_FAMILIES) {
      expect(family.help.length).toBeGreaterThan(5);
      expect(text).toContain(`# HELP ${family.name} `);
    }
  });

});

/** promtool check metrics reads the exposition on stdin. */
function checkMetrics(text: string): { status: number; output: string } {
  const result = spawnSync(findBinary("promtool")!, ["check", "metrics"], { input: text, encoding: "utf8", timeout: 60_000 });
  return { status: result.status ?? -1, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

describeWith(["promtool"])("node profile: promtool check metrics", () => {
  it("finds nothing but node_exporter's own camelCase and _bits names, and the systemd collector's gauge named _total", () => {
    const engine = start(NODE_HOST());
    engine.advanceTo(10 * MINUTE);
    const text = exposition(exporter(engine));
    const complaints = checkMetrics(text).output.split("\n").filter(Boolean);
    expect(complaints.length).toBeGreaterThan(0);
    // node_exporter's names are facts: /proc/meminfo and /proc/net/{netstat,snmp} fields keep their case, entropy counts bits,
    // and the systemd collector sends a socket's refused connections as a gauge (GaugeValue in collector/systemd_linux.go).
    const upstream = (c: string) =>
      /^node_(memory|netstat)_\w+ metric names should be written in 'snake_case' not 'camelCase'$/.test(c) ||
      /^node_entropy_\w+_bits use base unit "bytes" instead of "bits"$/.test(c) ||
      c === 'node_systemd_socket_refused_connections_total non-counter metrics should not have "_total" suffix';
    expect(complaints.filter((c) => !upstream(c))).toEqual([]);
    // Without those families: nothing at all.
    const rest = text
      .split(/(?=^# HELP )/m)
      .filter((block) => !/^# HELP (node_memory_\w*[A-Z]\w* |node_netstat_|node_entropy_|node_systemd_socket_refused_connections_total )/.test(block))
      .join("");
    expect(rest).toContain("node_cpu_seconds_total");
    expect(checkMetrics(rest)).toEqual({ status: 0, output: "" });
  });
});

describe("node profile: consistency", () => {
  it("per-mode CPU seconds add up to elapsed time per cpu, and to cores x elapsed in total", () => {
    const engine = start(NODE_HOST());
    engine.advanceTo(30 * MINUTE);
    const e = exporter(engine);
    const host = engine.hosts[0];
    const text = exposition(e);
    const cpu = samples(text, "node_cpu_seconds_total");
    const elapsed = (engine.now - 0) / 1000;
    for (let c = 0; c < 4; c++) {
      const sum = [...cpu].filter(([k]) => k.includes(`cpu="${c}"`)).reduce((a, [, x]) => a + x, 0);
      // Up to the last tick (at most one interval before now).
      expect(sum).toBeLessThanOrEqual(elapsed + 1e-6);
      expect(sum).toBeGreaterThan(elapsed - 18);
    }
    expect(host.active).toBe(true);
  });

  it("keeps MemFree <= MemAvailable <= MemTotal and avail <= free <= size, at calm and under faults", () => {
    const engine = start(
      NODE_HOST(`      faults:
        - {fault: memory_pressure, at: 10m, for: 10m}
        - {fault: disk_fill, at: 5m, ramp: 10m, target: /var}`),
    );
    for (let t = MINUTE; t <= 40 * MINUTE; t += MINUTE) {
      engine.advanceTo(t);
      const e = exporter(engine);
      const total = v(e, "node_memory_MemTotal_bytes");
      const avail = v(e, "node_memory_MemAvailable_bytes");
      const free = v(e, "node_memory_MemFree_bytes");
      expect(free).toBeLessThanOrEqual(avail);
      expect(avail).toBeLessThanOrEqual(total);
      expect(v(e, "node_memory_SwapFree_bytes")).toBeLessThanOrEqual(v(e, "node_memory_SwapTotal_bytes"));
      for (const mountpoint of ["/", "/var", "/run"]) {
        const size = v(e, "node_filesystem_size_bytes", { mountpoint });
        const fsFree = v(e, "node_filesystem_free_bytes", { mountpoint });
        const fsAvail = v(e, "node_filesystem_avail_bytes", { mountpoint });
        expect(fsAvail).toBeGreaterThanOrEqual(0);
        expect(fsAvail).toBeLessThanOrEqual(fsFree);
        expect(fsFree).toBeLessThanOrEqual(size);
      }
      const availableShare = avail / total;
      // Ticks come every 12-17 s: a minute's margin around the fault's edges.
      if (t >= 11 * MINUTE && t < 20 * MINUTE) expect(availableShare).toBeLessThan(0.1);
      if (t < 10 * MINUTE || t >= 21 * MINUTE) expect(availableShare).toBeGreaterThan(0.3);
      const varAvail = v(e, "node_filesystem_avail_bytes", { mountpoint: "/var" }) / v(e, "node_filesystem_size_bytes", { mountpoint: "/var" });
      if (t >= 16 * MINUTE) expect(varAvail).toBe(0);
      if (t < 5 * MINUTE) expect(varAvail).toBeGreaterThan(0.3);
    }
  });

  it("counters never go down, and their rates match the gauges they relate to", () => {
    const engine = start(NODE_HOST());
    const names = NODE_FAMILIES.filter((f) => f.rate).map((f) => f.name);
    let previous = new Map<string, number>();
    for (let t = MINUTE; t <= 20 * MINUTE; t += MINUTE) {
      engine.advanceTo(t);
      const text = exposition(exporter(engine));
      const now = new Map<string, number>();
      for (const name of names) for (const [k, x] of samples(text, name)) now.set(name + k, x);
      for (const [key, x] of previous) expect(now.get(key)!).toBeGreaterThanOrEqual(x);
      previous = now;
    }
    // Disk: busy time grows by utilisation; reads x latency = read time; Little's law for the queue.
    const e = exporter(engine);
    const sda = { device: "sda" };
    const first = { io: v(e, "node_disk_io_time_seconds_total", sda), reads: v(e, "node_disk_reads_completed_total", sda), bytes: v(e, "node_disk_read_bytes_total", sda) };
    engine.advanceTo(30 * MINUTE);
    const readsDelta = v(e, "node_disk_reads_completed_total", sda) - first.reads;
    expect(readsDelta).toBeGreaterThan(0);
    expect((v(e, "node_disk_read_bytes_total", sda) - first.bytes) / readsDelta).toBeCloseTo(32768, -3);
    const ioDelta = v(e, "node_disk_io_time_seconds_total", sda) - first.io;
    expect(ioDelta).toBeGreaterThan(0);
    expect(ioDelta).toBeLessThan(600);
    // Network: received bytes per packet stay those of the model, and the link is never above its speed.
    const eth = { device: "eth0" };
    expect(v(e, "node_network_receive_bytes_total", eth) / v(e, "node_network_receive_packets_total", eth)).toBeCloseTo(900, -1);
  });

  it("a reboot takes the exporter down, then resets counters and moves node_boot_time_seconds", () => {
    const engine = start(NODE_HOST(`      faults:\n        - {fault: reboot, at: 20m, for: 2m, alerts: []}`));
    engine.advanceTo(19 * MINUTE);
    const before = exporter(engine);
    const bootBefore = v(before, "node_boot_time_seconds");
    const ctxBefore = v(before, "node_context_switches_total");
    expect(ctxBefore).toBeGreaterThan(0);
    engine.advanceTo(21 * MINUTE);
    expect(before.up).toBe(false);
    expect(exposition(before)).toBe("");
    engine.advanceTo(23 * MINUTE);
    expect(before.up).toBe(true);
    const bootAfter = v(before, "node_boot_time_seconds");
    expect(bootAfter - bootBefore).toBeGreaterThan(12 * 86_400);
    expect(v(before, "node_context_switches_total")).toBeLessThan(ctxBefore);
    expect(v(before, "node_time_seconds") - bootAfter).toBeLessThan(120);
  });

  it("plays the same series for the same seed, other series for another", () => {
    const a = start(NODE_HOST(), 1);
    const b = start(NODE_HOST(), 1);
    const c = start(NODE_HOST(), 2);
    for (const engine of [a, b, c]) engine.advanceTo(10 * MINUTE);
    expect(exposition(exporter(a))).toBe(exposition(exporter(b)));
    expect(exposition(exporter(a))).not.toBe(exposition(exporter(c)));
  });
});

describe("node profile: scenario checks", () => {
  it("refuses an unknown profile, fault or preset with the path inside the file", () => {
    expect(scenarioError(`hosts: [{name: a, role: r, exporter: {profile: mysql}}]`)).toMatch(/hosts\[0\]\.exporter\.profile: must be an exporter profile: node/);
    expect(scenarioError(`hosts: [{name: a, role: r, exporter: {profile: node, faults: [{fault: meltdown, at: 1m}]}}]`)).toMatch(/hosts\[0\]\.exporter\.faults\[0\]\.fault: must be a fault/);
    expect(scenarioError(`hosts: [{name: a, role: r, exporter: {profile: node, layout: huge}}]`)).toMatch(/hosts\[0\]\.exporter\.layout/);
    expect(scenarioError(`hosts: [{name: a, role: r, exporter: {profile: node, drivers: {cpu: {type: derived, from: x}}}}]`)).toMatch(/drivers\.cpu: an exporter's driver cannot use the derived generator/);
  });

  it("a host with only an exporter needs no metrics of its own; sizes may be text", () => {
    const scenario = compile(`hosts: [{name: a, role: r, exporter: {profile: node, layout: {cores: 2, memory: 8GiB}}}]`);
    const engine = new Engine(scenario, { seed: 1 });
    engine.advanceTo(MINUTE);
    expect(v(exporter(engine, "a"), "node_memory_MemTotal_bytes")).toBe(8 * 2 ** 30);
  });
});
