/**
 * The stack's own health: is the emulator pushing, how fast, how many series; are the scrape targets up
 * and how long their scrapes take; which alerts fire.
 */
/// <reference path="./sdk-modules.d.ts" />
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { SCRAPE_JOBS } from "../prometheus";
import { numberPanels, promemuDashboard, quantileQueries, queryVariable, row, statPanel, tablePanel, thresholds, timeSeriesPanel } from "./panels";

export const HEALTH_DASHBOARD_UID = "promemu-health";

/** The emulator's own metrics come from its /metrics endpoint, scraped under this job. */
const EMULATOR = `job="${SCRAPE_JOBS.emulator}"`;

export function healthDashboard(): dashboard.Dashboard {
  const built = promemuDashboard(
    "promemu: stack health",
    HEALTH_DASHBOARD_UID,
    "The monitoring stack itself: emulator pushes, Pushgateway groups, scrape targets and firing alerts.",
  )
    .withVariable(queryVariable("job", "Scrape job", "label_values(up, job)"))

    .withRow(row("Emulator"))
    .withPanel(
      timeSeriesPanel({
        title: "Push results",
        description: "Pushes per second to the Pushgateway by result (promemu_pushes_total).",
        queries: [{ expr: `sum by (result) (rate(promemu_pushes_total{${EMULATOR}}[$__rate_interval]))`, legend: "{{result}}" }],
        unit: "ops",
        min: 0,
        width: 8,
      }),
    )
    .withPanel(
      timeSeriesPanel({
        title: "Push latency",
        description: "Quantiles of promemu_push_duration_seconds: how long one push cycle to the Pushgateway takes.",
        queries: quantileQueries(`promemu_push_duration_seconds_bucket{${EMULATOR}}`),
        unit: "s",
        min: 0,
        width: 8,
      }),
    )
    .withPanel(
      statPanel({
        title: "Since last successful push",
        description: "Seconds since promemu_last_push_success_timestamp_seconds: it grows while pushes fail.",
        queries: [{ expr: `time() - promemu_last_push_success_timestamp_seconds{${EMULATOR}}`, legend: "{{instance}}", instant: true }],
        unit: "s",
        width: 8,
        thresholds: thresholds("green", [
          [60, "orange"],
          [300, "red"],
        ]),
      }),
    )
    .withPanel(
      timeSeriesPanel({
        title: "Emulated series and hosts",
        description: "Series in the last push cycle (promemu_series) and emulated hosts alive and in total.",
        queries: [
          { expr: `promemu_series{${EMULATOR}}`, legend: "series" },
          { expr: `promemu_hosts_active{${EMULATOR}}`, legend: "hosts active" },
          { expr: `promemu_hosts_total{${EMULATOR}}`, legend: "hosts total" },
        ],
        unit: "short",
        min: 0,
        width: 12,
      }),
    )
    .withPanel(
      timeSeriesPanel({
        title: "Pushgateway groups and series",
        description: "Groups held by the Pushgateway per pushing job (one push_time_seconds each), and series in Prometheus' head block.",
        queries: [
          { expr: "count by (job) (push_time_seconds)", legend: "{{job}} groups" },
          { expr: `prometheus_tsdb_head_series{job="${SCRAPE_JOBS.prometheus}"}`, legend: "Prometheus head series" },
        ],
        unit: "short",
        min: 0,
        width: 12,
      }),
    )

    .withRow(row("Scraping and alerts"))
    .withPanel(
      statPanel({
        title: "Targets up",
        description: "Result of each scrape target's last scrape (up).",
        queries: [{ expr: 'up{job=~"$job"}', legend: "{{job}}", instant: true }],
        width: 8,
        valueText: { "0": { text: "Down", color: "red" }, "1": { text: "Up", color: "green" } },
        thresholds: thresholds("red", [[1, "green"]]),
      }),
    )
    .withPanel(
      timeSeriesPanel({
        title: "Scrape duration",
        description: "How long each target's scrape took (scrape_duration_seconds).",
        queries: [{ expr: 'scrape_duration_seconds{job=~"$job"}', legend: "{{job}}" }],
        unit: "s",
        min: 0,
        width: 8,
      }),
    )
    .withPanel(
      timeSeriesPanel({
        title: "Samples per scrape",
        description: "Samples each target returned (scrape_samples_scraped).",
        queries: [{ expr: 'scrape_samples_scraped{job=~"$job"}', legend: "{{job}}" }],
        unit: "short",
        min: 0,
        width: 8,
      }),
    )
    .withPanel(
      tablePanel({
        title: "Firing alerts",
        description: "Alerts firing now (ALERTS), by name and severity. Empty when all is well.",
        queries: [{ expr: 'sum by (alertname, severity, component) (ALERTS{alertstate="firing"})', legend: "{{alertname}}", instant: true }],
        width: 24,
      }),
    )
    .build();
  return numberPanels(built);
}
