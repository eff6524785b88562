/**
 * The main dashboard: the emulated workload. The seed's panels (CPU, memory, heavy task, hosts by role,
 * database connections, network throughput) plus the Python emulator's (disk, IO, GPU, latency, packet
 * loss, request latency), filtered by the job, role and host variables.
 */
/// <reference path="./sdk-modules.d.ts" />
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import { exporterProfiles, type LogBackend, type Settings } from "../settings";
import {
  type LogsPanelSpec,
  logsPanel,
  numberPanels,
  promemuDashboard,
  pieChartPanel,
  quantileQueries,
  queryVariable,
  row,
  statPanel,
  thresholds,
  type TimeSeriesSpec,
  timeSeriesPanel,
} from "./panels";

export const MAIN_DASHBOARD_UID = "promemu-overview";

/** Every emulated series carries these labels; the variables narrow each of them. */
const FILTER = 'job=~"$job", role=~"$role", host=~"$host"';
const select = (metric: string) => `${metric}{${FILTER}}`;
const perHostRate = (counter: string) => `sum by (host) (rate(${select(counter)}[$__rate_interval]))`;

/** One line per host of a gauge; percentages on a fixed 0-100 axis. */
function perHostPanel(title: string, metric: string, description: string, unit: string, extra: Partial<TimeSeriesSpec> = {}) {
  const axis = unit === "percent" ? { min: 0, max: 100 } : { min: 0 };
  return timeSeriesPanel({ title, description, queries: [{ expr: select(metric), legend: "{{host}}" }], unit, width: 8, ...axis, ...extra });
}

/** host_uptime_seconds exists for every emulated host, whatever its role, so it anchors the variables. */
const ANCHOR = "host_uptime_seconds";

/** A panel builder of any kind, as the dashboard builder takes it. */
type PanelBuilder = cog.Builder<dashboard.Panel>;

/** A log panel as `explained` places it: the backend and width are its. */
type ExplainingLogs = Omit<LogsPanelSpec, "backend" | "width">;

/**
 * A metric panel and, with a log store, the log panel that explains it to its right (half the width each, the same
 * height, so they read as one line of the grid); without one the metric panel alone, full width.
 */
function explained(builder: dashboard.DashboardBuilder, backend: LogBackend | undefined, metric: (width: number) => PanelBuilder, log: ExplainingLogs) {
  if (!backend) return builder.withPanel(metric(24));
  return builder.withPanel(metric(12)).withPanel(logsPanel({ ...log, backend, width: 12 }));
}

/**
 * Log streams of the hosts the variables select. Plain hosts' streams carry the labels of their metrics (job
 * `promemu`, role, host; docs/logs.md); `service_name=~".+"` is the matcher that refuses the empty value, which Loki
 * wants when "All" turns the three variables into `.*`.
 */
const HOST_STREAMS = `${FILTER}, service_name=~".+"`;

export function overviewDashboard(settings: Settings): dashboard.Dashboard {
  const { cpuHigh, cpuCritical, memoryHigh } = settings.alerts;
  const backend = settings.logs.enabled ? settings.logs.backend : undefined;
  const profiles = EXPORTER_ROWS.filter((r) => exporterProfiles(settings).includes(r.profile));
  let builder = promemuDashboard(
    "promemu: emulated hosts",
    MAIN_DASHBOARD_UID,
    "The emulated workload: per-host resources, the balancer's heavy task and its peaks, requests and the database; with exporter hosts, their node, PostgreSQL and HTTP panels. With the log store, each metric that a log line explains has those lines beside it.",
  )
    .withVariable(queryVariable("job", "Job", `label_values(${ANCHOR}, job)`))
    .withVariable(queryVariable("role", "Role", `label_values(${ANCHOR}{job=~"$job"}, role)`))
    .withVariable(queryVariable("host", "Host", `label_values(${ANCHOR}{job=~"$job", role=~"$role"}, host)`));
  // Exporter hosts' series carry job and instance only (the emulator's service discovery): their own variable.
  if (profiles.length) builder = builder.withVariable(queryVariable("instance", "Instance", `label_values(up{job=~"${profiles.map((r) => r.profile).join("|")}"}, instance)`));

  builder = builder
    .withRow(row("Workload"))
    .withPanel(
      statPanel({
        title: "Heavy task",
        description: "The balancer's heavy task (heavy_task_active). While it runs the workers' CPU and memory peak.",
        queries: [{ expr: `max by (host) (${select("heavy_task_active")})`, legend: "{{host}}", instant: true }],
        width: 6,
        valueText: { "0": { text: "Idle", color: "green" }, "1": { text: "Active", color: "orange" } },
        thresholds: thresholds("green", [[1, "orange"]]),
      }),
    )
    .withPanel(
      pieChartPanel({
        title: "Hosts by role",
        description: "Number of emulated hosts of each role.",
        queries: [{ expr: `count by (role) (${select(ANCHOR)})`, legend: "{{role}}", instant: true }],
        width: 6,
      }),
    )
    .withPanel(perHostPanel("Database connections", "db_connections", "Open connections of each database host (db_connections).", "short", { width: 12 }));
  if (backend) {
    builder = builder.withPanel(
      logsPanel({
        title: "Logs of the selected hosts",
        description:
          "Every line the hosts selected by job, role and host wrote, newest first: the balancer's and workers' lines at each heavy task (why the panels above move), the access lines behind the request rate.",
        backend,
        query: { streams: HOST_STREAMS },
        width: 24,
      }),
    );
  }

  builder = builder
    .withRow(row("CPU and memory"))
    .withPanel(
      perHostPanel(
        "CPU usage by host",
        "cpu_usage_percent",
        `cpu_usage_percent. Dashed lines: HighCPUUsage (> ${cpuHigh.threshold}% for ${cpuHigh.for}) and CriticalCPUUsage (> ${cpuCritical.threshold}% for ${cpuCritical.for}).`,
        "percent",
        {
          width: 12,
          thresholdLines: [
            [cpuHigh.threshold, "orange"],
            [cpuCritical.threshold, "red"],
          ],
        },
      ),
    )
    .withPanel(
      perHostPanel(
        "Memory usage by host",
        "memory_usage_percent",
        `memory_usage_percent. Dashed line: HighMemoryUsage (> ${memoryHigh.threshold}% for ${memoryHigh.for}).`,
        "percent",
        { width: 12, thresholdLines: [[memoryHigh.threshold, "orange"]] },
      ),
    )

    .withRow(row("Disk and network"))
    .withPanel(perHostPanel("Disk usage", "disk_usage_percent", "disk_usage_percent of each host.", "percent"))
    .withPanel(perHostPanel("Disk IO utilisation", "disk_io_util_percent", "disk_io_util_percent: share of time the disk was busy.", "percent"))
    .withPanel(perHostPanel("Disk IO operations", "disk_io_ops_per_second", "disk_io_ops_per_second of each host.", "iops"))
    .withPanel(
      timeSeriesPanel({
        title: "Network throughput",
        description: "Per-second rate of the byte counters network_receive_bytes_total and network_transmit_bytes_total.",
        queries: [
          { expr: perHostRate("network_receive_bytes_total"), legend: "{{host}} received" },
          { expr: perHostRate("network_transmit_bytes_total"), legend: "{{host}} sent" },
        ],
        unit: "Bps",
        width: 8,
      }),
    )
    .withPanel(perHostPanel("Network latency", "network_latency_seconds", "network_latency_seconds of each host.", "s"))
    // Loss is a fraction of a percent most of the time: a 0-100 axis would flatten it.
    .withPanel(perHostPanel("Packet loss", "network_packet_loss_percent", "network_packet_loss_percent of each host.", "percent", { max: undefined }))

    .withRow(row("Workers and requests"))
    .withPanel(
      timeSeriesPanel({
        title: "GPU usage",
        description: "gpu_usage_percent and gpu_memory_usage_percent of the workers.",
        queries: [
          { expr: select("gpu_usage_percent"), legend: "{{host}} GPU" },
          { expr: select("gpu_memory_usage_percent"), legend: "{{host}} GPU memory" },
        ],
        unit: "percent",
        min: 0,
        max: 100,
        width: 8,
      }),
    )
    .withPanel(perHostPanel("Worker processes", "workers_count", "workers_count: processes each worker host runs.", "short"))
    .withPanel(
      timeSeriesPanel({
        title: "HTTP requests",
        description: "Per-second rate of http_requests_total on the balancer.",
        queries: [{ expr: perHostRate("http_requests_total"), legend: "{{host}}" }],
        unit: "reqps",
        min: 0,
        width: 8,
      }),
    );
  builder = explained(
    builder,
    backend,
    (width) =>
      timeSeriesPanel({
        title: "Request latency",
        description: "Quantiles of http_request_duration_seconds over every selected host, from the histogram's buckets.",
        queries: quantileQueries(select("http_request_duration_seconds_bucket")),
        unit: "s",
        min: 0,
        width,
      }),
    {
      title: "Failed and slow requests",
      description: `Access lines of the selected hosts with a status of 400 or more, or a request_time above ${SLOW_REQUEST_SECONDS.hosts} s: the requests behind the upper quantiles, and the failed ones.`,
      query: { streams: HOST_STREAMS, fields: [["status", ">=", 400], ["request_time", ">", SLOW_REQUEST_SECONDS.hosts]] },
    },
  );

  for (const exporterRow of profiles) builder = exporterRow.add(builder.withRow(row(exporterRow.title)), backend);
  if (backend && profiles.length) {
    builder = builder.withPanel(
      logsPanel({
        title: "Logs of the selected instances",
        description: "Every line the exporter hosts selected by instance wrote (syslog, PostgreSQL's log, access lines), newest first.",
        backend,
        query: { streams: `job=~"${profiles.map((r) => r.profile).join("|")}", instance=~"$instance"` },
        width: 24,
      }),
    );
  }
  return numberPanels(builder.build());
}

/**
 * Seconds above which an access line counts as slow: the balancer's requests (default scenario) take tens of
 * milliseconds, an HTTP service's p99 is some 0.15 s calm and above 1 s degraded (fleet-faults, measured on VictoriaLogs).
 */
const SLOW_REQUEST_SECONDS = { hosts: 0.5, http: 1 };

/** The series and streams of one exporter profile's hosts, narrowed by the instance variable. */
const exporter = (profile: string) => `job="${profile}", instance=~"$instance"`;
const NODE = exporter("node");
const POSTGRES = exporter("postgres");
const HTTP = exporter("http");

/** A row per exporter profile the scenario serves (docs/exporter-profiles.md): each metric beside the lines its faults write. */
const EXPORTER_ROWS: { profile: string; title: string; add: (builder: dashboard.DashboardBuilder, backend: LogBackend | undefined) => dashboard.DashboardBuilder }[] = [
  {
    profile: "node",
    title: "Node hosts",
    add: (builder, backend) => {
      const byInstance = (title: string, description: string, expr: string, unit: string, more: Partial<TimeSeriesSpec> = {}) => (width: number) =>
        timeSeriesPanel({ title, description, queries: [{ expr, legend: "{{instance}}" }], unit, min: 0, width, ...more });
      builder = explained(
        builder,
        backend,
        byInstance(
          "Memory available",
          "node_memory_MemAvailable_bytes as a share of node_memory_MemTotal_bytes: near 0 the kernel's OOM killer steps in.",
          `100 * node_memory_MemAvailable_bytes{${NODE}} / node_memory_MemTotal_bytes{${NODE}}`,
          "percent",
          { max: 100 },
        ),
        {
          title: "OOM kills",
          description: "The kernel's OOM-killer lines (one per increase of node_vmstat_oom_kill): which process it killed and why.",
          query: { streams: NODE, phrases: ["invoked oom-killer", "Out of memory"] },
        },
      );
      builder = explained(
        builder,
        backend,
        (width) =>
          timeSeriesPanel({
            title: "Read-only and failing file systems",
            description: "File systems mounted read-only (node_filesystem_readonly) or failing (node_filesystem_device_error): 1 is bad.",
            queries: [
              { expr: `max by (instance, mountpoint) (node_filesystem_readonly{${NODE}})`, legend: "{{instance}} {{mountpoint}} read-only" },
              { expr: `max by (instance, mountpoint) (node_filesystem_device_error{${NODE}})`, legend: "{{instance}} {{mountpoint}} device error" },
            ],
            unit: "short",
            min: 0,
            max: 1,
            width,
          }),
        {
          title: "File system lines",
          description: "The kernel's EXT4 and I/O errors (an aborted journal, a remount read-only, a failing device) and journald's 'No space left on device' of a full disk.",
          query: { streams: NODE, phrases: ["EXT4-fs", "I/O error", "No space left on device"] },
        },
      );
      builder = explained(
        builder,
        backend,
        byInstance(
          "Failed systemd units",
          'Units in the failed state (node_systemd_unit_state{state="failed"}).',
          `sum by (instance) (node_systemd_unit_state{${NODE}, state="failed"})`,
          "short",
        ),
        {
          title: "Unit failures",
          description: "systemd's lines of a unit's main process exiting, failing and being restarted.",
          query: { streams: NODE, phrases: ["Main process exited", "Failed with result", "Failed to start", "Scheduled restart job"] },
        },
      );
      return explained(
        builder,
        backend,
        (width) =>
          timeSeriesPanel({
            title: "Network errors",
            description: "Per-second rate of node_network_receive_errs_total and node_network_transmit_errs_total.",
            queries: [
              { expr: `sum by (instance) (rate(node_network_receive_errs_total{${NODE}}[$__rate_interval]))`, legend: "{{instance}} receive" },
              { expr: `sum by (instance) (rate(node_network_transmit_errs_total{${NODE}}[$__rate_interval]))`, legend: "{{instance}} transmit" },
            ],
            unit: "pps",
            min: 0,
            width,
          }),
        {
          title: "Network adapter lines",
          description: "The kernel's transmit timeouts and adapter resets (NETDEV WATCHDOG) while the error counters grow.",
          query: { streams: NODE, phrases: ["NETDEV WATCHDOG", "Reset adapter"] },
        },
      );
    },
  },
  {
    profile: "postgres",
    title: "PostgreSQL",
    add: (builder, backend) => {
      builder = explained(
        builder,
        backend,
        (width) =>
          timeSeriesPanel({
            title: "Deadlocks and recovery conflicts",
            description: "Increase of pg_stat_database_deadlocks and pg_stat_database_conflicts per interval, by instance.",
            queries: [
              { expr: `sum by (instance) (increase(pg_stat_database_deadlocks{${POSTGRES}}[$__rate_interval]))`, legend: "{{instance}} deadlocks" },
              { expr: `sum by (instance) (increase(pg_stat_database_conflicts{${POSTGRES}}[$__rate_interval]))`, legend: "{{instance}} conflicts" },
            ],
            unit: "short",
            min: 0,
            width,
          }),
        {
          title: "PostgreSQL ERROR lines",
          description: "The server's ERROR entries: 'deadlock detected' with the two statements, 'canceling statement due to conflict with recovery' on replicas.",
          query: { streams: POSTGRES, phrases: ["ERROR:"] },
        },
      );
      return explained(
        builder,
        backend,
        (width) =>
          timeSeriesPanel({
            title: "Connections",
            description: "Backends by instance (pg_stat_activity_count) and the server's max_connections (pg_settings_max_connections).",
            queries: [
              { expr: `sum by (instance) (pg_stat_activity_count{${POSTGRES}})`, legend: "{{instance}}" },
              { expr: `max by (instance) (pg_settings_max_connections{${POSTGRES}})`, legend: "{{instance}} max_connections" },
            ],
            unit: "short",
            min: 0,
            width,
          }),
        {
          title: "PostgreSQL FATAL lines",
          description: "The server's FATAL entries: 'sorry, too many clients already' while the backends near max_connections, and those of a shutdown.",
          query: { streams: POSTGRES, phrases: ["FATAL:"] },
        },
      );
    },
  },
  {
    profile: "http",
    title: "HTTP services",
    add: (builder, backend) => {
      const requests = (code: string) => `sum by (instance) (rate(http_requests_total{${HTTP}${code}}[$__rate_interval]))`;
      builder = explained(
        builder,
        backend,
        (width) =>
          timeSeriesPanel({
            title: "HTTP error rate",
            description: "Share of http_requests_total answered with a 5xx code, by instance.",
            queries: [{ expr: `${requests(', code=~"5.."')} / ${requests("")}`, legend: "{{instance}}" }],
            unit: "percentunit",
            min: 0,
            width,
          }),
        {
          title: "5xx access lines",
          description: "The access lines of the same instances with a status of 500 or more: one per request the error rate counts.",
          query: { streams: HTTP, fields: [["status", ">=", 500]] },
        },
      );
      return explained(
        builder,
        backend,
        (width) =>
          timeSeriesPanel({
            title: "HTTP latency p99",
            description: "99th percentile of http_request_duration_seconds by instance, from the histogram's buckets.",
            queries: [{ expr: `histogram_quantile(0.99, sum by (instance, le) (rate(http_request_duration_seconds_bucket{${HTTP}}[$__rate_interval])))`, legend: "{{instance}}" }],
            unit: "s",
            min: 0,
            width,
          }),
        {
          title: "Slow requests",
          description: `Access lines of the same instances whose request_time is above ${SLOW_REQUEST_SECONDS.http} s.`,
          query: { streams: HTTP, fields: [["request_time", ">", SLOW_REQUEST_SECONDS.http]] },
        },
      );
    },
  },
];
