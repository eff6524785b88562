/**
 * The compiled scenario: what the engine runs. Produced by scenario/compile.ts from a validated
 * scenario file; every host is expanded and every cross-reference already checked.
 */
import type { LogSourceSpec } from "../logs/schema";
import type { ExporterSpec } from "../profiles/specs";
import type { EventFilter, GeneratorSpec, MetricSpec, TickSpec } from "./specs";

export type MetricType = "gauge" | "counter" | "histogram";

/** A metric name across all hosts: one type and one help text everywhere. */
export interface Family {
  readonly index: number;
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
}

export interface MetricDef {
  readonly name: string;
  readonly spec: MetricSpec;
  readonly family: Family;
  /** Where the definition sits in the scenario file, for messages. */
  readonly path: ReadonlyArray<PropertyKey>;
}

/** What every host of one `hosts[]` entry shares; metrics are in evaluation order (sources before derived). */
export interface HostShape {
  readonly role: string;
  readonly metrics: readonly MetricDef[];
  readonly load?: GeneratorSpec;
  readonly tick: TickSpec;
  readonly delay: number;
  readonly ttl?: number;
  readonly startOn?: EventFilter;
  readonly stopOn?: EventFilter;
  /** An exporter profile the hosts run, served at /hosts/<host>/metrics (docs/exporter-profiles.md). */
  readonly exporter?: ExporterSpec;
  /** Log files the hosts write, each agreeing with their metrics (docs/logs.md). */
  readonly logs?: readonly LogSourceSpec[];
}

export interface HostDef {
  readonly name: string;
  readonly ordinal: number;
  /** Label pairs in exposition order: host, role, address, [fqdn], then the scenario's, role's and host's own. */
  readonly labels: ReadonlyArray<readonly [string, string]>;
  readonly shape: HostShape;
}

export interface CompiledScenario {
  readonly name: string;
  readonly description: string;
  readonly source: string;
  /** Hours since midnight at scenario time 0 (the diurnal generator's clock). */
  readonly timeOfDay: number;
  readonly families: readonly Family[];
  readonly hosts: readonly HostDef[];
  /**
   * Hosts played but never shown (a shard's process, --shard k/n: the fleet's other hosts): their events (a balancer's
   * peak_start, host_started, ...) reach the shown hosts as in one process, so each host has the values it has there.
   */
  readonly backgroundHosts?: readonly HostDef[];
}
