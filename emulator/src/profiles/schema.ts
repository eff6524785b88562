/**
 * The `exporter` key of a host (or role) in a scenario: which exporter profile it runs, on which
 * port (its `instance` is `<host>:<port>`), its layout, latent drivers and faults. Built with the
 * scenario's own generator schema (passed in: the scenario schema imports this file).
 */
import { z } from "zod";
import type { GeneratorSpec } from "../model/specs";
import { httpFaultSchema, httpLayoutSchema } from "./http/layout";
import { faultSchema } from "./node/faults";
import { layoutInput } from "./node/layout";
import { pgFaultSchema } from "./postgres/faults";
import { pgLayoutSchema } from "./postgres/layout";
import type { ExporterSpec } from "./specs";

export const PROFILES = ["node", "postgres", "http"] as const;

export function exporterSchema(generator: z.ZodType<GeneratorSpec>) {
  const node = z
    .object({
      profile: z.literal("node"),
      port: z.number().int().min(1).max(65535).default(9100),
      layout: layoutInput.prefault({}),
      drivers: z.object({ cpu: generator.optional(), memory: generator.optional(), io: generator.optional(), network: generator.optional() }).strict().default({}),
      faults: z.array(faultSchema).default([]),
    })
    .strict();
  const postgres = z
    .object({
      profile: z.literal("postgres"),
      port: z.number().int().min(1).max(65535).default(9187),
      layout: pgLayoutSchema.prefault({}),
      drivers: z.object({ load: generator.optional(), writes: generator.optional() }).strict().default({}),
      faults: z.array(pgFaultSchema).default([]),
    })
    .strict();
  const http = z
    .object({
      profile: z.literal("http"),
      port: z.number().int().min(1).max(65535).default(8080),
      layout: httpLayoutSchema.prefault({}),
      drivers: z.object({ load: generator.optional() }).strict().default({}),
      faults: z.array(httpFaultSchema).default([]),
    })
    .strict();
  return z.discriminatedUnion("profile", [node, postgres, http], { error: `must be an exporter profile: ${PROFILES.join(", ")}` }) as unknown as z.ZodType<ExporterSpec>;
}
