/**
 * The `exporter` key of a host (or role) in a scenario: which exporter profile it runs, on which
 * port (its `instance` is `<host>:<port>`), its layout, latent drivers and faults. Built with the
 * scenario's own generator schema (passed in: the scenario schema imports this file).
 */
import { z } from "zod";
import type { GeneratorSpec } from "../scenario/schema";
import { faultSchema } from "./node/faults";
import { layoutInput } from "./node/layout";
import type { NodeProfileSpec } from "./node/profile";

export type ExporterSpec = NodeProfileSpec;

export const PROFILES = ["node"] as const;

export function exporterSchema(generator: z.ZodType<GeneratorSpec>) {
  return z
    .object({
      profile: z.literal("node", { error: `must be an exporter profile: ${PROFILES.join(", ")}` }),
      port: z.number().int().min(1).max(65535).default(9100),
      layout: layoutInput.prefault({}),
      drivers: z.object({ cpu: generator.optional(), memory: generator.optional(), io: generator.optional(), network: generator.optional() }).strict().default({}),
      faults: z.array(faultSchema).default([]),
    })
    .strict() as unknown as z.ZodType<ExporterSpec>;
}
