/** From a host's `exporter` spec to the running exporter of its profile. */
import type { BuildEnv } from "../generators/types";
import { ExporterSeries } from "./exporter";
import { resolveLayout } from "./node/layout";
import { NODE_FAMILIES, NodeExporter } from "./node/profile";
import type { ExporterSpec } from "./schema";
import type { ExporterRuntime } from "./types";

export function createExporter(spec: ExporterSpec, hostName: string, env: BuildEnv, epochMs: number): ExporterRuntime {
  switch (spec.profile) {
    case "node":
      return new NodeExporter(spec, hostName, env, epochMs);
  }
}

/** Series one host of this exporter spec exposes (for size estimates; the layout fixes it). */
export function exporterSeriesPerHost(spec: ExporterSpec): number {
  switch (spec.profile) {
    case "node":
      return new ExporterSeries(NODE_FAMILIES, resolveLayout(spec.layout, "estimate")).seriesCount;
  }
}
