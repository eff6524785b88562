/**
 * postgres_exporter's metric families (0.20, PostgreSQL 16, default collectors plus `postmaster`) as
 * data. Names, types and label names are the exporter's; label names in the order its Go client
 * writes them (sorted). Counters without `_total` (pg_stat_database_*, pg_stat_user_tables_*) are
 * the exporter's own names. `SERVER_FAMILIES` need a connection to the server: while it is down
 * only `EXPORTER_FAMILIES` answer.
 */
import { type ExpositionType, type FamilySpec, counter as counterOf, gauge as gaugeOf } from "../family";
import type { PgLayout } from "./layout";
import { ACTIVITY_STATES, LOCK_MODES, type PgState, WAL_SEGMENT_BYTES, baseSettings } from "./model";

export type PgFamily = FamilySpec<PgLayout, PgState>;
type Rows = (layout: PgLayout) => readonly (readonly string[])[];

const gauge = (name: string, help: string, value: (s: PgState, i: number) => number, labels: string[] = [], rows?: Rows, type: ExpositionType = "gauge"): PgFamily =>
  gaugeOf<PgLayout, PgState>(name, help, value, labels, rows, type);
const counter = (name: string, help: string, rate: (s: PgState, i: number) => number, labels: string[] = [], rows?: Rows): PgFamily =>
  counterOf<PgLayout, PgState>(name, help, rate, labels, rows);
/** A counter whose total the model keeps itself (discrete events, or a timestamp the exporter types as a counter). */
const counted = (name: string, help: string, value: (s: PgState, i: number) => number, labels: string[] = [], rows?: Rows): PgFamily =>
  gauge(name, help, value, labels, rows, "counter");

/** The DSN's host:port, as the exporter's legacy metrics label it (`server`). */
const SERVER = "localhost:5432";

const databases = (L: PgLayout) => L.datnames.map((name, i) => [L.datids[i], name]);
const databaseNames = (L: PgLayout) => L.datnames.map((name) => [name]);
const tables = (L: PgLayout) => L.tables.map((t) => [L.dsnDatabase, t.name, t.schema]);
const TABLE = ["datname", "relname", "schemaname"];
const DB = ["datid", "datname"];

/** pg_stat_activity rows: per database, one per state; a state with clients carries their user and application. */
const ACTIVITY = ["application_name", "backend_type", "datname", "state", "usename", "wait_event", "wait_event_type"];
function activityRows(L: PgLayout): string[][] {
  return L.datnames.flatMap((name, db) => {
    const app = L.databases[db];
    return ACTIVITY_STATES.map((state, k) => {
      if (!app || k > 2) return ["", "", name, state, "", "", ""];
      const waiting = state === "active" ? ["", ""] : ["ClientRead", "Client"];
      return [app.application, "client backend", name, state, app.user, ...waiting];
    });
  });
}
const locks = (L: PgLayout) => L.datnames.flatMap((name) => LOCK_MODES.map((mode) => [name, mode]));
const replicas = (L: PgLayout) => (L.role === "primary" ? L.replicas.map((r, i) => [r.name, r.address, L.slots[i]?.name ?? "", "streaming"]) : []);
const slots = (L: PgLayout) => (L.role === "primary" ? L.slots.map((s) => [s.database ?? "", s.name]) : []);
const slotTypes = (L: PgLayout) => (L.role === "primary" ? L.slots.map((s) => [s.name, s.type]) : []);
const ROLES = (L: PgLayout) => [...new Set(["postgres", "pg_monitor", ...L.databases.map((d) => d.user)])].map((r) => [r]);

/** The collectors whose scrape duration and success the exporter reports. */
export const PG_COLLECTORS = [
  "database", "locks", "postmaster", "replication", "replication_slots", "roles", "settings", "stat_activity", "stat_archiver",
  "stat_bgwriter", "stat_database", "stat_progress_vacuum", "stat_replication", "stat_user_tables", "statio_user_tables", "wal",
];

/** Always answered by the exporter, the server reachable or not. */
export const EXPORTER_FAMILIES: PgFamily[] = [
  gauge("pg_up", "1 when the exporter could connect to PostgreSQL in its last scrape.", (s) => (s.up ? 1 : 0)),
  gauge("pg_exporter_last_scrape_error", "1 when the exporter's last scrape ended with an error.", (s) => (s.scrapeError ? 1 : 0)),
  gauge("pg_exporter_last_scrape_duration_seconds", "How long the exporter's last scrape took.", (s) => (s.up ? 0.02 + 0.01 * s.drivers.load : 0.001)),
  counted("pg_exporter_scrapes_total", "Scrapes the exporter has answered since it started.", (s) => s.scrapes),
  gauge("pg_scrape_collector_duration_seconds", "How long a collector took in this scrape.", (s, i) => (s.up ? 0.001 + 0.0005 * (i % 4) + 0.004 * s.drivers.load : 0.0002), ["collector"], () => PG_COLLECTORS.map((c) => [c])),
  counter("process_cpu_seconds_total", "CPU time the exporter process used.", (s) => 0.004 + 0.002 * s.drivers.load),
  gauge("process_open_fds", "File descriptors the exporter process has open.", () => 11),
  gauge("process_max_fds", "File descriptors the exporter process may open.", () => 1048576),
  gauge("process_resident_memory_bytes", "Resident memory of the exporter process.", () => 24_117_248),
  gauge("process_start_time_seconds", "When the exporter process started, in seconds since the Unix epoch.", (s) => s.exporterStart),
  gauge("pg_scrape_collector_success", "1 when a collector succeeded in this scrape.", (s) => (s.up ? 1 : 0), ["collector"], () => PG_COLLECTORS.map((c) => [c])),
];

const settingHelp = (name: string) => `The server's ${name.replace(/_(bytes|seconds)$/, "")} setting from pg_settings${/_bytes$/.test(name) ? ", in bytes" : /_seconds$/.test(name) ? ", in seconds" : ""}.`;

/** pg_settings: one gauge family per setting. */
function settingFamilies(L: PgLayout): PgFamily[] {
  return [...baseSettings(L).keys()].map((name) => gauge(`pg_settings_${name}`, settingHelp(name), (s) => s.settings.get(name) ?? 0));
}

const TIME_COUNTERS: [string, string, (s: PgState, db: number) => number][] = [
  ["xact_commit", "Transactions committed in a database.", (s, db) => s.commitRate[db]],
  ["xact_rollback", "Transactions rolled back in a database.", (s, db) => s.rollbackRate[db]],
  ["blks_read", "Disk blocks a database read (page cache misses of shared buffers).", (s, db) => s.tps[db] * 60 * 0.008],
  ["blks_hit", "Disk blocks a database found in shared buffers.", (s, db) => s.tps[db] * 60 * 0.992],
  ["tup_returned", "Rows a database's sequential and index scans returned.", (s, db) => s.tps[db] * 40],
  ["tup_fetched", "Rows a database's index scans fetched.", (s, db) => s.tps[db] * 8],
  ["tup_inserted", "Rows inserted in a database.", (s, db) => s.writeRate[db] * 0.4 * 0.7],
  ["tup_updated", "Rows updated in a database.", (s, db) => s.writeRate[db] * 0.6],
  ["tup_deleted", "Rows deleted in a database.", (s, db) => s.writeRate[db] * 0.4 * 0.3],
  ["conflicts", "Queries a database cancelled for recovery conflicts (replicas).", (s, db) => (s.isReplica ? s.tps[db] * 0.000002 : 0)],
  ["temp_files", "Temporary files a database's queries created.", (s, db) => s.tps[db] * 0.0005],
  ["temp_bytes", "Bytes of temporary files a database's queries wrote.", (s, db) => s.tps[db] * 0.0005 * 8 * 2 ** 20],
  ["deadlocks", "Deadlocks detected in a database.", (s, db) => s.deadlockRate[db]],
  ["blk_read_time", "Milliseconds a database's backends spent reading blocks.", (s, db) => s.tps[db] * 60 * 0.008 * 0.12],
  ["blk_write_time", "Milliseconds a database's backends spent writing blocks.", (s, db) => s.writeRate[db] * 0.01],
];

export function serverFamilies(L: PgLayout): PgFamily[] {
  const dsn = L.datnames.indexOf(L.dsnDatabase);
  const K = ACTIVITY_STATES.length;
  return [
    gauge("pg_static", "The server's version; the value is always 1.", () => 1, ["server", "short_version", "version"], () => [
      [SERVER, `${L.version}.0`, `PostgreSQL ${L.version} (Debian ${L.version}-1.pgdg120+1) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit`],
    ], "untyped"),
    gauge("pg_postmaster_start_time_seconds", "When the server (postmaster) started, in seconds since the Unix epoch.", (s) => s.startTime),
    // pg_database
    gauge("pg_database_size_bytes", "Disk space a database takes.", (s, i) => s.sizeBytes[i], ["datname"], databaseNames),
    gauge("pg_database_connection_limit", "Connection limit of a database (-1: none).", (_s, i) => (L.datnames[i] === "template0" ? 0 : -1), ["datname"], databaseNames),
    gauge("pg_roles_connection_limit", "Connection limit of a role (-1: none).", () => -1, ["rolname"], ROLES),
    // pg_stat_activity
    gauge("pg_stat_activity_count", "Client connections of a database in a state.", (s, i) => s.conns[i], ACTIVITY, activityRows),
    gauge("pg_stat_activity_max_tx_duration", "Age in seconds of the oldest open transaction among those connections.", (s, i) => s.txDuration[i], ACTIVITY, activityRows),
    // pg_locks
    gauge("pg_locks_count", "Locks held in a database, per lock mode.", (s, i) => s.locks[i], ["datname", "mode"], locks),
    // pg_stat_database
    gauge("pg_stat_database_numbackends", "Backends connected to a database now.", (s, i) => s.backends(i), DB, databases),
    ...TIME_COUNTERS.map(([col, help, rate]) => counter(`pg_stat_database_${col}`, help, rate, DB, databases)),
    counted("pg_stat_database_stats_reset", "When a database's statistics were last reset, in seconds since the Unix epoch.", (s) => s.startTime, DB, databases),
    counter("pg_stat_database_active_time_seconds_total", "Seconds a database's backends spent running queries.", (s, i) => s.conns[i * K], DB, databases),
    ...["tablespace", "lock", "snapshot", "bufferpin", "deadlock"].map((c) =>
      counter(`pg_stat_database_conflicts_confl_${c}`, `Queries cancelled on a replica for a conflict with recovery (${c}).`, (s, i) => (s.isReplica && c === "snapshot" ? s.tps[i] * 0.000002 : 0), ["datid", "datname", "server"], (l) =>
        databases(l).map((r) => [...r, SERVER]),
      ),
    ),
    // pg_stat_user_tables (the exporter's database)
    counter("pg_stat_user_tables_seq_scan", "Sequential scans of a table.", (s, i) => (s.tps[dsn] * 0.002 * L.tables[i].share), TABLE, tables),
    counter("pg_stat_user_tables_seq_tup_read", "Rows sequential scans of a table read.", (s, i) => s.tps[dsn] * 0.002 * L.tables[i].share * 2000, TABLE, tables),
    counter("pg_stat_user_tables_idx_scan", "Index scans of a table.", (s, i) => s.tps[dsn] * 1.5 * L.tables[i].share, TABLE, tables),
    counter("pg_stat_user_tables_idx_tup_fetch", "Rows index scans of a table fetched.", (s, i) => s.tps[dsn] * 4 * L.tables[i].share, TABLE, tables),
    counter("pg_stat_user_tables_n_tup_ins", "Rows inserted in a table.", (s, i) => s.insRate[i], TABLE, tables),
    counter("pg_stat_user_tables_n_tup_upd", "Rows updated in a table (HOT updates included).", (s, i) => s.updRate[i], TABLE, tables),
    counter("pg_stat_user_tables_n_tup_del", "Rows deleted from a table.", (s, i) => s.delRate[i], TABLE, tables),
    counter("pg_stat_user_tables_n_tup_hot_upd", "Rows of a table updated in place (HOT).", (s, i) => s.updRate[i] * 0.6, TABLE, tables),
    gauge("pg_stat_user_tables_n_live_tup", "Estimated live rows of a table.", (s, i) => Math.round(s.live[i]), TABLE, tables),
    gauge("pg_stat_user_tables_n_dead_tup", "Estimated dead rows of a table, waiting for vacuum.", (s, i) => Math.round(s.dead[i]), TABLE, tables),
    gauge("pg_stat_user_tables_n_mod_since_analyze", "Rows of a table changed since it was last analyzed.", (s, i) => Math.round(s.modSinceAnalyze[i]), TABLE, tables),
    gauge("pg_stat_user_tables_last_vacuum", "When a table was last vacuumed by hand, in seconds since the Unix epoch (0: never).", () => 0, TABLE, tables),
    gauge("pg_stat_user_tables_last_autovacuum", "When autovacuum last vacuumed a table, in seconds since the Unix epoch (0: never).", (s, i) => s.lastAutovacuum[i], TABLE, tables),
    gauge("pg_stat_user_tables_last_analyze", "When a table was last analyzed by hand, in seconds since the Unix epoch (0: never).", () => 0, TABLE, tables),
    gauge("pg_stat_user_tables_last_autoanalyze", "When autovacuum last analyzed a table, in seconds since the Unix epoch (0: never).", (s, i) => s.lastAutoanalyze[i], TABLE, tables),
    counted("pg_stat_user_tables_vacuum_count", "Times a table was vacuumed by hand.", () => 0, TABLE, tables),
    counted("pg_stat_user_tables_autovacuum_count", "Times autovacuum vacuumed a table.", (s, i) => s.autovacuums[i], TABLE, tables),
    counted("pg_stat_user_tables_analyze_count", "Times a table was analyzed by hand.", () => 0, TABLE, tables),
    counted("pg_stat_user_tables_autoanalyze_count", "Times autovacuum analyzed a table.", (s, i) => s.autoanalyzes[i], TABLE, tables),
    gauge("pg_stat_user_tables_index_size_bytes", "Disk space a table's indexes take.", (s, i) => Math.round((s.live[i] + s.dead[i]) * 60), TABLE, tables),
    gauge("pg_stat_user_tables_table_size_bytes", "Disk space a table takes.", (s, i) => Math.round((s.live[i] + s.dead[i]) * 180), TABLE, tables),
    // pg_statio_user_tables
    ...(
      [
        ["heap_blocks_read", 0.008, 1],
        ["heap_blocks_hit", 0.992, 1],
        ["idx_blocks_read", 0.004, 2],
        ["idx_blocks_hit", 0.996, 2],
        ["toast_blocks_read", 0, 0],
        ["toast_blocks_hit", 0, 0],
        ["tidx_blocks_read", 0, 0],
        ["tidx_blocks_hit", 0, 0],
      ] as const
    ).map(([col, share, per]) =>
      counter(`pg_statio_user_tables_${col}`, `Blocks of a table (or its indexes, TOAST) ${col.endsWith("hit") ? "found in shared buffers" : "read from disk"}.`, (s, i) => s.tps[dsn] * 6 * per * share * L.tables[i].share, TABLE, tables),
    ),
    // pg_stat_bgwriter (PostgreSQL 16)
    counter("pg_stat_bgwriter_checkpoints_timed_total", "Checkpoints started because checkpoint_timeout passed.", () => 1 / 300),
    counter("pg_stat_bgwriter_checkpoints_req_total", "Checkpoints requested (WAL filled max_wal_size, or by hand).", (s) => s.walRate / (1024 * 2 ** 20)),
    counter("pg_stat_bgwriter_checkpoint_write_time_total", "Milliseconds checkpoints spent writing files.", (s) => 0.9 * 1000 * (s.walRate / 2e6 + 0.01)),
    counter("pg_stat_bgwriter_checkpoint_sync_time_total", "Milliseconds checkpoints spent syncing files to disk.", (s) => 5 * (s.walRate / 2e6 + 0.01)),
    counter("pg_stat_bgwriter_buffers_checkpoint_total", "Buffers checkpoints wrote.", (s) => s.walRate / 8192 / 4),
    counter("pg_stat_bgwriter_buffers_clean_total", "Buffers the background writer wrote.", (s) => s.walRate / 8192 / 8),
    counter("pg_stat_bgwriter_maxwritten_clean_total", "Times the background writer stopped for writing too many buffers.", (s) => s.walRate / 8192 / 8 / 1000),
    counter("pg_stat_bgwriter_buffers_backend_total", "Buffers backends wrote themselves.", (s) => s.walRate / 8192 / 16),
    counter("pg_stat_bgwriter_buffers_backend_fsync_total", "Times a backend had to fsync a file itself.", () => 0),
    counter("pg_stat_bgwriter_buffers_alloc_total", "Buffers allocated.", (s) => s.tps.reduce((a, x) => a + x, 0) * 0.5),
    counted("pg_stat_bgwriter_stats_reset_total", "When the background writer's statistics were last reset, in seconds since the Unix epoch.", (s) => s.startTime),
    // pg_stat_archiver
    counter("pg_stat_archiver_archived_count", "WAL files archived.", (s) => s.walRate / WAL_SEGMENT_BYTES),
    counter("pg_stat_archiver_failed_count", "Failed attempts to archive a WAL file.", () => 0),
    gauge("pg_stat_archiver_last_archive_age", "Seconds since the last WAL file was archived.", (s) => (s.isReplica ? 0 : (s.t / 1000) % Math.min(300, WAL_SEGMENT_BYTES / Math.max(1, s.walRate)))),
    // pg_wal
    gauge("pg_wal_segments", "WAL segment files in pg_wal.", (s) => walSegments(s)),
    gauge("pg_wal_size_bytes", "Disk space of the WAL segment files in pg_wal.", (s) => walSegments(s) * WAL_SEGMENT_BYTES),
    // pg_replication
    gauge("pg_replication_lag_seconds", "Seconds a replica is behind its primary (0 on a primary, and on a replica that has replayed all it received).", (s) => s.lag),
    gauge("pg_replication_is_replica", "1 when the server is a replica (in recovery).", (s) => (s.isReplica ? 1 : 0)),
    gauge("pg_replication_last_replay_seconds", "Seconds since a replica last replayed a transaction.", (s) => s.lastReplay),
    // pg_stat_replication (primary: one row per streaming replica)
    gauge("pg_stat_replication_pg_current_wal_lsn_bytes", "The primary's current WAL position, in bytes.", (s) => Math.round(s.walBytes), ["application_name", "client_addr", "slot_name", "state"], replicas),
    gauge("pg_stat_replication_pg_wal_lsn_diff", "Bytes of WAL a replica has yet to replay.", (s) => Math.round(s.walRate * 0.01), ["application_name", "client_addr", "slot_name", "state"], replicas),
    // pg_replication_slots (primary)
    gauge("pg_replication_slots_active", "1 when a replication slot has a consumer connected.", (s, i) => s.slotActive[i], ["database", "slot_name"], slots),
    gauge("pg_replication_slots_pg_wal_lsn_diff", "Bytes of WAL a replication slot holds back.", (s, i) => Math.round(s.slotRetained[i]), ["database", "slot_name"], slots),
    gauge("pg_replication_slots_slot_current_wal_lsn", "The current WAL position, in bytes, as seen by a slot.", (s) => Math.round(s.walBytes), ["slot_name", "slot_type"], slotTypes),
    gauge("pg_replication_slots_slot_is_active", "1 when a replication slot is in use.", (s, i) => s.slotActive[i], ["slot_name", "slot_type"], slotTypes),
    gauge("pg_replication_slots_wal_status", "Availability of the WAL a slot claims; 1 for its status.", () => 1, ["slot_name", "slot_type", "wal_status"], (l) => slotTypes(l).map((r) => [...r, "reserved"])),
    ...settingFamilies(L),
  ];
}

/** WAL segments kept: max_wal_size's worth at most when busy, more when a slot holds them back. */
function walSegments(s: PgState): number {
  let held = 0;
  for (let i = 0; i < s.slotRetained.length; i++) held = Math.max(held, s.slotRetained[i]);
  return Math.max(5, Math.round(8 + s.walRate / 50_000)) + Math.floor(held / WAL_SEGMENT_BYTES);
}
