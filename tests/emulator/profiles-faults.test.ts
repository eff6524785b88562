/**
 * The fault audit: every fault reaches the state its name says, and the families rule sets read for it exist.
 *  - in process, on the injected clock: each fault's end state, as node_exporter / postgres_exporter would
 *    report it (a disk that fills ends full unless `level` stops it, a host out of file descriptors has
 *    allocated what the maximum it reports allows, a full conntrack table drops flows, a crash-looping
 *    service counts restarts, a full server takes no more clients);
 *  - on the real servers: the scenario played, backfilled and opened by Prometheus (as `promemu check
 *    --offline` does), and a rule written straight from each family's meaning fires on the faulty host,
 *    and on no other, the calm ones included.
 */
import { startOffline, type OfflineServer } from "../../emulator/src/check/offline";
import { evaluateAlert, type AlertRule } from "../../emulator/src/check/rules";
import type { Engine } from "../../emulator/src/engine/engine";
import { FILE_MAX_UNLIMITED, kernelFileMax } from "../../emulator/src/profiles/node/layout";
import { describeWith } from "../support/servers";
import { MINUTE, compile, engineFor, exporterOf, exporterValue as v, expectLabelNames, exposition, samples } from "./helpers";

const FAULTS_AT = "20m";
const SCENARIO = `
timeOfDay: "10:00"
tick: {interval: 15s, jitter: 0s}
roles:
  node: {exporter: {profile: node, layout: small}}
  postgres: {exporter: {profile: postgres}}
hosts:
  - {name: calm-01, role: node}
  - name: disk-full-01
    role: node
    exporter: {profile: node, layout: small, faults: [{fault: disk_fill, at: ${FAULTS_AT}, ramp: 30m, target: /var}]}
  - name: disk-partial-01
    role: node
    exporter: {profile: node, layout: small, faults: [{fault: disk_fill, at: ${FAULTS_AT}, ramp: 30m, level: 0.9, target: /var}]}
  - name: inodes-01
    role: node
    exporter: {profile: node, layout: small, faults: [{fault: inode_fill, at: ${FAULTS_AT}, ramp: 30m, target: /var}]}
  - name: fd-01
    role: node
    exporter: {profile: node, layout: small, faults: [{fault: fd_exhaustion, at: ${FAULTS_AT}, ramp: 10m}]}
  - name: conntrack-01
    role: node
    exporter: {profile: node, layout: small, faults: [{fault: conntrack_full, at: ${FAULTS_AT}, ramp: 10m}]}
  - name: crashloop-01
    role: node
    exporter: {profile: node, layout: small, faults: [{fault: unit_crashloop, at: ${FAULTS_AT}, target: nginx.service}]}
  - name: overheat-01
    role: node
    exporter: {profile: node, layout: small, faults: [{fault: overheat, at: ${FAULTS_AT}}]}
  - {name: pg-calm-01, role: postgres}
  - name: pg-full-01
    role: postgres
    exporter: {profile: postgres, faults: [{fault: too_many_connections, at: ${FAULTS_AT}, ramp: 10m}]}
`;
const END = 80 * MINUTE;

const last = (e: ReturnType<typeof exporterOf>, name: string, labels?: Record<string, string>) => v(e, name, labels);

describe("fault audit: each fault reaches its end state", () => {
  let engine: Engine;
  beforeAll(() => {
    engine = engineFor(SCENARIO, 5);
    engine.advanceTo(END);
  });
  const host = (name: string) => exporterOf(engine, name);

  it("disk_fill goes on to full (no byte free, root's reserve included) unless level stops it", () => {
    const full = host("disk-full-01");
    const fs = { mountpoint: "/var" };
    expect(last(full, "node_filesystem_free_bytes", fs)).toBe(0);
    expect(last(full, "node_filesystem_avail_bytes", fs)).toBe(0);
    const partial = host("disk-partial-01");
    expect(last(partial, "node_filesystem_free_bytes", fs) / last(partial, "node_filesystem_size_bytes", fs)).toBeCloseTo(0.1, 3);
  });

  it("inode_fill runs out of inodes", () => {
    expect(last(host("inodes-01"), "node_filesystem_files_free", { mountpoint: "/var" })).toBe(0);
  });

  it("fd_exhaustion: allocated reaches the maximum the host reports, the kernel's own limit for its RAM; calm hosts keep systemd's LONG_MAX", () => {
    const fd = host("fd-01");
    const maximum = last(fd, "node_filefd_maximum");
    expect(maximum).toBe(kernelFileMax(4 * 2 ** 30));
    expect(maximum).toBe(419_430);
    expect(last(fd, "node_filefd_allocated") / maximum).toBe(1);
    expect(last(host("calm-01"), "node_filefd_maximum")).toBe(FILE_MAX_UNLIMITED);
    expect(last(host("calm-01"), "node_filefd_allocated")).toBeLessThan(10_000);
  });

  it("conntrack_full: entries at the limit, and the table drops the flows it cannot place", () => {
    const ct = host("conntrack-01");
    expect(last(ct, "node_nf_conntrack_entries")).toBe(last(ct, "node_nf_conntrack_entries_limit"));
    expect(last(ct, "node_nf_conntrack_stat_drop")).toBeGreaterThan(1000);
    expect(last(ct, "node_nf_conntrack_stat_early_drop")).toBeGreaterThan(1000);
    expect(last(host("calm-01"), "node_nf_conntrack_stat_drop")).toBe(0);
    expect(last(host("calm-01"), "node_nf_conntrack_stat_insert")).toBeGreaterThan(0);
  });

  it("unit_crashloop: systemd counts a restart a minute (NRestarts); other services none", () => {
    const loop = host("crashloop-01");
    // 60 minutes of crash loop: about 60 restarts.
    expect(last(loop, "node_systemd_service_restart_total", { name: "nginx.service" })).toBeGreaterThanOrEqual(58);
    expect(last(loop, "node_systemd_service_restart_total", { name: "nginx.service" })).toBeLessThanOrEqual(61);
    expect(last(loop, "node_systemd_service_restart_total", { name: "ssh.service" })).toBe(0);
  });

  it("overheat: the package's thermal zone runs past the critical temperature too", () => {
    expect(last(host("overheat-01"), "node_thermal_zone_temp", { type: "x86_pkg_temp", zone: "0" })).toBeGreaterThan(100);
    expect(last(host("calm-01"), "node_thermal_zone_temp", { type: "x86_pkg_temp", zone: "0" })).toBeLessThan(70);
  });

  it("too_many_connections: every slot but the superusers' reserve taken, the exporter's included", () => {
    const pg = host("pg-full-01");
    const backends = [...samples(exposition(pg), "pg_stat_database_numbackends").values()].reduce((a, b) => a + b, 0);
    expect(backends).toBe(last(pg, "pg_settings_max_connections") - last(pg, "pg_settings_superuser_reserved_connections"));
  });
});

describe("node profile: the families added for rule sets, as node_exporter writes them", () => {
  it("systemd restarts of services only, conntrack statistics as gauges, the thermal zone, os-release", () => {
    const engine = engineFor(SCENARIO, 5);
    engine.advanceTo(MINUTE);
    const text = exposition(exporterOf(engine, "calm-01"));
    expectLabelNames(text, "node_systemd_service_restart_total", ["name"]);
    expect([...samples(text, "node_systemd_service_restart_total").keys()]).not.toContain('{name="ssh.socket"}');
    expect(text).toMatch(/^# HELP node_systemd_service_restart_total Service unit count of Restart triggers\n# TYPE node_systemd_service_restart_total counter$/m);
    for (const stat of ["found", "invalid", "ignore", "insert", "insert_failed", "drop", "early_drop", "search_restart"]) {
      expect(text).toMatch(new RegExp(`^# TYPE node_nf_conntrack_stat_${stat} gauge$`, "m"));
    }
    expect(text).toMatch(/^# TYPE node_systemd_socket_refused_connections_total gauge$/m);
    expect(text).toMatch(/^node_thermal_zone_temp\{type="x86_pkg_temp",zone="0"\} \d/m);
    expect(text).toContain(
      'node_os_info{build_id="",id="debian",id_like="",image_id="",image_version="",name="Debian GNU/Linux",pretty_name="Debian GNU/Linux 12 (bookworm)",variant="",variant_id="",version="12 (bookworm)",version_codename="bookworm",version_id="12"} 1\n',
    );
    expect(text).toContain('node_os_version{id="debian",id_like="",name="Debian GNU/Linux"} 12\n');
    expect(text).toContain('node_scrape_collector_success{collector="os"} 1\n');
    expect(text).toMatch(/^# HELP node_filefd_maximum File descriptor statistics: maximum\.$/m);
  });
});

/** Rules written from each family's meaning, not from a community file. */
const RULES: [string, string, string[]][] = [
  ["FilesystemFull", 'node_filesystem_free_bytes{fstype!~"tmpfs|ramfs"} == 0', ["disk-full-01"]],
  ["FilesystemOutOfInodes", 'node_filesystem_files_free{fstype!~"tmpfs|ramfs"} == 0', ["inodes-01"]],
  ["FileDescriptorsExhausted", "node_filefd_allocated / node_filefd_maximum > 0.95", ["fd-01"]],
  ["ConntrackTableFull", "node_nf_conntrack_entries >= node_nf_conntrack_entries_limit", ["conntrack-01"]],
  ["ConntrackDroppingFlows", "rate(node_nf_conntrack_stat_drop[5m]) > 0", ["conntrack-01"]],
  ["SystemdServiceCrashLooping", "increase(node_systemd_service_restart_total[10m]) > 3", ["crashloop-01"]],
  ["ThermalZoneHot", "node_thermal_zone_temp > 90", ["overheat-01"]],
  [
    "PostgresqlNoFreeConnectionSlot",
    "sum by (job, instance) (pg_stat_database_numbackends) >= on (job, instance) (pg_settings_max_connections - pg_settings_superuser_reserved_connections)",
    ["pg-full-01"],
  ],
];

describeWith(["prometheus", "promtool"])("fault audit on a real Prometheus: a rule from each family's meaning fires in its fault, not in calm", () => {
  let server: OfflineServer;
  const STEP_MS = 30_000;

  beforeAll(async () => {
    server = await startOffline({ scenario: compile(SCENARIO), seed: 5, durationMs: END, stepMs: STEP_MS, evaluateFromMs: 0, historyStepMs: STEP_MS, log: () => undefined });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it.each(RULES)("%s: %s", async (alert, expr, hosts) => {
    const rule: AlertRule = { group: "audit", alert, expr, for: 2 * MINUTE, file: "inline" };
    const outcome = await evaluateAlert(server.url, rule, server.start, server.start + END / 1000, STEP_MS / 1000);
    expect(outcome.error).toBeUndefined();
    const fired = [...new Set(outcome.fired.map((f) => f.labels.instance.replace(/:\d+$/, "")))].sort();
    expect(fired).toEqual(hosts);
    // Never before the fault.
    for (const f of outcome.fired) expect(f.since).toBeGreaterThan(server.start + 20 * 60);
  });
});
