/**
 * PostgreSQL's own log (stderr, the default `log_line_prefix = '%m [%p] '`: `2026-01-05 09:00:00.123
 * UTC [4242] LOG:  ...`), read from the postgres_exporter series so that it agrees with them:
 *
 * - every increase of `pg_stat_database_deadlocks{datname}` is one `ERROR:  deadlock detected` (with
 *   its DETAIL, HINT, CONTEXT and STATEMENT lines, each with the prefix, in one log entry);
 * - every increase of `pg_stat_database_conflicts{datname}` (a replica) is one `ERROR:  canceling
 *   statement due to conflict with recovery`;
 * - every increase of `pg_stat_bgwriter_checkpoints_timed_total` is a checkpoint (`checkpoint
 *   starting: time`, `checkpoint complete: ...`; log_checkpoints is on by default since 15);
 * - clients beyond 85 % of max_connections (sum of `pg_stat_database_numbackends`): `FATAL:  sorry,
 *   too many clients already`, 0.5 a second (the pool's bursts that the scrape does not see);
 * - `pg_up` going to 0: a fast shutdown; back to 1: the start; `pg_postmaster_start_time_seconds`
 *   moving while up: a crash (a backend killed by signal 9) and the recovery.
 */
import type { PostgresProfileSpec } from "../profiles/specs";
import { resolvePgLayout } from "../profiles/postgres/layout";
import { Random } from "../util/random";
import { CounterWatch, EdgeWatch, type LogHost, between, pick, poisson } from "./source-kit";
import { postgresTime } from "./time-format";
import type { HostLogSource } from "./types";

const STATEMENTS = [
  ["orders", "UPDATE orders SET status = $1, updated_at = now() WHERE id = $2"],
  ["order_items", "UPDATE order_items SET quantity = quantity - $1 WHERE order_id = $2 AND sku = $3"],
  ["customers", "UPDATE customers SET balance = balance + $1 WHERE id = $2"],
] as const;

export class PostgresLog implements HostLogSource {
  private readonly random: Random;
  private readonly deadlocks: { watch: CounterWatch }[];
  private readonly conflicts: CounterWatch[];
  private readonly checkpoints: CounterWatch;
  private readonly up: EdgeWatch;
  private readonly started: EdgeWatch;
  private readonly backends: (() => number | undefined)[];
  private readonly maxConnections: () => number | undefined;
  private readonly version: string;
  private postmaster: number;
  private xid: number;
  private lines: [number, number, string][] = [];

  constructor(private readonly host: LogHost) {
    const spec = host.exporterSpec as PostgresProfileSpec;
    const layout = resolvePgLayout(spec.layout);
    this.version = layout.version;
    this.random = new Random(host.seed("logs.postgres"));
    this.postmaster = between(600, 900, this.random);
    this.xid = between(500_000, 900_000, this.random);
    const value = (name: string, labels?: Record<string, string>) => () => host.exporter()?.valueOf(name, labels);
    this.deadlocks = layout.datnames.map((datname) => ({ watch: new CounterWatch(value("pg_stat_database_deadlocks", { datname })) }));
    this.conflicts = layout.datnames.map((datname) => new CounterWatch(value("pg_stat_database_conflicts", { datname })));
    this.backends = layout.datnames.map((datname) => value("pg_stat_database_numbackends", { datname }));
    this.maxConnections = value("pg_settings_max_connections");
    this.checkpoints = new CounterWatch(value("pg_stat_bgwriter_checkpoints_timed_total"));
    this.up = new EdgeWatch(value("pg_up"));
    this.started = new EdgeWatch(value("pg_postmaster_start_time_seconds"));
  }

  tick(from: number, t: number): void {
    const r = this.random;
    const [wasUp, isUp] = this.up.next();
    const [lastStart, start] = this.started.next();
    if (wasUp === 1 && isUp === 0) this.shutdown(t);
    if (wasUp === 0 && isUp === 1) this.startup(t, "shut down");
    else if (isUp === 1 && wasUp === 1 && lastStart !== undefined && start !== lastStart) this.crash(t);
    if (isUp === 1) {
      const at = () => from + 1 + Math.floor(r.next() * Math.max(1, t - from - 5));
      for (const { watch } of this.deadlocks) for (let k = watch.delta(); k > 0; k--) this.deadlock(at());
      for (const watch of this.conflicts) for (let k = watch.delta(); k > 0; k--) this.conflict(at());
      for (let k = this.checkpoints.delta(); k > 0; k--) this.checkpoint(at());
      const max = this.maxConnections() ?? 100;
      const used = this.backends.reduce((sum, read) => sum + (read() ?? 0), 0);
      if (used >= 0.85 * max) for (let k = poisson(0.5 * ((t - from) / 1000), r); k > 0; k--) this.add(at(), between(20_000, 90_000, r), "FATAL:  sorry, too many clients already");
    } else {
      for (const { watch } of this.deadlocks) watch.delta();
      for (const watch of this.conflicts) watch.delta();
      this.checkpoints.delta();
    }
    this.flush();
  }

  private add(at: number, pid: number, text: string): void {
    this.lines.push([at, pid, text]);
  }

  private flush(): void {
    if (this.lines.length === 0) return;
    this.lines.sort((a, b) => a[0] - b[0]);
    const { sink, stream, epochMs } = this.host;
    for (const [at, pid, text] of this.lines) {
      // PostgreSQL prefixes each line of a report (ERROR, then its DETAIL, HINT, CONTEXT, STATEMENT) with
      // log_line_prefix; only a message's own continuation lines (a tab first) go without. One entry per report.
      const prefix = `${postgresTime(epochMs + at)} [${pid}] `;
      sink.write(stream, at, text.includes("\n") ? text.replace(/^(?!\t)/gm, prefix) : prefix + text);
    }
    this.lines = [];
  }

  private deadlock(at: number): void {
    const r = this.random;
    const [a, b] = [between(20_000, 90_000, r), between(20_000, 90_000, r)];
    const [relation, statement] = pick(STATEMENTS, r);
    const x = this.xid += between(50, 5000, r);
    this.add(
      at,
      a,
      `ERROR:  deadlock detected\n` +
        `DETAIL:  Process ${a} waits for ShareLock on transaction ${x + 7}; blocked by process ${b}.\n` +
        `\tProcess ${b} waits for ShareLock on transaction ${x}; blocked by process ${a}.\n` +
        `\tProcess ${a}: ${statement}\n\tProcess ${b}: ${statement}\n` +
        `HINT:  See server log for query details.\n` +
        `CONTEXT:  while updating tuple (${between(0, 40_000, r)},${between(1, 60, r)}) in relation "${relation}"\n` +
        `STATEMENT:  ${statement}`,
    );
  }

  private conflict(at: number): void {
    const pid = between(20_000, 90_000, this.random);
    this.add(at, pid, "ERROR:  canceling statement due to conflict with recovery\nDETAIL:  User query might have needed to see row versions that must be removed.\nSTATEMENT:  SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 50");
  }

  private checkpoint(at: number): void {
    const r = this.random;
    const pid = this.postmaster + 3;
    const buffers = between(40, 4000, r);
    const write = (buffers * 0.9 * 0.01 + r.next()).toFixed(3);
    const lsn = (n: number) => `0/${n.toString(16).toUpperCase()}`;
    const redo = between(0x1000000, 0x7fffffff, r);
    this.add(at - 1, pid, "LOG:  checkpoint starting: time");
    this.add(
      at,
      pid,
      `LOG:  checkpoint complete: wrote ${buffers} buffers (${((buffers / 524288) * 100).toFixed(1)}%); 0 WAL file(s) added, 0 removed, ${between(0, 2, r)} recycled; ` +
        `write=${write} s, sync=0.0${between(10, 99, r)} s, total=${(Number(write) + 0.1).toFixed(3)} s; sync files=${between(5, 40, r)}, longest=0.00${between(1, 9, r)} s, average=0.001 s; ` +
        `distance=${Math.round(buffers * 8.2)} kB, estimate=${Math.round(buffers * 9)} kB; lsn=${lsn(redo + 4096)}, redo lsn=${lsn(redo)}`,
    );
  }

  private shutdown(t: number): void {
    const pm = this.postmaster;
    this.add(t - 4, pm, "LOG:  received fast shutdown request");
    this.add(t - 3, pm, "LOG:  aborting any active transactions");
    this.add(t - 2, pm, `LOG:  background worker "logical replication launcher" (PID ${pm + 6}) exited with exit code 1`);
    this.add(t - 1, pm + 1, "LOG:  shutting down");
    this.add(t, pm, "LOG:  database system is shut down");
  }

  private startup(t: number, was: "shut down" | "interrupted"): void {
    this.postmaster = between(600, 30_000, this.random);
    const pm = this.postmaster;
    this.add(t - 5, pm, `LOG:  starting PostgreSQL ${this.version} on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit`);
    this.add(t - 4, pm, `LOG:  listening on IPv4 address "0.0.0.0", port 5432`);
    this.add(t - 3, pm, `LOG:  listening on Unix socket "/var/run/postgresql/.s.PGSQL.5432"`);
    if (was === "shut down") this.add(t - 2, pm + 1, `LOG:  database system was shut down at ${postgresTime(this.host.epochMs + t - 60_000).replace(/\.\d+ /, " ")}`);
    this.add(t, pm, "LOG:  database system is ready to accept connections");
  }

  private crash(t: number): void {
    const pm = this.postmaster;
    const victim = between(20_000, 90_000, this.random);
    this.add(t - 9, pm, `LOG:  server process (PID ${victim}) was terminated by signal 9: Killed`);
    this.add(t - 8, pm, "LOG:  terminating any other active server processes");
    this.add(t - 7, pm, "LOG:  all server processes terminated; reinitializing");
    this.add(t - 6, pm + 20, `LOG:  database system was interrupted; last known up at ${postgresTime(this.host.epochMs + t - 120_000).replace(/\.\d+ /, " ")}`);
    this.add(t - 5, pm + 20, "LOG:  database system was not properly shut down; automatic recovery in progress");
    this.add(t - 4, pm + 20, "LOG:  redo starts at 0/3A2B1C8");
    this.add(t - 3, pm + 20, "LOG:  redo done at 0/3A9F0E0 system usage: CPU: user: 0.01 s, system: 0.00 s, elapsed: 0.02 s");
    this.add(t - 2, pm + 21, "LOG:  checkpoint starting: end-of-recovery immediate wait");
    this.add(t, pm, "LOG:  database system is ready to accept connections");
  }
}
