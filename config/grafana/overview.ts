/**
 * The main dashboard: the emulated workload. The seed's panels (CPU, memory, heavy task, hosts by role,
 * database connections, network throughput) plus the Python emulator's (disk, IO, GPU, latency, packet
 * loss, request latency), filtered by the job, role and host variables.
 */
/// <reference path="./sdk-modules.d.ts" />
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import type { Settings } from "../settings";
import { logsPanel, numberPanels, promemuDashboard, pieChartPanel, quantileQueries, queryVariable, row, statPanel, thresholds, type TimeSeriesSpec, timeSeriesPanel } from "./panels";

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

export function overviewDashboard(settings: Settings): dashboard.Dashboard {
  const { cpuHigh, cpuCritical, memoryHigh } = settings.alerts;
  const builder = promemuDashboard(
    "promemu: emulated hosts",
    MAIN_DASHBOARD_UID,
    "The emulated workload: per-host resources, the balancer's heavy task and its peaks, requests and the database.",
  )
    .withVariable(queryVariable("job", "Job", `label_values(${ANCHOR}, job)`))
    .withVariable(queryVariable("role", "Role", `label_values(${ANCHOR}{job=~"$job"}, role)`))
    .withVariable(queryVariable("host", "Host", `label_values(${ANCHOR}{job=~"$job", role=~"$role"}, host)`))

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
    .withPanel(perHostPanel("Database connections", "db_connections", "Open connections of each database host (db_connections).", "short", { width: 12 }))

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
    )
    .withPanel(
      timeSeriesPanel({
        title: "Request latency",
        description: "Quantiles of http_request_duration_seconds over every selected host, from the histogram's buckets.",
        queries: quantileQueries(select("http_request_duration_seconds_bucket")),
        unit: "s",
        min: 0,
        width: 24,
      }),
    )
    ;
  const built = (settings.logs.enabled ? withLogPanels(builder, settings.logs.backend) : builder).build();
  return numberPanels(built);
}

/**
 * The hosts' logs (docs/logs.md), filtered by the same host variable: their error lines beside the request rate and
 * latency above them, and every line of the selected hosts. Loki refuses a selector whose every matcher may match the
 * empty string (`{host=~".*"}` with "All"), hence `job=~".+"` there.
 */
function withLogPanels(builder: dashboard.DashboardBuilder, backend: "victorialogs" | "loki"): dashboard.DashboardBuilder {
  const errors =
    backend === "loki"
      ? '{job=~".+", host=~"$host"} |~ "(?i)(error|fatal|panic|out of memory|\\" 5[0-9]{2} )"'
      : '{host=~"$host"} (status:>=500 or i(error) or i(fatal) or i(panic) or i("out of memory"))';
  const all = backend === "loki" ? '{job=~".+", host=~"$host"}' : '{host=~"$host"}';
  return builder
    .withRow(row("Logs"))
    .withPanel(
      logsPanel({
      title: "Error lines",
      description:
        "Lines of the selected hosts that tell of a failure: 5xx access-log lines (the requests counted as errors above), ERROR and FATAL from PostgreSQL, kernel OOM kills, failed units.",
      backend,
        expr: errors,
        width: 12,
      }),
    )
    .withPanel(logsPanel({ title: "Logs of the selected hosts", description: "Every line the selected hosts wrote, newest first.", backend, expr: all, width: 12 }));
}
