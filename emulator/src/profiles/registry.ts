/** From a host's `exporter` spec to the running exporter of its profile. */
import type { BuildEnv } from "../generators/types";
import { ExporterSeries } from "./exporter";
import { HttpExporter, httpSeriesPerHost } from "./http/profile";
import { resolveLayout } from "./node/layout";
import { NODE_FAMILIES, NodeExporter } from "./node/profile";
import { PostgresExporter, postgresSeriesPerHost } from "./postgres/profile";
import type { ExporterSpec } from "./specs";
import type { ExporterRuntime } from "./types";

export function createExporter(spec: ExporterSpec, hostName: string, env: BuildEnv, epochMs: number): ExporterRuntime {
  switch (spec.profile) {
    case "node":
      return new NodeExporter(spec, hostName, env, epochMs);
    case "postgres":
      return new PostgresExporter(spec, env, epochMs);
    case "http":
      return new HttpExporter(spec, env);
  }
}

/** Series one host of this exporter spec exposes (for size estimates; the layout fixes it). */
export function exporterSeriesPerHost(spec: ExporterSpec): number {
  switch (spec.profile) {
    case "node":
      return new ExporterSeries(NODE_FAMILIES, resolveLayout(spec.layout, "estimate")).seriesCount;
    case "postgres":
      return postgresSeriesPerHost(spec.layout);
    case "http":
      return httpSeriesPerHost(spec.layout);
  }
}
