/**
 * An instrumented HTTP service as data: its routes (method, route template, share of the traffic,
 * median latency, the share of requests a client gets wrong), the peak request rate and the
 * latency histogram's bucket bounds; and its faults (errors, latency, both, down).
 */
import { z } from "zod";
import { FaultSchedule, checkFaultTiming, faultAlerts, faultFields } from "../fault-schedule";

const route = z
  .object({
    method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]).default("GET"),
    route: z.string().startsWith("/", "must be a route template such as /api/orders/:id"),
    share: z.number().positive().default(1),
    /** Median latency in seconds. */
    latency: z.number().positive().default(0.03),
    /** Share of requests answered 4xx (the client's fault). */
    clientErrors: z.number().min(0).max(1).default(0.005),
    /** Share of requests answered 5xx in calm operation. */
    errors: z.number().min(0).max(1).default(0.0002),
  })
  .strict();

export const httpLayoutSchema = z
  .object({
    routes: z
      .array(route)
      .min(1)
      .prefault([
        { method: "GET", route: "/api/orders", share: 4, latency: 0.025 },
        { method: "GET", route: "/api/orders/:id", share: 6, latency: 0.012 },
        { method: "POST", route: "/api/orders", share: 1, latency: 0.06 },
        { method: "GET", route: "/api/products", share: 5, latency: 0.018 },
        { method: "GET", route: "/healthz", share: 1, latency: 0.002, clientErrors: 0 },
      ]),
    /** Requests per second at full load. */
    peakRps: z.number().positive().default(400),
    buckets: z.array(z.number().positive()).min(1).default([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
    /** Spread of the log-normal latency (sigma of its logarithm). */
    spread: z.number().positive().default(0.6),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.buckets.some((b, i) => i > 0 && b <= v.buckets[i - 1])) ctx.addIssue({ code: "custom", path: ["buckets"], message: "must be increasing" });
    const seen = new Set<string>();
    v.routes.forEach((r, i) => {
      const key = `${r.method} ${r.route}`;
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["routes", i], message: `${key} is listed twice` });
      seen.add(key);
    });
  });

export type HttpLayout = z.output<typeof httpLayoutSchema>;
export type HttpRoute = z.output<typeof route>;

export const HTTP_FAULT_KINDS = {
  errors: "`level` (0.1) of the requests of a route (`target`: its route template; default all) fail with 500",
  latency: "requests of a route (default all) take `level` (10) times as long",
  degraded: "both: `level` (0.1) of the requests fail and the rest take 10 times as long",
  down: "the service stops answering its scrape (up 0) for `for`; its counters start from 0 when it is back",
} as const;
export type HttpFaultKind = keyof typeof HTTP_FAULT_KINDS;

export const httpFaultSchema = z
  .object({
    ...faultFields(HTTP_FAULT_KINDS),
    alerts: faultAlerts,
  })
  .strict()
  .superRefine(checkFaultTiming);
export type HttpFaultSpec = z.output<typeof httpFaultSchema>;

export interface HttpEffects {
  down: boolean;
  /** Per route index: share of 5xx, latency factor. */
  errors: Map<number, number>;
  slow: Map<number, number>;
}

/** The effects of the faults active at time t (ms). */
export function httpEffectsAt(faults: readonly HttpFaultSpec[], t: number, routes: readonly HttpRoute[], schedule: FaultSchedule = new FaultSchedule(faults)): HttpEffects {
  const fx: HttpEffects = { down: false, errors: new Map(), slow: new Map() };
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i];
    if (!schedule.active(i, t)) continue;
    const grown = schedule.growth(i, t);
    const hit = routes.map((r, i) => [r, i] as const).filter(([r]) => f.target === undefined || r.route === f.target || `${r.method} ${r.route}` === f.target);
    for (const [, i] of hit) {
      if (f.fault === "errors" || f.fault === "degraded") fx.errors.set(i, Math.max(fx.errors.get(i) ?? 0, (f.level ?? 0.1) * grown));
      if (f.fault === "latency") fx.slow.set(i, Math.max(fx.slow.get(i) ?? 1, 1 + ((f.level ?? 10) - 1) * grown));
      if (f.fault === "degraded") fx.slow.set(i, Math.max(fx.slow.get(i) ?? 1, 1 + 9 * grown));
    }
    if (f.fault === "down") fx.down = true;
  }
  return fx;
}
