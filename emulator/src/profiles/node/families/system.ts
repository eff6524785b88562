/**
 * Time and its synchronisation (time, timex), identity (uname), processes, entropy, systemd units,
 * hardware sensors (hwmon, thermal, power supply, EDAC), the textfile collector, and the exporter's
 * own scrape and process metrics.
 */
import { UNIT_STATES } from "../model";
import { type NodeFamily, counter, gauge, gaugeCounter } from "./common";

/** Collectors reported in node_scrape_collector_*: those this profile emulates. */
export const COLLECTORS = [
  "arp", "bonding", "conntrack", "cpu", "cpufreq", "diskstats", "edac", "entropy", "filefd", "filesystem", "hwmon", "interrupts", "loadavg",
  "mdadm", "meminfo", "netclass", "netdev", "netstat", "os", "powersupplyclass", "pressure", "processes", "schedstat", "sockstat", "softnet", "stat",
  "systemd", "tcpstat", "textfile", "thermal_zone", "time", "timex", "udp_queues", "uname", "vmstat",
];
const PROCESS_STATES: [string, number][] = [["D", 0], ["I", 60], ["R", 1], ["S", 180], ["Z", 0]];
const sensors = (L: { hwmon: { chip: string; sensors: number }[] }) => L.hwmon.flatMap((c) => Array.from({ length: c.sensors }, (_, j) => [c.chip, `temp${j + 1}`]));
const chipOf = (L: { hwmon: { chip: string; sensors: number; maxCelsius: number; critCelsius: number }[] }, k: number) => {
  for (const c of L.hwmon) {
    if (k < c.sensors) return c;
    k -= c.sensors;
  }
  return L.hwmon[0];
};
const fans = (L: { hwmon: { chip: string; fans: number }[] }) => L.hwmon.flatMap((c) => Array.from({ length: c.fans }, (_, j) => [c.chip, `fan${j + 1}`]));
const services = (L: { units: { name: string; type: string }[] }) => L.units.flatMap((u) => UNIT_STATES.map((st) => [u.name, st, u.type === "service" ? "simple" : ""]));
const sockets = (L: { units: { name: string; type: string }[] }) => L.units.filter((u) => u.type === "socket").map((u) => [u.name]);
/** Service units: NRestarts exists for them only. */
const serviceUnits = (L: { units: { name: string; type: string }[] }) => L.units.filter((u) => u.type === "service").map((u) => [u.name]);
/** Index among all units of the k-th service unit. */
function serviceIndex(L: { units: { type: string }[] }, k: number): number {
  let seen = -1;
  for (let i = 0; i < L.units.length; i++) if (L.units[i].type === "service" && ++seen === k) return i;
  return 0;
}
/** /etc/os-release of Debian 12, the release whose kernel the layouts run, as the os collector reads it. */
const OS_RELEASE = { id: "debian", name: "Debian GNU/Linux", prettyName: "Debian GNU/Linux 12 (bookworm)", version: "12 (bookworm)", codename: "bookworm", versionId: "12" };

export const systemFamilies: NodeFamily[] = [
  gauge("node_time_seconds", "The host's clock, in seconds since the Unix epoch.", (s) => s.now),
  gauge("node_time_zone_offset_seconds", "Offset of the host's time zone from UTC.", () => 0, ["time_zone"], () => [["UTC"]]),
  gauge("node_boot_time_seconds", "When the host booted, in seconds since the Unix epoch.", (s) => s.bootTime),
  gauge("node_timex_offset_seconds", "Offset between the host's clock and its time source.", (s) => s.clockOffset),
  gauge("node_timex_sync_status", "1 when the clock is synchronised to a reliable time source.", (s) => (s.synced ? 1 : 0)),
  gauge("node_timex_maxerror_seconds", "Upper bound of the clock's error.", (s) => s.maxError),
  gauge("node_timex_estimated_error_seconds", "Estimated error of the clock.", (s) => (s.synced ? 0.0004 : 2)),
  gauge("node_timex_frequency_adjustment_ratio", "Frequency correction applied to the local oscillator.", () => 1.0000123),
  gauge("node_timex_loop_time_constant", "Time constant of the phase-locked loop.", () => 7),
  gauge("node_timex_status", "Status bits of the kernel clock.", (s) => (s.synced ? 8193 : 8257)),
  gauge("node_timex_tai_offset_seconds", "Offset of International Atomic Time from UTC.", () => 37),
  gauge("node_timex_tick_seconds", "Seconds between clock ticks.", () => 0.01),
  gauge("node_timex_pps_frequency_hertz", "Pulse-per-second frequency (0 without a PPS source).", () => 0),
  gauge("node_timex_pps_jitter_seconds", "Pulse-per-second jitter.", () => 0),
  gauge("node_timex_pps_shift_seconds", "Pulse-per-second interval duration.", () => 0),
  gauge("node_timex_pps_stability_hertz", "Pulse-per-second stability.", () => 0),
  counter("node_timex_pps_calibration_total", "Pulse-per-second calibration intervals.", () => 0),
  counter("node_timex_pps_error_total", "Pulse-per-second calibration errors.", () => 0),
  counter("node_timex_pps_jitter_total", "Pulse-per-second jitter limit exceeded.", () => 0),
  counter("node_timex_pps_stability_exceeded_total", "Pulse-per-second stability limit exceeded.", () => 0),
  gauge(
    "node_uname_info",
    "The kernel's identity as uname reports it; the value is always 1.",
    () => 1,
    ["domainname", "machine", "nodename", "release", "sysname", "version"],
    (L) => [["(none)", "x86_64", L.nodename, L.kernel, "Linux", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)"]],
  ),
  gauge("node_procs_running", "Processes runnable now.", (s) => Math.max(1, Math.round(s.runQueue))),
  gauge("node_procs_blocked", "Processes blocked waiting for I/O.", (s) => Math.round(s.blocked)),
  gauge("node_processes_state", "Processes per state.", (s, i) => (i === 2 ? Math.max(1, Math.round(s.runQueue)) : i === 0 ? Math.round(s.blocked) : PROCESS_STATES[i][1]), ["state"], () => PROCESS_STATES.map(([st]) => [st])),
  gauge("node_processes_pids", "Process IDs in use.", (s) => 240 + Math.round(20 * s.drivers.cpu)),
  gauge("node_processes_threads", "Threads in use.", (s) => 520 + Math.round(200 * s.drivers.cpu)),
  gauge("node_processes_max_processes", "Highest process ID the kernel hands out.", () => 4194304),
  gauge("node_processes_max_threads", "Most threads the kernel allows.", (s) => Math.round(s.layout.memory / 131072)),
  gauge("node_entropy_available_bits", "Entropy the kernel's random pool holds.", () => 256),
  gauge("node_entropy_pool_size_bits", "Size of the kernel's random pool.", () => 256),
  gauge(
    "node_systemd_unit_state",
    "Systemd unit",
    (s, i) => (UNIT_STATES[s.unitState[Math.floor(i / UNIT_STATES.length)]] === UNIT_STATES[i % UNIT_STATES.length] ? 1 : 0),
    ["name", "state", "type"],
    services,
  ),
  gauge(
    "node_systemd_units",
    "Summary of systemd unit states",
    (s, i) => s.unitState.reduce((n, st) => n + (st === i ? 1 : 0), 0),
    ["state"],
    () => UNIT_STATES.map((st) => [st]),
  ),
  // --collector.systemd.enable-restarts-metrics: systemd's NRestarts of each service, which crash-loop rules read.
  counter("node_systemd_service_restart_total", "Service unit count of Restart triggers", (s, k) => s.unitRestarts[serviceIndex(s.layout, k)], ["name"], serviceUnits),
  gauge("node_systemd_socket_current_connections", "Current number of socket connections", (s) => Math.round(s.established / 50), ["name"], sockets),
  counter("node_systemd_socket_accepted_connections_total", "Total number of accepted socket connections", () => 0.05, ["name"], sockets),
  // A count the collector sends as a gauge, whatever its name says.
  gaugeCounter("node_systemd_socket_refused_connections_total", "Total number of refused socket connections", () => 0, ["name"], sockets),
  gauge("node_systemd_system_running", "Whether the system is operational (see 'systemctl is-system-running')", (s) => (s.unitState.includes(3) ? 0 : 1)),
  gauge("node_hwmon_chip_names", "Name of each hardware monitoring chip; the value is always 1.", () => 1, ["chip", "chip_name"], (L) => L.hwmon.map((c) => [c.chip, c.name])),
  gauge("node_hwmon_temp_celsius", "Temperature of a sensor.", (s, i) => s.temps[i], ["chip", "sensor"], sensors),
  gauge("node_hwmon_temp_max_celsius", "Temperature a sensor should stay below.", (s, i) => chipOf(s.layout, i).maxCelsius, ["chip", "sensor"], sensors),
  gauge("node_hwmon_temp_crit_celsius", "Critical temperature of a sensor.", (s, i) => chipOf(s.layout, i).critCelsius, ["chip", "sensor"], sensors),
  gauge("node_hwmon_temp_crit_hyst_celsius", "Temperature a sensor must fall below to clear its critical alarm.", (s, i) => chipOf(s.layout, i).critCelsius - 2, ["chip", "sensor"], sensors),
  gauge(
    "node_hwmon_temp_crit_alarm_celsius",
    "1 while a sensor's critical alarm is raised (the unit in the name is the exporter's).",
    (s, i) => (s.temps[i] >= chipOf(s.layout, i).critCelsius ? 1 : 0),
    ["chip", "sensor"],
    sensors,
  ),
  gauge("node_hwmon_fan_rpm", "Speed of a fan.", (s) => Math.round(1200 + 1800 * s.drivers.cpu), ["chip", "sensor"], fans),
  gauge("node_hwmon_fan_min_rpm", "Lowest speed a fan should run at.", () => 600, ["chip", "sensor"], fans),
  // The thermal_zone collector: the package's zone reads the first chip's first sensor (an overheating chip heats it too).
  gauge("node_thermal_zone_temp", "Zone temperature in Celsius", (s) => s.temps[0], ["type", "zone"], (L) => (L.hwmon.length ? [["x86_pkg_temp", "0"]] : [])),
  gauge("node_cooling_device_cur_state", "Current throttle state of the cooling device", (s) => Math.round(3 * s.drivers.cpu), ["name", "type"], () => [["0", "Processor"]]),
  gauge("node_cooling_device_max_state", "Maximum throttle state of the cooling device", () => 3, ["name", "type"], () => [["0", "Processor"]]),
  gauge("node_power_supply_online", "1 when a power supply is online.", () => 1, ["power_supply"], () => [["AC"]]),
  counter("node_edac_correctable_errors_total", "Memory errors the controller corrected.", (s) => (s.edac ? 0.5 : 0), ["controller"], () => [["0"]]),
  counter("node_edac_uncorrectable_errors_total", "Memory errors the controller could not correct.", (s) => (s.edac ? 0.02 : 0), ["controller"], () => [["0"]]),
  counter("node_edac_csrow_correctable_errors_total", "Corrected memory errors per chip-select row.", (s) => (s.edac ? 0.5 : 0), ["controller", "csrow"], () => [["0", "0"]]),
  counter("node_edac_csrow_uncorrectable_errors_total", "Uncorrected memory errors per chip-select row.", (s) => (s.edac ? 0.02 : 0), ["controller", "csrow"], () => [["0", "0"]]),
  gauge(
    "node_os_info",
    "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.",
    () => 1,
    ["build_id", "id", "id_like", "image_id", "image_version", "name", "pretty_name", "variant", "variant_id", "version", "version_codename", "version_id"],
    () => [["", OS_RELEASE.id, "", "", "", OS_RELEASE.name, OS_RELEASE.prettyName, "", "", OS_RELEASE.version, OS_RELEASE.codename, OS_RELEASE.versionId]],
  ),
  gauge("node_os_version", "Metric containing the major.minor part of the OS version.", () => Number(OS_RELEASE.versionId), ["id", "id_like", "name"], () => [[OS_RELEASE.id, "", OS_RELEASE.name]]),
  gauge("node_textfile_scrape_error", "1 when the textfile collector could not read a file.", (s) => s.textfileError),
  gauge("node_scrape_collector_duration_seconds", "How long a collector took in this scrape.", (s, i) => 0.0004 + 0.0002 * ((i * 7) % 5) + 0.0003 * s.drivers.cpu, ["collector"], () => COLLECTORS.map((c) => [c])),
  gauge("node_scrape_collector_success", "1 when a collector succeeded in this scrape.", (s, i) => (COLLECTORS[i] === "textfile" ? 1 - s.textfileError : 1), ["collector"], () => COLLECTORS.map((c) => [c])),
  gauge(
    "node_exporter_build_info",
    "Version of the exporter; the value is always 1.",
    () => 1,
    ["branch", "goarch", "goos", "goversion", "revision", "tags", "version"],
    () => [["HEAD", "amd64", "linux", "go1.22.5", "promemu", "netgo osusergo static_build", "1.8.2"]],
  ),
  counter("process_cpu_seconds_total", "CPU time the exporter process used.", (s) => 0.003 + 0.0001 * s.layout.cores),
  gauge("process_open_fds", "File descriptors the exporter process has open.", () => 9),
  gauge("process_max_fds", "File descriptors the exporter process may open.", () => 1048576),
  gauge("process_resident_memory_bytes", "Resident memory of the exporter process.", () => 21_430_272),
  gauge("process_virtual_memory_bytes", "Virtual memory of the exporter process.", () => 1_268_862_976),
  gauge("process_virtual_memory_max_bytes", "Most virtual memory the exporter process may use (-1: no limit).", () => 18446744073709552000),
  gauge("process_start_time_seconds", "When the exporter process started, in seconds since the Unix epoch.", (s) => s.bootTime + 14),
];
