/**
 * The scenario file format. A scenario declares hosts (or host templates), the roles they play and
 * the metrics each one emits; every metric value comes from a composable generator. Durations are
 * converted to milliseconds here, so the rest of the program never parses text again.
 */
import { z } from "zod";
import { DURATION_HINT, parseDuration } from "../util/duration";
import { logsSchema } from "../logs/schema";
import { exporterSchema } from "../profiles/schema";
import type { EventFilter, GeneratorSpec, GeneratorType, MetricSpec } from "../model/specs";

export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const EVENT_NAME = /^[a-zA-Z0-9_.:-]+$/;

/** Labels the emulator sets itself, or that the Pushgateway and the exposition format reserve. */
export const RESERVED_LABELS = ["host", "role", "address", "fqdn", "job", "le", "quantile"];
export const RESERVED_LABEL_PREFIXES = ["__", "promemu_"];

const duration = z.string({ error: `must be ${DURATION_HINT}` }).transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `must be ${DURATION_HINT}, not "${text}"` });
    return z.NEVER;
  }
  return ms;
});
const positiveDuration = duration.refine((ms) => ms > 0, "must be longer than 0s");

/** `14:30` -> 14.5 (hours since midnight). */
const timeOfDay = z
  .string({ error: "must be a time of day such as 09:00 or 14:30" })
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time of day such as 09:00 or 14:30 (24-hour clock)")
  .transform((text) => Number(text.slice(0, 2)) + Number(text.slice(3, 5)) / 60);

const num = z.number({ error: (issue) => (issue.input === undefined ? "is missing (a number)" : "must be a number") }).refine(Number.isFinite, "must be a finite number");
const eventName = z.string({ error: "must be an event name" }).regex(EVENT_NAME, "must be an event name of letters, digits and _ . : -");
const labelValue = z.union([z.string(), z.number(), z.boolean()], { error: "must be a string" }).transform(String);
/** A map whose keys must match `pattern`; a bad key is reported at its own path (zod's record key errors are not). */
function keyedMap<T extends z.ZodType>(values: T, check: (key: string) => string | undefined) {
  return z.record(z.string(), values).superRefine((map, ctx) => {
    for (const key of Object.keys(map)) {
      const problem = check(key);
      if (problem) ctx.addIssue({ code: "custom", path: [key], message: problem });
    }
  });
}

const labels = keyedMap(labelValue, (name) => {
  if (!LABEL_NAME.test(name)) return "is not a label name (letters, digits, _; not starting with a digit)";
  if (RESERVED_LABELS.includes(name) || RESERVED_LABEL_PREFIXES.some((p) => name.startsWith(p))) {
    return `is reserved: the emulator sets ${RESERVED_LABELS.slice(0, 4).join(", ")} itself, and ${RESERVED_LABELS.slice(4).join(", ")}, __* and promemu_* belong to Prometheus and the Pushgateway`;
  }
  return undefined;
});

const eventFilter = z.union(
  [
    eventName.transform((event): EventFilter => ({ event })),
    z.object({ event: eventName, source: z.string().optional(), role: z.string().optional() }).strict(),
  ],
  { error: "must be an event name or {event, source?, role?}" },
);

function minNotAboveMax(value: { min: number; max: number }, ctx: z.RefinementCtx): void {
  if (value.min > value.max) ctx.addIssue({ code: "custom", path: ["min"], message: `must be <= max (min ${value.min}, max ${value.max})` });
}

const GENERATOR_SCHEMAS = {
  constant: z.object({ type: z.literal("constant"), value: num }).strict(),
  uniform: z.object({ type: z.literal("uniform"), min: num, max: num }).strict().superRefine(minNotAboveMax),
  normal: z.object({ type: z.literal("normal"), mean: num.default(0), stddev: num.refine((v) => v >= 0, "must be >= 0") }).strict(),
  sine: z
    .object({ type: z.literal("sine"), min: num, max: num, period: positiveDuration, phase: num.default(0) })
    .strict()
    .superRefine(minNotAboveMax),
  toggle: z
    .object({
      type: z.literal("toggle"),
      period: positiveDuration,
      on: positiveDuration,
      offset: duration.default(0),
      low: num.default(0),
      high: num.default(1),
      events: z.object({ rise: eventName.optional(), fall: eventName.optional() }).strict().optional(),
    })
    .strict()
    .superRefine((v, ctx) => {
      if (v.on >= v.period) ctx.addIssue({ code: "custom", path: ["on"], message: "must be shorter than period (else the toggle never turns off)" });
    }),
  steps: z
    .object({
      type: z.literal("steps"),
      choices: z
        .array(z.object({ value: num, weight: num.refine((w) => w >= 0, "must be >= 0").default(1) }).strict(), { error: "must be a list of {value, weight}" })
        .min(1, "needs at least one choice")
        .refine((choices) => choices.some((c) => c.weight > 0), "needs at least one choice with a weight above 0"),
      hold: positiveDuration.optional(),
    })
    .strict(),
  trend: z
    .object({
      type: z.literal("trend"),
      start: num,
      min: num,
      max: num,
      direction: z.enum(["up", "down", "hold"], { error: "must be up, down or hold" }),
      rate: num.refine((v) => v >= 0, "must be >= 0").default(0),
      per: positiveDuration.default(60_000),
      noise: num.refine((v) => v >= 0, "must be >= 0").default(0),
    })
    .strict()
    .superRefine((v, ctx) => {
      minNotAboveMax(v, ctx);
      if (v.start < v.min || v.start > v.max) ctx.addIssue({ code: "custom", path: ["start"], message: `must be between min ${v.min} and max ${v.max}` });
    }),
  uptime: z.object({ type: z.literal("uptime"), offset: duration.default(0) }).strict(),
  derived: z
    .object({
      type: z.literal("derived"),
      from: z.string().regex(METRIC_NAME, "must name another metric of the same host"),
      scale: num.default(1),
      offset: num.default(0),
      percentOf: num.refine((v) => v > 0, "must be > 0").optional(),
    })
    .strict(),
  event: z
    .object({
      type: z.literal("event"),
      initial: num.default(0),
      on: z
        .array(z.object({ event: eventName, source: z.string().optional(), role: z.string().optional(), value: num }).strict(), {
          error: "must be a list of {event, value, source?, role?}",
        })
        .min(1, "needs at least one event"),
    })
    .strict(),
  switch: z
    .object({
      type: z.literal("switch"),
      get base() {
        return generator;
      },
      get generator() {
        return generator;
      },
      on: eventFilter,
      for: positiveDuration.optional(),
      until: eventFilter.optional(),
    })
    .strict()
    .superRefine((v, ctx) => {
      if (v.for === undefined && v.until === undefined) ctx.addIssue({ code: "custom", message: "needs `for` (a duration) or `until` (an event), or both" });
    }),
  ou: z
    .object({
      type: z.literal("ou"),
      mean: num,
      stddev: num.refine((v) => v >= 0, "must be >= 0"),
      reversion: positiveDuration,
      start: num.optional(),
    })
    .strict(),
  diurnal: z.object({ type: z.literal("diurnal"), min: num, max: num, peak: timeOfDay.default(14) }).strict().superRefine(minNotAboveMax),
  load: z.object({ type: z.literal("load"), min: num, max: num }).strict(),
  sum: z
    .object({
      type: z.literal("sum"),
      get of() {
        return z.array(generator, { error: "must be a list of generators" }).min(2, "needs at least two generators to add");
      },
    })
    .strict(),
} as const;

export const GENERATOR_TYPES = Object.keys(GENERATOR_SCHEMAS) as GeneratorType[];

/** A bare number is a constant; anything else is `{type: <generator>, ...}`. */
export const generator: z.ZodType<GeneratorSpec> = z.preprocess(
  (input) => (typeof input === "number" ? { type: "constant", value: input } : input),
  z.discriminatedUnion("type", Object.values(GENERATOR_SCHEMAS) as unknown as [z.ZodObject, ...z.ZodObject[]], {
    error: (issue) => {
      const input = issue.input as { type?: unknown } | undefined;
      if (input === undefined) return "is missing: give a number or a generator {type: ...}";
      if (typeof input !== "object" || input === null) return "must be a number or a generator {type: ...}";
      const known = GENERATOR_TYPES.join(", ");
      return input.type === undefined ? `needs a generator type (one of ${known})` : `unknown generator "${String(input.type)}" (known: ${known})`;
    },
  }),
) as unknown as z.ZodType<GeneratorSpec>;

const positive = num.refine((v) => v > 0, "must be > 0");
const distribution = z.discriminatedUnion(
  "type",
  [
    z.object({ type: z.literal("lognormal"), median: positive, sigma: positive }).strict(),
    z.object({ type: z.literal("normal"), mean: num, stddev: num.refine((v) => v >= 0, "must be >= 0") }).strict(),
    z.object({ type: z.literal("uniform"), min: num, max: num }).strict().superRefine(minNotAboveMax),
    z.object({ type: z.literal("exponential"), mean: positive }).strict(),
  ],
  { error: () => "must be a distribution {type: lognormal|normal|uniform|exponential, ...}" },
);

const help = z.string().optional();
const decimals = z.number().int().min(0).max(9, "must be 0-9").optional();

/** A bare number is a constant gauge; a map without `type` is a gauge. */
const metric = z.preprocess(
  (input) => {
    if (typeof input === "number") return { type: "gauge", generator: input };
    return typeof input === "object" && input !== null && !("type" in input) ? { type: "gauge", ...input } : input;
  },
  z.discriminatedUnion(
    "type",
    [
      z
        .object({ type: z.literal("gauge"), help, generator, min: num.optional(), max: num.optional(), decimals })
        .strict()
        .superRefine((v, ctx) => {
          if (v.min !== undefined && v.max !== undefined) minNotAboveMax({ min: v.min, max: v.max }, ctx);
        }),
      z.object({ type: z.literal("counter"), help, rate: generator, decimals }).strict(),
      z
        .object({
          type: z.literal("histogram"),
          help,
          buckets: z
            .array(num, { error: "must be a list of upper bounds" })
            .min(1, "needs at least one bucket")
            .refine((b) => b.every((le, i) => i === 0 || le > b[i - 1]), "must be strictly increasing"),
          observations: z.object({ rate: generator, distribution }).strict(),
        })
        .strict(),
    ],
    { error: () => "must be a metric {type: gauge|counter|histogram, ...} (type defaults to gauge)" },
  ),
) as unknown as z.ZodType<MetricSpec>;

const metrics = keyedMap(metric, (name) =>
  METRIC_NAME.test(name) ? undefined : "is not a metric name (letters, digits, _ and :, not starting with a digit)",
);

const tick = z
  .object({ interval: positiveDuration, jitter: duration.default(0) })
  .strict()
  .superRefine((v, ctx) => {
    if (v.jitter >= v.interval) ctx.addIssue({ code: "custom", path: ["jitter"], message: "must be shorter than interval" });
  });

/** An exporter profile the host runs (see docs/exporter-profiles.md). */
const exporter = exporterSchema(generator);

const role = z
  .object({ labels: labels.optional(), load: generator.optional(), tick: tick.optional(), metrics: metrics.optional(), exporter: exporter.optional(), logs: logsSchema.optional() })
  .strict();

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

const host = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.{}-]*$/, "must be a host name (letters, digits, _ . -), with {{i}} where a template numbers its hosts"),
    count: z.number().int("must be a whole number").min(0, "must be >= 0").default(1),
    start: z.number().int("must be a whole number").min(0).default(1),
    role: z.string().regex(/^[a-zA-Z0-9_-]+$/, "must be a role name (letters, digits, _ -)"),
    address: z.string().regex(IPV4, "must be an IPv4 address such as 10.0.1.1 (a template counts up from it)").optional(),
    labels: labels.optional(),
    delay: duration.default(0),
    ttl: positiveDuration.optional(),
    startOn: eventFilter.optional(),
    stopOn: eventFilter.optional(),
    tick: tick.optional(),
    load: generator.optional(),
    metrics: metrics.optional(),
    exporter: exporter.optional(),
    logs: logsSchema.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.count > 1 && !v.name.includes("{{i}}")) {
      ctx.addIssue({ code: "custom", path: ["name"], message: `must contain {{i}} when count is ${v.count} (e.g. worker-{{i}}), so that every host gets its own name` });
    }
  });

export const scenarioSchema = z
  .object({
    name: z.string().optional(),
    description: z.string().optional(),
    params: z.record(z.string(), z.unknown()).optional(),
    timeOfDay: timeOfDay.default(0),
    domain: z.string().regex(/^[a-z0-9.-]+$/, "must be a DNS domain such as sandbox.local").optional(),
    labels: labels.optional(),
    tick: tick.default({ interval: 14_500, jitter: 2_500 }),
    metrics: metrics.optional(),
    roles: z.record(z.string(), role).optional(),
    hosts: z.array(host, { error: "must be a list of hosts" }).min(1, "needs at least one host"),
  })
  .strict();

export type Scenario = z.output<typeof scenarioSchema>;
export type HostSpec = Scenario["hosts"][number];
export type RoleSpec = z.output<typeof role>;
