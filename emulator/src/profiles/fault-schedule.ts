/**
 * What the exporter profiles' faults share: the fields of a fault in a scenario (its kind, when it
 * starts, for how long, its ramp, its target part and level, the alerts it should trigger) and how
 * a fault plays out in time (active from `at` for `for`, grown in over `ramp`). A fault may start on
 * a scenario event instead (`on`, heard like any host subscription, with `source`/`role` filters),
 * and end on one (`until`); a FaultSchedule keeps each fault's window as the events arrive.
 */
import { z } from "zod";
import type { EmulatorEvent, Listener } from "../events/bus";
import type { EventFilter } from "../model/specs";
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

/** An event a fault starts or ends on: a name, or {event, source?, role?} (as the scenario's own filters). */
const faultEvent = z.union(
  [
    z
      .string()
      .regex(/^[a-zA-Z0-9_.:-]+$/)
      .transform((event): EventFilter => ({ event })),
    z.object({ event: z.string().regex(/^[a-zA-Z0-9_.:-]+$/), source: z.string().optional(), role: z.string().optional() }).strict(),
  ],
  { error: "must be an event name or {event, source?, role?}" },
);

/** The fields every profile's fault has, but `alerts` (see faultAlerts), for a profile's kinds of fault. */
export function faultFields<K extends string>(kinds: Record<K, string>) {
  const names = Object.keys(kinds) as [K, ...K[]];
  return {
    fault: z.enum(names, { error: `must be a fault: ${names.join(", ")}` }),
    /** Scenario time at which it starts; or `on`, an event. Exactly one of the two. */
    at: faultDuration.optional(),
    on: faultEvent.optional(),
    /** With `on`: an event that ends it (besides `for`, if given). */
    until: faultEvent.optional(),
    for: faultDuration.optional(),
    ramp: faultDuration.optional(),
    /** The part affected (a mountpoint, a database, a route, ...). Default: the profile's first. */
    target: z.string().optional(),
    level: z.number().optional(),
  };
}

/** The timing rules of a fault (its schema's superRefine): exactly one of `at` / `on`; `until` only with `on`. */
export function checkFaultTiming(v: { fault: string; at?: number; on?: EventFilter; until?: EventFilter }, ctx: z.RefinementCtx): void {
  if ((v.at === undefined) === (v.on === undefined)) {
    ctx.addIssue({
      code: "custom",
      message: `fault ${v.fault} needs exactly one of \`at\` (a scenario time such as 30m) or \`on\` (an event), ${v.at === undefined ? "and has neither" : "not both"}`,
    });
  }
  if (v.until !== undefined && v.on === undefined) {
    ctx.addIssue({ code: "custom", path: ["until"], message: `fault ${v.fault}: \`until\` (an event) goes with \`on\` (an event), not with \`at\`` });
  }
}

/** Alert names a fault should trigger (and only these, on its host). */
export const faultAlerts = z.array(z.string()).default([]);

/** The timing and target of a parsed fault, whatever its profile. */
export interface ScheduledFault<K extends string = string> {
  fault: K;
  /** Undefined for a fault started by an event (`on`). */
  at?: number;
  on?: EventFilter;
  until?: EventFilter;
  for?: number;
  ramp?: number;
  target?: string;
  level?: number;
}

/** Scenario time (ms) at which the fault ends; Infinity when it lasts. */
export function faultEnd(f: ScheduledFault): number {
  if (f.at === undefined) return -Infinity;
  return f.for === undefined ? Infinity : f.at + f.for;
}

/** What a FaultSchedule needs of the host: its event subscriptions (BuildEnv.subscribe). */
export interface FaultEventSource {
  subscribe(filter: EventFilter, listener: Listener, tag?: number): void;
}

/**
 * When each fault of a host's list is on: a timed fault from `at` for `for`; an event's fault from
 * the time of its `on` event (the event's own scenario time, so runs stay deterministic) for `for`,
 * and/or until an `until` event. An `on` event while the fault is on extends it (`for` counted
 * again from that event; the ramp goes on, it does not restart); after it ended, it starts afresh.
 * The windows live as long as the host's run: a restarted host forgets its event faults.
 */
export class FaultSchedule implements Listener {
  /** Per fault: start (NaN: not started) and end (Infinity: lasts). */
  private readonly starts: number[];
  private readonly ends: number[];

  constructor(
    private readonly faults: readonly ScheduledFault[],
    events?: FaultEventSource,
  ) {
    this.starts = faults.map((f) => (f.at === undefined ? NaN : f.at));
    this.ends = faults.map((f) => (f.at === undefined ? NaN : faultEnd(f)));
    if (!events) return;
    faults.forEach((f, i) => {
      if (f.on) events.subscribe(f.on, this, 2 * i);
      if (f.on && f.until) events.subscribe(f.until, this, 2 * i + 1);
    });
  }

  onEvent(event: EmulatorEvent, tag: number): void {
    const i = tag >> 1;
    const f = this.faults[i];
    const t = event.time;
    if ((tag & 1) === 0) {
      const end = f.for === undefined ? Infinity : t + f.for;
      if (this.active(i, t)) this.ends[i] = Math.max(this.ends[i], end);
      else {
        this.starts[i] = t;
        this.ends[i] = end;
      }
    } else if (this.active(i, t)) {
      this.ends[i] = t;
    }
  }

  /** Start of fault i's current (or last) window; NaN if it never started. */
  start(i: number): number {
    return this.starts[i];
  }

  /** End of fault i's current (or last) window; NaN if it never started. */
  end(i: number): number {
    return this.ends[i];
  }

  /** Whether fault i has started by time t (ms), whether or not it has ended. */
  started(i: number, t: number): boolean {
    return t >= this.starts[i];
  }

  active(i: number, t: number): boolean {
    return t >= this.starts[i] && t < this.ends[i];
  }

  growth(i: number, t: number): number {
    const ramp = this.faults[i].ramp;
    return ramp ? Math.min(1, (t - this.starts[i]) / ramp) : 1;
  }
}

/** A profile's fold of its faults active at time t (ms) into the effects its model reads. */
export type EffectsAt<F extends ScheduledFault, P, E> = (faults: readonly F[], t: number, parts: P, schedule: FaultSchedule) => E;

/**
 * A host's faults at run time: their schedule (listening to the host's events) and the profile's
 * fold of the active ones, over the host's parts. Build it after the host's generators, so that
 * the fault listeners subscribe last.
 */
export class HostFaults<F extends ScheduledFault, P, E> {
  private readonly schedule: FaultSchedule;

  constructor(
    private readonly faults: readonly F[],
    private readonly parts: P,
    private readonly effectsAt: EffectsAt<F, P, E>,
    events: FaultEventSource,
  ) {
    this.schedule = new FaultSchedule(faults, events);
  }

  /** The effects of the faults active at time t (ms). */
  at(t: number): E {
    return this.effectsAt(this.faults, t, this.parts, this.schedule);
  }
}

/** The fault's level: its own, else its kind's default, else 1. */
export function faultLevel<K extends string>(f: ScheduledFault<K>, defaults: Partial<Record<K, number>>): number {
  return f.level ?? defaults[f.fault] ?? 1;
}

/** The part a fault hits: its target, else the first of the host's parts of that sort. */
export function faultTarget(f: ScheduledFault, names: readonly string[]): string {
  return f.target ?? names[0] ?? "";
}
