/**
 * The `logs` key of a host (or role) in a scenario: which log files the host writes, each a source
 * that agrees with the host's metrics (docs/logs.md):
 *
 * - `access`: an HTTP access log (nginx `combined`, or nginx with a JSON `log_format`): on an `http`
 *   exporter host one line per request its RED metrics count (status code, latency bucket); on a
 *   host of plain metrics one line per increment of a request counter (`counter`), latencies drawn
 *   from its histogram's distribution (`histogram`).
 * - `syslog`: the kernel's and systemd's lines of a `node` exporter host's faults (OOM kills, a file
 *   system full or read-only, a unit failing or crash-looping, NIC errors, a reboot), and cron.
 * - `postgres`: PostgreSQL's own log (default `log_line_prefix = '%m [%p] '`) of a `postgres`
 *   exporter host: deadlocks, refused connections, a crash restart, a shutdown and start.
 * - `events`: an application's lines (logfmt) on scenario events, e.g. the balancer's peaks.
 */
import { z } from "zod";

const eventName = z.string().regex(/^[a-zA-Z0-9_.:-]+$/, "must be an event name (letters, digits, _ . : -)");

/** A scenario event, as the scenario's own filters: a name, or {event, source?, role?}. */
export const logEvent = z.union(
  [eventName.transform((event) => ({ event }) as LogEventFilter), z.object({ event: eventName, source: z.string().optional(), role: z.string().optional() }).strict()],
  { error: "must be an event name or {event, source?, role?}" },
);
export interface LogEventFilter {
  event: string;
  source?: string;
  role?: string;
}

const access = z
  .object({
    source: z.literal("access"),
    /** nginx's `combined` format, or `json` (nginx with a JSON log_format that has request_time). */
    format: z.enum(["combined", "json"], { error: "must be combined or json" }).default("json"),
    /** A host of plain metrics: the request counter whose increments are the lines. */
    counter: z.string().optional(),
    /** ... and the latency histogram whose distribution the lines' request_time follows. */
    histogram: z.string().optional(),
  })
  .strict();

const syslog = z.object({ source: z.literal("syslog") }).strict();
const postgres = z.object({ source: z.literal("postgres") }).strict();

const events = z
  .object({
    source: z.literal("events"),
    /** The application's name (label `service_name`); default: the host's role. */
    app: z.string().regex(/^[a-zA-Z0-9_.-]+$/).optional(),
    lines: z
      .array(
        z
          .object({
            on: logEvent,
            level: z.enum(["debug", "info", "warn", "error"]).default("info"),
            message: z.string().min(1),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

export const LOG_SOURCES = ["access", "syslog", "postgres", "events"] as const;

export const logSourceSchema = z.discriminatedUnion("source", [access, syslog, postgres, events], { error: `must be a log source: ${LOG_SOURCES.join(", ")}` });
export const logsSchema = z.array(logSourceSchema);

export type LogSourceSpec = z.output<typeof logSourceSchema>;
export type AccessLogSpec = z.output<typeof access>;
export type EventsLogSpec = z.output<typeof events>;

/** What a host offers its log sources, for the compile-time checks. */
export interface LogHostFacts {
  readonly profile?: "node" | "postgres" | "http";
  /** Its plain metrics: name -> type. */
  readonly metrics: ReadonlyMap<string, string>;
}

/** Problems of a host's log sources, as [index in the list, key, message]. */
export function checkLogs(logs: readonly LogSourceSpec[], host: LogHostFacts): [number, string | undefined, string][] {
  const problems: [number, string | undefined, string][] = [];
  const seen = new Set<string>();
  logs.forEach((spec, i) => {
    if (seen.has(spec.source)) problems.push([i, "source", `the host already has a ${spec.source} log`]);
    seen.add(spec.source);
    switch (spec.source) {
      case "access":
        if (host.profile === "http") {
          if (spec.counter || spec.histogram) problems.push([i, spec.counter ? "counter" : "histogram", "an http exporter host's access log follows its http_requests_total and latency histogram; counter and histogram are for hosts of plain metrics"]);
          break;
        }
        if (!spec.counter) {
          problems.push([i, "counter", "needs the request counter whose increments are the lines (e.g. counter: http_requests_total), or an http exporter on the host"]);
          break;
        }
        if (host.metrics.get(spec.counter) !== "counter") problems.push([i, "counter", `"${spec.counter}" is not a counter of this host (its counters: ${[...host.metrics].filter(([, t]) => t === "counter").map(([n]) => n).join(", ") || "none"})`]);
        if (spec.histogram && host.metrics.get(spec.histogram) !== "histogram") problems.push([i, "histogram", `"${spec.histogram}" is not a histogram of this host`]);
        break;
      case "syslog":
        if (host.profile !== "node") problems.push([i, "source", "a syslog follows a node exporter's faults: give the host `exporter: {profile: node}`"]);
        break;
      case "postgres":
        if (host.profile !== "postgres") problems.push([i, "source", "a postgres log follows a postgres exporter: give the host `exporter: {profile: postgres}`"]);
        break;
      case "events":
        break;
    }
  });
  return problems;
}
