/**
 * The small model behind a PostgreSQL host: two latent drivers, `load` (share of the peak
 * transaction rate) and `writes` (share of transactions that write), plus the active faults, turned
 * into one server state per tick. Every family reads it, so they agree: connections per state add
 * up to each database's backends and stay below max_connections; active connections follow
 * transactions x their duration; commits + rollbacks are the transactions; tuple, block and WAL
 * rates follow the writes; a table's dead tuples grow by its updates and deletes until autovacuum
 * (at autovacuum_vacuum_threshold + scale_factor x live tuples) clears them and stamps last_autovacuum.
 */
import type { Random } from "../../util/random";
import type { PgEffects } from "./faults";
import type { PgLayout } from "./layout";

export interface PgDrivers {
  load: number;
  writes: number;
}

/** pg_stat_activity states the exporter lists for every database, in its order. */
export const ACTIVITY_STATES = ["active", "idle", "idle in transaction", "idle in transaction (aborted)", "fastpath function call", "disabled"] as const;
/** pg_locks modes the exporter lists for every database, in its order. */
export const LOCK_MODES = ["accesssharelock", "rowsharelock", "rowexclusivelock", "shareupdateexclusivelock", "sharelock", "sharerowexclusivelock", "exclusivelock", "accessexclusivelock", "sireadlock"] as const;

/** superuser_reserved_connections (PostgreSQL's default): slots only superusers may take. */
const SUPERUSER_RESERVED = 3;
/** Average transaction duration (s): active connections = transactions/s x this (Little's law). */
const TX_SECONDS = 0.004;
const WAL_SEGMENT = 16 * 2 ** 20;
const clamp = (x: number, lo = 0, hi = 1) => (x < lo ? lo : x > hi ? hi : x);

export class PgState {
  t = 0;
  /** The emulated wall clock, seconds since the epoch. */
  now = 0;
  /** pg_postmaster_start_time_seconds. */
  startTime = 0;
  /** Scenario time (ms) of the last (re)start. */
  startedAt = 0;
  /** process_start_time_seconds of the exporter (it outlives the server's restarts). */
  exporterStart = 0;
  initialized = false;
  up = true;
  scrapeError = false;
  scrapes = 0;
  drivers: PgDrivers = { load: 0, writes: 0 };
  /** Per database (layout.datnames order). */
  readonly tps: Float64Array;
  readonly commitRate: Float64Array;
  readonly rollbackRate: Float64Array;
  readonly deadlockRate: Float64Array;
  readonly writeRate: Float64Array;
  /** Per database x state (ACTIVITY_STATES): client connections, and the longest open transaction (s). */
  readonly conns: Float64Array;
  readonly txDuration: Float64Array;
  readonly sizeBytes: Float64Array;
  /** Per database x mode (LOCK_MODES). */
  readonly locks: Float64Array;
  /** Per table of the exporter's database. */
  readonly live: Float64Array;
  readonly dead: Float64Array;
  readonly modSinceAnalyze: Float64Array;
  readonly lastAutovacuum: Float64Array;
  readonly lastAutoanalyze: Float64Array;
  readonly autovacuums: Float64Array;
  readonly autoanalyzes: Float64Array;
  readonly insRate: Float64Array;
  readonly updRate: Float64Array;
  readonly delRate: Float64Array;
  /** Replication: seconds behind (replica), WAL written (primary), per replica and per slot. */
  lag = 0;
  lastReplay = 0;
  walBytes = 0;
  walRate = 0;
  readonly slotActive: Uint8Array;
  readonly slotRetained: Float64Array;
  settings = new Map<string, number>();
  /** The layout's settings before any fault changes them (fixed by the layout: built once). */
  readonly baseSettings: ReadonlyMap<string, number>;

  constructor(readonly layout: PgLayout) {
    this.baseSettings = baseSettings(layout);
    const d = layout.datnames.length;
    this.tps = new Float64Array(d);
    this.commitRate = new Float64Array(d);
    this.rollbackRate = new Float64Array(d);
    this.deadlockRate = new Float64Array(d);
    this.writeRate = new Float64Array(d);
    this.conns = new Float64Array(d * ACTIVITY_STATES.length);
    this.txDuration = new Float64Array(d * ACTIVITY_STATES.length);
    this.sizeBytes = new Float64Array(d);
    this.locks = new Float64Array(d * LOCK_MODES.length);
    const n = layout.tables.length;
    this.live = Float64Array.from(layout.tables, (t) => t.rows);
    this.dead = new Float64Array(n);
    this.modSinceAnalyze = new Float64Array(n);
    this.lastAutovacuum = new Float64Array(n);
    this.lastAutoanalyze = new Float64Array(n);
    this.autovacuums = new Float64Array(n);
    this.autoanalyzes = new Float64Array(n);
    this.insRate = new Float64Array(n);
    this.updRate = new Float64Array(n);
    this.delRate = new Float64Array(n);
    this.slotActive = new Uint8Array(layout.slots.length);
    this.slotRetained = new Float64Array(layout.slots.length);
  }

  get isReplica(): boolean {
    return this.layout.role === "replica";
  }

  /** pg_stat_database_numbackends: a database's connections, plus the exporter's own on its database. */
  backends(db: number): number {
    let sum = this.layout.datnames[db] === this.layout.dsnDatabase ? 1 : 0;
    for (let s = 0; s < ACTIVITY_STATES.length; s++) sum += this.conns[db * ACTIVITY_STATES.length + s];
    return sum;
  }

  /** After a crash the cumulative statistics start again: vacuum and analyze times are unknown (0). */
  crashReset(): void {
    this.autovacuums.fill(0);
    this.autoanalyzes.fill(0);
    this.lastAutovacuum.fill(0);
    this.lastAutoanalyze.fill(0);
  }
}

/** The settings the exporter exposes (pg_settings, units converted to seconds and bytes), from the layout. */
export function baseSettings(L: PgLayout): Map<string, number> {
  const replica = L.role === "replica" ? 1 : 0;
  const MiB = 2 ** 20;
  const [major, minor] = L.version.split(".").map(Number);
  return new Map<string, number>([
    ["max_connections", L.maxConnections],
    ["superuser_reserved_connections", SUPERUSER_RESERVED],
    ["max_locks_per_transaction", L.maxLocksPerTransaction],
    ["max_pred_locks_per_transaction", 64],
    ["max_prepared_transactions", 0],
    ["shared_buffers_bytes", L.sharedBuffers],
    ["effective_cache_size_bytes", L.sharedBuffers * 3],
    ["work_mem_bytes", 4 * MiB],
    ["maintenance_work_mem_bytes", 64 * MiB],
    ["temp_buffers_bytes", 8 * MiB],
    ["wal_buffers_bytes", 16 * MiB],
    ["max_wal_size_bytes", 1024 * MiB],
    ["min_wal_size_bytes", 80 * MiB],
    ["wal_segment_size_bytes", WAL_SEGMENT],
    ["wal_keep_size_bytes", 0],
    ["max_slot_wal_keep_size_bytes", -1],
    ["checkpoint_timeout_seconds", 300],
    ["checkpoint_completion_target", 0.9],
    ["autovacuum", 1],
    ["autovacuum_max_workers", 3],
    ["autovacuum_naptime_seconds", 60],
    ["autovacuum_vacuum_threshold", 50],
    ["autovacuum_vacuum_scale_factor", L.vacuumScaleFactor],
    ["autovacuum_vacuum_insert_threshold", 1000],
    ["autovacuum_analyze_threshold", 50],
    ["autovacuum_analyze_scale_factor", L.vacuumScaleFactor / 2],
    ["autovacuum_vacuum_cost_limit", -1],
    ["autovacuum_vacuum_cost_delay_seconds", 0.002],
    ["autovacuum_freeze_max_age", 200_000_000],
    ["deadlock_timeout_seconds", 1],
    ["statement_timeout_seconds", 0],
    ["lock_timeout_seconds", 0],
    ["idle_in_transaction_session_timeout_seconds", 0],
    ["log_min_duration_statement_seconds", -1],
    ["random_page_cost", 1.1],
    ["seq_page_cost", 1],
    ["effective_io_concurrency", 200],
    ["default_statistics_target", 100],
    ["max_worker_processes", 8],
    ["max_parallel_workers", 8],
    ["max_parallel_workers_per_gather", 2],
    ["max_wal_senders", 10],
    ["max_replication_slots", 10],
    ["hot_standby", 1],
    ["in_hot_standby", replica],
    ["transaction_read_only", replica],
    ["default_transaction_read_only", 0],
    ["fsync", 1],
    ["full_page_writes", 1],
    ["track_activities", 1],
    ["track_counts", 1],
    ["track_io_timing", 0],
    ["ssl", 1],
    ["port", 5432],
    ["block_size", 8192],
    ["max_files_per_process", 1000],
    ["temp_file_limit_bytes", -1],
    ["server_version_num", major * 10000 + minor],
  ]);
}

/**
 * Advances the state to scenario time t (ms), dt seconds after the previous tick (0 at the first).
 * `epochMs` is the emulated wall clock at scenario time 0.
 */
export function advancePg(s: PgState, t: number, dt: number, drivers: PgDrivers, fx: PgEffects, random: Random, epochMs: number): void {
  const L = s.layout;
  s.t = t;
  s.now = (epochMs + t) / 1000;
  s.drivers = drivers;
  s.scrapeError = fx.down || fx.exporterError;
  s.scrapes += 1;
  const settings = new Map(s.baseSettings);
  for (const [name, factor] of fx.settings) if (settings.has(name)) settings.set(name, settings.get(name)! * factor);
  s.settings = settings;

  const load = clamp(drivers.load, 0.02, 1);
  const writes = s.isReplica ? 0 : clamp(drivers.writes, 0, 0.95);
  const K = ACTIVITY_STATES.length;
  const apps = L.databases;
  const shareSum = apps.reduce((a, d) => a + d.share, 0);

  // Connections: each application's pool between its floor and its peak with the load; a connection
  // storm fills the server's ordinary slots (all but the superusers' reserve; the exporter holds one), or a share of them.
  const pools = apps.map((d) => (fx.lostPool.has(d.name) ? 1 : Math.round(d.pool[0] + (d.pool[1] - d.pool[0]) * load)));
  if (fx.connections !== undefined) {
    const target = Math.floor(fx.connections * (L.maxConnections - SUPERUSER_RESERVED)) - 1;
    const sum = pools.reduce((a, p) => a + p, 0) || 1;
    let left = target;
    pools.forEach((p, i) => {
      const scaled = i === pools.length - 1 ? left : Math.round((target * p) / sum);
      pools[i] = Math.max(1, scaled);
      left -= pools[i];
    });
  }
  // Ordinary clients never get past max_connections - superuser_reserved_connections (PostgreSQL refuses them), the exporter's one included.
  const room = L.maxConnections - SUPERUSER_RESERVED - 1;
  const total = pools.reduce((a, p) => a + p, 0);
  if (total > room) pools.forEach((p, i) => (pools[i] = Math.floor((p * room) / total)));

  s.conns.fill(0);
  s.txDuration.fill(0);
  s.locks.fill(0);
  L.datnames.forEach((_, db) => {
    const app = apps[db];
    if (!app) {
      s.tps[db] = s.commitRate[db] = s.rollbackRate[db] = s.deadlockRate[db] = s.writeRate[db] = 0;
      // postgres: the odd admin or monitoring query; the templates: nothing.
      if (L.datnames[db] === "postgres") s.tps[db] = s.commitRate[db] = 0.05;
      return;
    }
    const lost = fx.lostPool.has(app.name);
    const tps = lost ? 0.002 : L.peakTps * load * (app.share / shareSum) * (1 + 0.03 * random.normal());
    const deadlocks = fx.deadlocks.get(app.name) ?? 0.00002 * tps * writes;
    const rollbackShare = fx.rollback.get(app.name) ?? 0.004;
    s.tps[db] = Math.max(0, tps);
    s.deadlockRate[db] = deadlocks;
    s.rollbackRate[db] = s.tps[db] * rollbackShare + deadlocks;
    s.commitRate[db] = Math.max(0, s.tps[db] * (1 - rollbackShare));
    s.writeRate[db] = s.tps[db] * writes * 3.8;
    const pool = pools[db];
    const active = Math.min(pool, Math.round(s.tps[db] * TX_SECONDS * (fx.connections !== undefined ? 20 : 1) + Math.abs(random.normal())));
    const idleInTx = Math.min(pool - active, Math.round(pool * 0.03));
    s.conns[db * K] = active;
    s.conns[db * K + 1] = pool - active - idleInTx;
    s.conns[db * K + 2] = idleInTx;
    s.txDuration[db * K] = active > 0 ? 0.05 + 0.2 * Math.abs(random.normal()) : 0;
    s.txDuration[db * K + 2] = idleInTx > 0 ? 1 + 3 * Math.abs(random.normal()) : 0;
    // Locks: every active transaction holds a few share locks, writers row-exclusive ones.
    const M = LOCK_MODES.length;
    s.locks[db * M] = Math.round(active * 4 + idleInTx * 2);
    s.locks[db * M + 2] = Math.round(active * writes * 3);
    s.locks[db * M + 6] = Math.round(active * 0.2);
    s.locks[db * M + 3] = fx.deadTuples.size > 0 || random.next() < 0.05 ? 1 : 0;
  });
  const days = t / 86_400_000;
  L.datnames.forEach((name, db) => {
    const app = apps[db];
    s.sizeBytes[db] = app ? Math.round(app.size * (1 + app.growthPerDay * days)) : name === "postgres" ? 7_631_663 : 7_553_839;
  });

  // Tables of the exporter's database: writes split by share; vacuum and analyze by their thresholds.
  const dsn = L.datnames.indexOf(L.dsnDatabase);
  const tableShares = L.tables.reduce((a, tb) => a + tb.share, 0);
  const vacThreshold = settings.get("autovacuum_vacuum_threshold")!;
  const vacFactor = settings.get("autovacuum_vacuum_scale_factor")!;
  const anThreshold = settings.get("autovacuum_analyze_threshold")!;
  const anFactor = settings.get("autovacuum_analyze_scale_factor")!;
  L.tables.forEach((tb, i) => {
    const w = (s.writeRate[dsn] * tb.share) / tableShares;
    const blocked = fx.deadTuples.get(tb.name);
    // A stuck autovacuum: a batch job's updates pile dead tuples up to the fault's share of the live ones.
    const batch = blocked !== undefined && s.dead[i] < blocked * s.live[i] ? (s.live[i] * blocked) / 1200 : 0;
    s.updRate[i] = w * tb.updates + batch;
    s.insRate[i] = w * (1 - tb.updates) * 0.7;
    s.delRate[i] = w * (1 - tb.updates) * 0.3;
    if (!s.initialized) {
      // Mid-cycle at the start: some dead tuples, vacuumed and analyzed a while ago.
      const phase = random.next();
      s.dead[i] = s.isReplica ? 0 : phase * (vacThreshold + vacFactor * s.live[i]) * 0.5;
      s.lastAutovacuum[i] = s.isReplica ? 0 : Math.round(s.now - 600 - 3 * 3600 * phase);
      s.lastAutoanalyze[i] = s.isReplica ? 0 : Math.round(s.now - 300 - 2 * 3600 * phase);
      return;
    }
    s.live[i] = Math.max(0, s.live[i] + (s.insRate[i] - s.delRate[i]) * dt);
    s.dead[i] += (s.updRate[i] + s.delRate[i]) * dt;
    s.modSinceAnalyze[i] += (s.insRate[i] + s.updRate[i] + s.delRate[i]) * dt;
    if (blocked === undefined && s.dead[i] > vacThreshold + vacFactor * s.live[i]) {
      s.dead[i] = 0;
      s.lastAutovacuum[i] = Math.round(s.now);
      s.autovacuums[i] += 1;
    }
    if (s.modSinceAnalyze[i] > anThreshold + anFactor * s.live[i]) {
      s.modSinceAnalyze[i] = 0;
      s.lastAutoanalyze[i] = Math.round(s.now);
      s.autoanalyzes[i] += 1;
    }
  });

  s.initialized = true;

  // Replication. Primary: WAL from the writes, each replica a few ms behind, each slot holding back
  // what its consumer has not confirmed (an inactive one: everything since it stopped). Replica:
  // caught up (lag 0) but for the time since the last replayed transaction, or behind under a fault.
  let writesTotal = 0;
  for (let db = 0; db < L.datnames.length; db++) writesTotal += s.writeRate[db];
  s.walRate = s.isReplica ? 0 : 2_000 + writesTotal * 350;
  s.walBytes += s.walRate * dt;
  L.slots.forEach((slot, i) => {
    const inactive = fx.inactiveSlots.has(slot.name);
    s.slotActive[i] = inactive ? 0 : 1;
    s.slotRetained[i] = inactive ? s.slotRetained[i] + s.walRate * dt : s.walRate * (0.05 + 0.02 * random.next());
  });
  if (s.isReplica) {
    const gap = 1 / Math.max(0.1, L.peakTps * load * 0.3);
    s.lastReplay = fx.lag ?? gap * random.next();
    s.lag = fx.lag ?? (random.next() < 0.8 ? 0 : s.lastReplay);
  } else {
    s.lag = 0;
    s.lastReplay = 0;
  }
}

export const WAL_SEGMENT_BYTES = WAL_SEGMENT;
