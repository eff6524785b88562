/** A small fleet with logs, played on the engine's injected clock, for the log tests. */
import { Engine } from "../../emulator/src/engine/engine";
import { LogBuffer } from "../../emulator/src/logs/buffer";
import type { LogStream } from "../../emulator/src/logs/types";
import { parseScenario } from "../../emulator/src/scenario/loader";
import type { LokiEncoding } from "../../emulator/src/sinks/loki/push";
import { lokiPushSink } from "../../emulator/src/sinks/loki/sink";
import type { RemoteWriteQueue } from "../../emulator/src/sinks/remote-write/queue";
import { eventually } from "../support/servers";

/** Faults at 5m, ticks every 15 s (no jitter): tick times are multiples of 15 s. */
export const LOG_FLEET = `
name: log-fleet
timeOfDay: "10:00"
tick: {interval: 15s, jitter: 0s}
roles:
  node: {exporter: {profile: node, layout: small}, logs: [{source: syslog}]}
  postgres: {exporter: {profile: postgres}, logs: [{source: postgres}]}
  api: {exporter: {profile: http}, logs: [{source: access, format: json}]}
hosts:
  - {name: calm-01, role: node}
  - name: memory-pressure-01
    role: node
    exporter: {profile: node, layout: small, faults: [{fault: memory_pressure, at: 5m, for: 20m}]}
  - name: unit-crashloop-01
    role: node
    exporter: {profile: node, layout: small, faults: [{fault: unit_crashloop, at: 5m, for: 10m, target: backup.service}]}
  - name: fs-readonly-01
    role: node
    exporter: {profile: node, layout: small, faults: [{fault: fs_readonly, at: 5m, for: 10m, target: /var}]}
  - name: reboot-01
    role: node
    exporter: {profile: node, layout: small, faults: [{fault: reboot, at: 5m, for: 3m}]}
  - name: pg-deadlocks-01
    role: postgres
    exporter: {profile: postgres, faults: [{fault: deadlocks, at: 5m, for: 20m}]}
  - name: pg-restart-01
    role: postgres
    exporter: {profile: postgres, faults: [{fault: restart, at: 5m}]}
  - name: pg-down-01
    role: postgres
    exporter: {profile: postgres, faults: [{fault: down, at: 5m, for: 4m}]}
  - {name: api-calm-01, role: api, exporter: {profile: http, layout: {peakRps: 40}}}
  - name: api-degraded-01
    role: api
    exporter: {profile: http, layout: {peakRps: 40}, faults: [{fault: degraded, at: 5m, for: 20m}]}
`;

export interface Line {
  stream: LogStream;
  t: number;
  line: string;
}

export function logFleet(options: { seed?: number; epochMs?: number; yaml?: string } = {}) {
  const { scenario } = parseScenario(options.yaml ?? LOG_FLEET, "log-fleet.yaml", "log-fleet");
  const lines: Line[] = [];
  const buffer = new LogBuffer();
  const engine = new Engine(scenario, {
    seed: options.seed ?? 42,
    epochMs: options.epochMs,
    logs: { sink: { write: (stream, t, line) => (lines.push({ stream, t, line }), buffer.write(stream, t, line)) } },
  });
  const exporter = (host: string) => engine.hosts.find((h) => h.name === host)!.exporter!;
  /** Sum of a counter's series matching the labels on one host's exporter. */
  const counter = (host: string, name: string, labels: Record<string, string>[]) => labels.reduce((sum, l) => sum + (exporter(host).valueOf(name, l) ?? 0), 0);
  const of = (host: string, from = -Infinity, to = Infinity) => lines.filter((l) => l.stream.host === host && l.t > from && l.t <= to);
  return { engine, lines, buffer, exporter, counter, of };
}

/** The http profile's default routes, as label sets of http_requests_total with code 500. */
export const ROUTES_500 = [
  { method: "GET", route: "/api/orders" },
  { method: "GET", route: "/api/orders/:id" },
  { method: "POST", route: "/api/orders" },
  { method: "GET", route: "/api/products" },
  { method: "GET", route: "/healthz" },
].map((r) => ({ ...r, code: "500" }));

/**
 * The Loki push sink as `promemu run` and `backfill` build it (emulator/src/sinks/loki/sink.ts), with a test's bounds:
 * quick retries, a queue deep enough for any fleet here. JSON unless told.
 */
export function lokiQueue(url: string, options: { encoding?: LokiEncoding; tenant?: string; log?: string[] } = {}): RemoteWriteQueue {
  const log = options.log ?? [];
  return lokiPushSink(
    { url, userAgent: "promemu-test", timeoutMs: 5000, encoding: options.encoding ?? "json", tenant: options.tenant },
    { maxPendingSamples: 10_000_000, log: (line) => log.push(line), backoff: { initialMs: 100, maxMs: 500 } },
  ).queue;
}

/** Resolves once the queue has nothing left to send. */
export async function drained(queue: RemoteWriteQueue, timeoutMs = 60_000): Promise<void> {
  await eventually(async () => (queue.pending === 0 ? true : undefined), timeoutMs, () => `${queue.pending} lines still queued`, 100);
}
