/**
 * From a host's `logs` key to its streams (once per host: their labels are those of the host's
 * metrics) and to its running log sources (once per run of the host, like its series).
 */
import type { HostDef } from "../model/types";
import { AccessLog } from "./access";
import { EventsLog } from "./events";
import { PostgresLog } from "./postgres";
import type { LogSourceSpec } from "./schema";
import type { LogHost } from "./source-kit";
import { NodeSyslog } from "./syslog";
import type { HostLogSource, LogStream } from "./types";
import type { MetricDef } from "../model/types";

/** The `service_name` label of each source: the program that writes the log. */
function serviceName(spec: LogSourceSpec, role: string): string {
  switch (spec.source) {
    case "access":
      return "nginx";
    case "syslog":
      return "syslog";
    case "postgres":
      return "postgresql";
    case "events":
      return spec.app ?? role;
  }
}

/**
 * A host's streams, numbered from `firstIndex`. Labels: `job` (the exporter's profile, as Prometheus
 * scrapes it, else `plainJob`), `instance` (exporter hosts: `<host>:<port>`), `host`, `role`, `service_name`.
 */
export function hostStreams(def: HostDef, plainJob: string, firstIndex: number): LogStream[] {
  const logs = def.shape.logs ?? [];
  const exporter = def.shape.exporter;
  return logs.map((spec, i) => ({
    index: firstIndex + i,
    host: def.name,
    source: spec.source,
    labels: [
      ["job", exporter ? exporter.profile : plainJob],
      ...(exporter ? [["instance", `${def.name}:${exporter.port}`] as const] : []),
      ["host", def.name],
      ["role", def.shape.role],
      ["service_name", serviceName(spec, def.shape.role)],
    ],
  }));
}

/** The sources of one run of a host, in the order of its `logs` list (one per stream). */
export function createLogSources(specs: readonly LogSourceSpec[], hosts: readonly LogHost[], metricDef: (name: string) => MetricDef | undefined): HostLogSource[] {
  return specs.map((spec, i) => {
    const host = hosts[i];
    switch (spec.source) {
      case "access":
        return new AccessLog(spec, host, metricDef);
      case "syslog":
        return new NodeSyslog(host);
      case "postgres":
        return new PostgresLog(host);
      case "events":
        return new EventsLog(spec, host);
    }
  });
}
