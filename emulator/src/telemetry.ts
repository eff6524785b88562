/**
 * The emulator's own metrics, for Prometheus to scrape on /metrics (prom-client: a few dozen series,
 * where its convenience costs nothing). The emulated series never go through prom-client.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class Telemetry {
  readonly registry = new Registry();
  readonly pushes = new Counter({
    name: "promemu_pushes_total",
    help: "Pushes to the Pushgateway (one per group and attempt), by result.",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  readonly pushDuration = new Histogram({
    name: "promemu_push_duration_seconds",
    help: "Time a push cycle took: every group pushed once, retries included.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60],
    registers: [this.registry],
  });
  readonly series = new Gauge({ name: "promemu_series", help: "Emulated series in the last push cycle (or pull).", registers: [this.registry] });
  readonly hostsActive = new Gauge({ name: "promemu_hosts_active", help: "Emulated hosts running now.", registers: [this.registry] });
  readonly hostsTotal = new Gauge({ name: "promemu_hosts_total", help: "Emulated hosts the scenario declares.", registers: [this.registry] });
  readonly lastPushSuccess = new Gauge({
    name: "promemu_last_push_success_timestamp_seconds",
    help: "Unix time of the end of the last push cycle in which every group was pushed.",
    registers: [this.registry],
  });

  readonly remoteWriteSamples = new Counter({
    name: "promemu_remote_write_samples_total",
    help: "Samples by outcome: sent (accepted), retried (in a failed attempt that will be repeated), failed (refused with a 4xx, not retried), dropped (queue overflow or shutdown).",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  readonly logLines = new Counter({
    name: "promemu_log_lines_total",
    help: "Emulated log lines pushed to Loki by outcome: sent (accepted), retried, failed (refused with a 4xx, not retried), dropped (queue overflow or shutdown).",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  readonly remoteWritePending = new Gauge({
    name: "promemu_remote_write_pending_samples",
    help: "Samples queued for remote write, not yet accepted.",
    registers: [this.registry],
  });
  readonly remoteWriteLag = new Histogram({
    name: "promemu_remote_write_lag_seconds",
    help: "Per accepted batch: seconds between its oldest sample's timestamp and its acceptance.",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  readonly remoteWriteLastLag = new Gauge({
    name: "promemu_remote_write_last_lag_seconds",
    help: "The lag of the last accepted batch.",
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    // Both results exist from the start, so rate() and alerts see a 0 rather than no series.
    this.pushes.inc({ result: "success" }, 0);
    this.pushes.inc({ result: "failure" }, 0);
    for (const result of ["sent", "retried", "failed", "dropped"]) this.remoteWriteSamples.inc({ result }, 0);
  }
}
