/**
 * The main dashboard: the emulated workload. The seed's panels (CPU, memory, heavy task, hosts by role,
 * database connections, network throughput) plus the Python emulator's (disk, IO, GPU, latency, packet
 * loss, request latency), filtered by the job, role and host variables.
 */
/// <reference path="./sdk-modules.d.ts" />
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import type { Settings } from "../settings";
import { numberPanels, pieChartPanel, queryVariable, row, statPanel, thresholds, timeSeriesPanel } from "./panels";

export const MAIN_DASHBOARD_UID = "promemu-overview";

/** Every emulated series carries these labels; the variables narrow each of them. */
const FILTER = 'job=~"$job", role=~"$role", host=~"$host"';
const select = (metric: string) => `${metric}{${FILTER}}`;
const perHostRate = (counter: string) => `sum by (host) (rate(${select(counter)}[$__rate_interval]))`;
const latencyQuantile = (q: number) =>
  `histogram_quantile(${q}, sum by (le) (rate(${select("http_request_duration_seconds_bucket")}[$__rate_interval])))`;

/** host_uptime_seconds exists for every emulated host, whatever its role, so it anchors the variables. */
const ANCHOR = "host_uptime_seconds";

export function overviewDashboard(settings: Settings): dashboard.Dashboard {
  const { cpuHigh, cpuCritical, memoryHigh } = settings.alerts;
  const built = new dashboard.DashboardBuilder("promemu: emulated hosts")
    .uid(MAIN_DASHBOARD_UID)
    .description("The emulated workload: per-host resources, the balancer's heavy task and its peaks, requests and the database.")
    .tags(["promemu"])
    .refresh("30s")
    .time({ from: "now-30m", to: "now" })
    .timezone("browser")
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .readonly()
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
    .withPanel(
      timeSeriesPanel({
        title: "Database connections",
        description: "Open connections of each database host (db_connections).",
        queries: [{ expr: select("db_connections"), legend: "{{host}}" }],
        unit: "short",
        width: 12,
      }),
    )

    .withRow(row("CPU and memory"))
    .withPanel(
      timeSeriesPanel({
        title: "CPU usage by host",
        description: `cpu_usage_percent. Dashed lines: HighCPUUsage (> ${cpuHigh.threshold}% for ${cpuHigh.for}) and CriticalCPUUsage (> ${cpuCritical.threshold}% for ${cpuCritical.for}).`,
        queries: [{ expr: select("cpu_usage_percent"), legend: "{{host}}" }],
        unit: "percent",
        min: 0,
        max: 100,
        width: 12,
        thresholdLines: [
          [cpuHigh.threshold, "orange"],
          [cpuCritical.threshold, "red"],
        ],
      }),
    )
    .withPanel(
      timeSeriesPanel({
        title: "Memory usage by host",
        description: `memory_usage_percent. Dashed line: HighMemoryUsage (> ${memoryHigh.threshold}% for ${memoryHigh.for}).`,
        queries: [{ expr: select("memory_usage_percent"), legend: "{{host}}" }],
        unit: "percent",
        min: 0,
        max: 100,
        width: 12,
        thresholdLines: [[memoryHigh.threshold, "orange"]],
      }),
    )

    .withRow(row("Disk and network"))
    .withPanel(
      timeSeriesPanel({
        title: "Disk usage",
        description: "disk_usage_percent of each host.",
        queries: [{ expr: select("disk_usage_percent"), legend: "{{host}}" }],
        unit: "percent",
        min: 0,
        max: 100,
        width: 8,
      }),
    )
    .withPanel(
      timeSeriesPanel({
        title: "Disk IO utilisation",
        description: "disk_io_util_percent: share of time the disk was busy.",
        queries: [{ expr: select("disk_io_util_percent"), legend: "{{host}}" }],
        unit: "percent",
        min: 0,
        max: 100,
        width: 8,
      }),
    )
    .withPanel(
      timeSeriesPanel({
        title: "Disk IO operations",
        description: "disk_io_ops_per_second of each host.",
        queries: [{ expr: select("disk_io_ops_per_second"), legend: "{{host}}" }],
        unit: "iops",
        width: 8,
      }),
    )
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
    .withPanel(
      timeSeriesPanel({
        title: "Network latency",
        description: "network_latency_seconds of each host.",
        queries: [{ expr: select("network_latency_seconds"), legend: "{{host}}" }],
        unit: "s",
        width: 8,
      }),
    )
    .withPanel(
      timeSeriesPanel({
        title: "Packet loss",
        description: "network_packet_loss_percent of each host.",
        queries: [{ expr: select("network_packet_loss_percent"), legend: "{{host}}" }],
        unit: "percent",
        min: 0,
        width: 8,
      }),
    )

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
    .withPanel(
      timeSeriesPanel({
        title: "Worker processes",
        description: "workers_count: processes each worker host runs.",
        queries: [{ expr: select("workers_count"), legend: "{{host}}" }],
        unit: "short",
        min: 0,
        width: 8,
      }),
    )
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
        queries: [
          { expr: latencyQuantile(0.5), legend: "p50" },
          { expr: latencyQuantile(0.95), legend: "p95" },
          { expr: latencyQuantile(0.99), legend: "p99" },
        ],
        unit: "s",
        min: 0,
        width: 24,
      }),
    )
    .build();
  return numberPanels(built);
}
