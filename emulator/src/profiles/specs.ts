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

/** What every profile's spec holds; the profiles differ only in their layout, drivers and faults. */
interface ProfileSpecOf<Profile extends string, Layout, ProfileDrivers, Fault> {
  readonly profile: Profile;
  readonly port: number;
  readonly layout: Layout;
  readonly drivers: ProfileDrivers;
  readonly faults: readonly Fault[];
}

export type NodeProfileSpec = ProfileSpecOf<"node", ParsedLayout, Partial<Record<keyof Drivers, GeneratorSpec>>, FaultSpec>;
export type PostgresProfileSpec = ProfileSpecOf<"postgres", PgParsedLayout, Partial<Record<keyof PgDrivers, GeneratorSpec>>, PgFaultSpec>;
export type HttpProfileSpec = ProfileSpecOf<"http", HttpLayout, { load?: GeneratorSpec }, HttpFaultSpec>;

export type ExporterSpec = NodeProfileSpec | PostgresProfileSpec | HttpProfileSpec;
