/**
 * A PostgreSQL server as postgres_exporter sees it, as data: version, role (primary or replica),
 * settings that matter to the rules (max_connections, locks, autovacuum), databases with their
 * size and share of the traffic, the user tables of the database the exporter connects to, the
 * replicas streaming from a primary and its replication slots, and the peak transaction rate.
 */
import { z } from "zod";
import { bytes } from "../node/layout";

const name = z.string().regex(/^[a-z_][a-z0-9_]*$/, "must be a PostgreSQL identifier (lower case letters, digits, _)");

const database = z
  .object({
    name,
    size: bytes.default(20 * 2 ** 30),
    /** Share of the size the database grows by per day. */
    growthPerDay: z.number().min(0).default(0.002),
    /** Share of the server's transactions that go to this database. */
    share: z.number().positive().default(1),
    /** Connections its application keeps open (a pool), at least and at peak load. */
    pool: z.tuple([z.number().int().min(0), z.number().int().min(0)]).default([12, 40]),
    /** application_name of its clients. */
    application: z.string().default("app"),
    user: z.string().default("app"),
  })
  .strict();
const table = z
  .object({
    name,
    schema: name.default("public"),
    rows: z.number().int().positive().default(1_000_000),
    /** Share of the database's writes that touch this table. */
    share: z.number().positive().default(1),
    /** Share of its writes that are updates (the rest: inserts and deletes). */
    updates: z.number().min(0).max(1).default(0.6),
  })
  .strict();
const replica = z.object({ name: z.string(), address: z.string().default("10.0.0.2") }).strict();
const slot = z.object({ name, type: z.enum(["physical", "logical"]).default("physical"), database: z.string().optional() }).strict();

export const pgLayoutSchema = z
  .object({
    version: z.string().regex(/^\d+\.\d+$/, "must be a PostgreSQL version such as 16.4").default("16.4"),
    role: z.enum(["primary", "replica"]).default("primary"),
    maxConnections: z.number().int().min(10).default(200),
    maxLocksPerTransaction: z.number().int().positive().default(64),
    sharedBuffers: bytes.default(4 * 2 ** 30),
    /** autovacuum_vacuum_scale_factor: dead tuples a table may gather (share of its live ones) before autovacuum runs. */
    vacuumScaleFactor: z.number().min(0).max(1).default(0.05),
    /** Transactions per second at full load. */
    peakTps: z.number().positive().default(600),
    databases: z.array(database).min(1).prefault([{ name: "app" }]),
    tables: z.array(table).optional(),
    replicas: z.array(replica).default([]),
    slots: z.array(slot).optional(),
    /** Days since the server started at the scenario's start. */
    uptimeDays: z.number().min(0).default(21),
  })
  .strict();

export type PgParsedLayout = z.output<typeof pgLayoutSchema>;
export type PgDatabase = z.output<typeof database>;
export type PgTable = z.output<typeof table>;

/** System databases every cluster has, after the configured ones (pg_database order does not matter to the rules). */
export const SYSTEM_DATABASES = ["postgres", "template1", "template0"];

export interface PgLayout extends Omit<PgParsedLayout, "tables" | "slots"> {
  readonly tables: PgTable[];
  readonly slots: z.output<typeof slot>[];
  /** Every database: the configured ones, then the system ones. */
  readonly datnames: string[];
  /** OIDs, parallel to datnames. */
  readonly datids: string[];
  /** The database the exporter connects to (its DSN): the first configured one. */
  readonly dsnDatabase: string;
}

export function resolvePgLayout(parsed: PgParsedLayout): PgLayout {
  const datnames = [...parsed.databases.map((d) => d.name), ...SYSTEM_DATABASES.filter((s) => !parsed.databases.some((d) => d.name === s))];
  const systemOid: Record<string, string> = { template1: "1", template0: "4", postgres: "5" };
  let next = 16384;
  const datids = datnames.map((n) => systemOid[n] ?? String(next++));
  return {
    ...parsed,
    tables: parsed.tables ?? [
      { name: "orders", schema: "public", rows: 4_000_000, share: 3, updates: 0.5 },
      { name: "order_items", schema: "public", rows: 12_000_000, share: 2, updates: 0.2 },
      { name: "customers", schema: "public", rows: 800_000, share: 1, updates: 0.8 },
      { name: "sessions", schema: "public", rows: 300_000, share: 2, updates: 0.7 },
    ],
    slots: parsed.slots ?? parsed.replicas.map((r) => ({ name: r.name.toLowerCase().replace(/[^a-z0-9_]/g, "_"), type: "physical" as const })),
    datnames,
    datids,
    dsnDatabase: parsed.databases[0].name,
  };
}

export const pgLayoutInput = pgLayoutSchema;
