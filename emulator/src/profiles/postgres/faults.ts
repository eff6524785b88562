/**
 * Faults of a PostgreSQL host as data, like the node profile's: what goes wrong, when, for how long,
 * on which part (a database, a table, a setting, a slot), and the alert names it should trigger.
 * At each tick the active faults fold into one Effects object the model reads.
 */
import { z } from "zod";
import { FaultSchedule, checkFaultTiming, faultAlerts, faultFields, faultLevel, faultTarget } from "../fault-schedule";

export const PG_FAULT_KINDS = {
  down: "the server stops answering (pg_up 0, the exporter reports a scrape error); when it comes back (after `for`) it has restarted",
  restart: "the server crashes and restarts at once: a new postmaster start time, cumulative statistics from 0",
  too_many_connections: "client connections climb until every slot but the superusers' reserve is taken (new clients are refused), or to `level` of those slots, over `ramp`",
  connections_lost: "the application of a database (`target`, default the first) loses its pool: 1 connection, almost no transactions",
  deadlocks: "`level` (0.5) deadlocks per second in a database",
  rollback_rate: "`level` (0.1) of the transactions of a database roll back",
  replication_lag: "a replica falls `level` (120) seconds behind its primary over `ramp`",
  dead_tuples: "autovacuum cannot clean a table (`target`, default the first): dead tuples pile up to `level` (0.3) of the live ones",
  config_change: "a setting (`target`, default work_mem) changes to `level` (2) times its value",
  exporter_error: "one of the exporter's queries fails at every scrape (pg_exporter_last_scrape_error 1)",
  slot_inactive: "a replication slot (`target`, default the first) loses its consumer and stays inactive",
} as const;

export type PgFaultKind = keyof typeof PG_FAULT_KINDS;

export const pgFaultSchema = z
  .object({
    ...faultFields(PG_FAULT_KINDS),
    alerts: faultAlerts,
  })
  .strict()
  .superRefine(checkFaultTiming);

export type PgFaultSpec = z.output<typeof pgFaultSchema>;

export interface PgEffects {
  down: boolean;
  /** Scenario time (ms) of the last restart a fault caused so far, if any. */
  restartedAt?: number;
  connections?: number;
  lostPool: Set<string>;
  deadlocks: Map<string, number>;
  rollback: Map<string, number>;
  lag?: number;
  deadTuples: Map<string, number>;
  settings: Map<string, number>;
  exporterError: boolean;
  inactiveSlots: Set<string>;
}

const LEVELS: Partial<Record<PgFaultKind, number>> = {
  too_many_connections: 1,
  deadlocks: 0.5,
  rollback_rate: 0.1,
  replication_lag: 120,
  dead_tuples: 0.3,
  config_change: 2,
};

export interface PgPartNames {
  databases: string[];
  tables: string[];
  slots: string[];
}

/** The effects of the faults active at time t (ms). */
export function pgEffectsAt(faults: readonly PgFaultSpec[], t: number, parts: PgPartNames, schedule: FaultSchedule = new FaultSchedule(faults)): PgEffects {
  const fx: PgEffects = {
    down: false,
    lostPool: new Set(),
    deadlocks: new Map(),
    rollback: new Map(),
    deadTuples: new Map(),
    settings: new Map(),
    exporterError: false,
    inactiveSlots: new Set(),
  };
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i];
    if (!schedule.started(i, t)) continue;
    const end = schedule.end(i);
    // A stop ends with a start: the server that comes back has restarted.
    if (f.fault === "down" && t >= end) fx.restartedAt = Math.max(fx.restartedAt ?? 0, end);
    if (f.fault === "restart") fx.restartedAt = Math.max(fx.restartedAt ?? 0, schedule.start(i));
    if (t >= end) continue;
    const level = faultLevel(f, LEVELS);
    const grown = schedule.growth(i, t);
    const pick = (names: string[]) => faultTarget(f, names);
    switch (f.fault) {
      case "down":
        fx.down = true;
        break;
      case "too_many_connections":
        fx.connections = level * grown;
        break;
      case "connections_lost":
        fx.lostPool.add(pick(parts.databases));
        break;
      case "deadlocks":
        fx.deadlocks.set(pick(parts.databases), level);
        break;
      case "rollback_rate":
        fx.rollback.set(pick(parts.databases), level);
        break;
      case "replication_lag":
        fx.lag = level * grown;
        break;
      case "dead_tuples":
        fx.deadTuples.set(pick(parts.tables), level);
        break;
      case "config_change":
        fx.settings.set(f.target ?? "work_mem_bytes", level);
        break;
      case "exporter_error":
        fx.exporterError = true;
        break;
      case "slot_inactive":
        fx.inactiveSlots.add(pick(parts.slots));
        break;
    }
  }
  return fx;
}
