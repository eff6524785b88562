/**
 * A host's `exporter` key as the scenario schema hands it on (profiles/schema.ts parses it): which
 * profile, on which port, with which layout, drivers and faults. Types only, so that the compiled
 * scenario (model/types.ts) and the log sources can name them without importing the profiles' runtime.
 */
import type { GeneratorSpec } from "../model/specs";
import type { HttpFaultSpec, HttpLayout } from "./http/layout";
import type { FaultSpec } from "./node/faults";
import type { ParsedLayout } from "./node/layout";
import type { Drivers } from "./node/model";
import type { PgFaultSpec } from "./postgres/faults";
import type { PgParsedLayout } from "./postgres/layout";
import type { PgDrivers } from "./postgres/model";

export interface NodeProfileSpec {
  readonly profile: "node";
  readonly port: number;
  readonly layout: ParsedLayout;
  readonly drivers: Partial<Record<keyof Drivers, GeneratorSpec>>;
  readonly faults: readonly FaultSpec[];
}

export interface PostgresProfileSpec {
  readonly profile: "postgres";
  readonly port: number;
  readonly layout: PgParsedLayout;
  readonly drivers: Partial<Record<keyof PgDrivers, GeneratorSpec>>;
  readonly faults: readonly PgFaultSpec[];
}

export interface HttpProfileSpec {
  readonly profile: "http";
  readonly port: number;
  readonly layout: HttpLayout;
  readonly drivers: { load?: GeneratorSpec };
  readonly faults: readonly HttpFaultSpec[];
}

export type ExporterSpec = NodeProfileSpec | PostgresProfileSpec | HttpProfileSpec;
