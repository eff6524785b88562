/**
 * What the exporter profiles' faults share: the fields of a fault in a scenario (its kind, when it
 * starts, for how long, its ramp, its target part and level, the alerts it should trigger) and how
 * a fault plays out in time (active from `at` for `for`, grown in over `ramp`).
 */
import { z } from "zod";
import { DURATION_HINT, parseDuration } from "../util/duration";

/** A duration as a scenario spells it ("90s", "2h"), in ms. */
export const faultDuration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `must be ${DURATION_HINT}, not "${text}"` });
    return z.NEVER;
  }
  return ms;
});

/** The fields every profile's fault has, but `alerts` (see faultAlerts), for a profile's kinds of fault. */
export function faultFields<K extends string>(kinds: Record<K, string>) {
  const names = Object.keys(kinds) as [K, ...K[]];
  return {
    fault: z.enum(names, { error: `must be a fault: ${names.join(", ")}` }),
    at: faultDuration,
    for: faultDuration.optional(),
    ramp: faultDuration.optional(),
    /** The part affected (a mountpoint, a database, a route, ...). Default: the profile's first. */
    target: z.string().optional(),
    level: z.number().optional(),
  };
}

/** Alert names a fault should trigger (and only these, on its host). */
export const faultAlerts = z.array(z.string()).default([]);

/** The timing and target of a parsed fault, whatever its profile. */
export interface ScheduledFault<K extends string = string> {
  fault: K;
  at: number;
  for?: number;
  ramp?: number;
  target?: string;
  level?: number;
}

/** Scenario time (ms) at which the fault ends; Infinity when it lasts. */
export function faultEnd(f: ScheduledFault): number {
  return f.for === undefined ? Infinity : f.at + f.for;
}

/** Whether the fault is on at time t (ms): from `at`, for `for`. */
export function faultActive(f: ScheduledFault, t: number): boolean {
  return t >= f.at && t < faultEnd(f);
}

/** How far the fault has grown in at time t (ms): 0 to 1 over its ramp, 1 at once without one. */
export function faultGrowth(f: ScheduledFault, t: number): number {
  return f.ramp ? Math.min(1, (t - f.at) / f.ramp) : 1;
}

/** The fault's level: its own, else its kind's default, else 1. */
export function faultLevel<K extends string>(f: ScheduledFault<K>, defaults: Partial<Record<K, number>>): number {
  return f.level ?? defaults[f.fault] ?? 1;
}

/** The part a fault hits: its target, else the first of the host's parts of that sort. */
export function faultTarget(f: ScheduledFault, names: readonly string[]): string {
  return f.target ?? names[0] ?? "";
}
