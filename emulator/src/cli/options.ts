/**
 * `promemu run` options, from flags or their PROMEMU_* environment equivalents (the container is
 * configured only through those), checked and converted. Each message names the flag or the
 * variable the bad value came from.
 */
import * as os from "os";
import { UsageError } from "../errors";
import { DEFAULT_MAX_SERIES, MAX_SERIES_LIMIT } from "../scenario/capacity";
import type { SetEntry } from "../scenario/params";
import { DURATION_HINT, MAX_TIMER_MS, formatDuration, parseDuration } from "../util/duration";
import { redactUrl } from "../util/url";
import { type ShardSpec, parseShard } from "../scenario/shard";
import { shardOwner } from "../sinks/grouping";
import { type RemoteWriteAuthOptions, type SecretReader, readRemoteWriteAuth } from "./remote-write-auth";
import { parseRemoteWriteHeaders } from "./remote-write-headers";
import { TIME_HINT, parseTime } from "../backfill/time";
import type { ListenAddress } from "../http/server";
import { LOKI_ENCODINGS, type LokiEncoding } from "../sinks/loki/push";

/** What commander hands over: every value still text, plus where each came from. */
export interface RawRunOptions extends RemoteWriteAuthOptions {
  scenario: string;
  pushgatewayUrl?: string;
  pushInterval: string;
  pushTimeout: string;
  duration?: string;
  seed: string;
  set: SetEntry[];
  listen?: string;
  speed: string;
  job: string;
  owner?: string;
  shards: string;
  statusInterval: string;
  /** Absent: the default (DEFAULT_MAX_SERIES). */
  maxSeries?: string;
  remoteWriteBatch?: string;
  remoteWriteMaxPending?: string;
  /** NAME=VALUE values of --remote-write-header (PROMEMU_REMOTE_WRITE_HEADERS), as given. */
  remoteWriteHeader?: string[];
  /** The hosts' logs (docs/logs.md): a Loki push URL. */
  lokiUrl?: string;
  lokiBatch?: string;
  lokiMaxPending?: string;
  /** protobuf, json or json-gzip. */
  lokiEncoding?: string;
  /** X-Scope-OrgID. */
  lokiTenant?: string;
  /** k/n; absent: the whole fleet. */
  shard?: string;
  /** Wall time of scenario time 0 (RFC 3339, now, -7d). */
  startAt?: string;
  /** Scenario time 0 this long before now. */
  history?: string;
}

export interface RunOptions {
  scenario: string;
  set: SetEntry[];
  pushgatewayUrl?: string;
  pushIntervalMs: number;
  pushTimeoutMs: number;
  durationMs?: number;
  seed: number;
  listen?: ListenAddress;
  speed: number;
  job: string;
  owner: string;
  /** undefined: chosen from the host count (see autoShardCount). */
  shards?: number;
  statusIntervalMs: number;
  /** The scenario is refused above this many series (its estimated memory is in the message). */
  maxSeries: number;
  remoteWrite?: {
    url: string;
    /** `Basic ...` or `Bearer ...`, from a file or the environment; never shown. */
    authorization?: string;
    maxSamplesPerRequest: number;
    maxPendingSamples: number;
    /** Sent with every request (--remote-write-header), e.g. a tenant. */
    headers?: Record<string, string>;
  };
  /** The hosts' log lines, with the Loki push API (credentials of the URL as basic authentication). */
  loki?: {
    url: string;
    maxLinesPerRequest: number;
    maxPendingLines: number;
    encoding: LokiEncoding;
    /** Sent as X-Scope-OrgID. */
    tenant?: string;
  };
  shard?: ShardSpec;
  /** Wall time (ms since the epoch) of scenario time 0: the run first plays from there up to now. */
  startAtMs?: number;
  /** Sent as User-Agent by remote write. */
  userAgent?: string;
}

export const DEFAULT_REMOTE_WRITE_BATCH = 2000;
/** The shortest push interval, push timeout and status interval: shorter ones only busy the CPU, the log and the gateway. */
export const MIN_TIMER_MS = 100;
export const DEFAULT_REMOTE_WRITE_MAX_PENDING = 2_000_000;
export const DEFAULT_LOKI_BATCH = 5000;
export const DEFAULT_LOKI_MAX_PENDING = 1_000_000;
/** What Promtail and Alloy send, proven on VictoriaLogs (docs/logs.md, "Protocol trade-offs"). */
export const DEFAULT_LOKI_ENCODING: LokiEncoding = "protobuf";

/** What --max-series accepts (run and validate). */
export const MAX_SERIES_HINT = `must be a whole number from 1 to ${MAX_SERIES_LIMIT} (the default is ${DEFAULT_MAX_SERIES})`;

/** A whole number from `min` to `max` written in digits only (no sign, exponent or fraction); undefined otherwise. */
export function parseWhole(value: string, min: number, max: number): number | undefined {
  const n = Number(value);
  return /^\d+$/.test(value.trim()) && n >= min && n <= max ? n : undefined;
}

export function defaultOwner(): string {
  return `promemu-${os.hostname()}`;
}

/**
 * `nameOf(key)` is how messages name an option: its flag, or its variable when the value came from
 * there. Every problem is reported, not only the first: the UsageError's message has one per line.
 */
export function parseRunOptions(
  raw: RawRunOptions,
  nameOf: (key: keyof RawRunOptions) => string = (key) => `--${kebab(key)}`,
  readSecret?: SecretReader,
  nowMs: number = Date.now(),
): RunOptions {
  const problems: string[] = [];
  // Values are quoted as given, except that credentials in a URL are not shown.
  const bad = (key: keyof RawRunOptions, value: string, problem: string): undefined => {
    problems.push(`${nameOf(key)} "${redactUrl(value)}": ${problem}`);
    return undefined;
  };
  const duration = (key: keyof RawRunOptions, value: string, allowZero: boolean): number | undefined => {
    const ms = parseDuration(value);
    if (ms === undefined) return bad(key, value, `must be ${DURATION_HINT}`);
    if (ms === 0 && !allowZero) return bad(key, value, "must be longer than 0s");
    return ms;
  };
  const timer = (key: keyof RawRunOptions, value: string, allowZero: boolean): number | undefined => {
    const ms = duration(key, value, allowZero);
    if (ms !== undefined && ms > MAX_TIMER_MS) return bad(key, value, `must be at most ${formatDuration(MAX_TIMER_MS)}`);
    // 1ms pushed (and logged) hundreds of times a second, and hammered an absent gateway.
    if (ms !== undefined && ms !== 0 && ms < MIN_TIMER_MS) return bad(key, value, `must be at least ${formatDuration(MIN_TIMER_MS)}${allowZero ? " (or 0 for none)" : ""}`);
    return ms;
  };
  const whole = (key: keyof RawRunOptions, value: string, min: number, max: number, hint: string): number | undefined =>
    parseWhole(value, min, max) ?? bad(key, value, hint);

  const pushIntervalMs = timer("pushInterval", raw.pushInterval, false);
  const pushTimeoutMs = timer("pushTimeout", raw.pushTimeout, false);
  const durationMs = raw.duration === undefined || raw.duration === "" ? undefined : duration("duration", raw.duration, true) || undefined;
  const statusIntervalMs = timer("statusInterval", raw.statusInterval, true);

  const seed = whole("seed", raw.seed, 0, 0xffffffff, "must be a whole number from 0 to 4294967295");
  const speed = Number(raw.speed);
  if (raw.speed.trim() === "" || !Number.isFinite(speed) || speed <= 0 || speed > 10_000) bad("speed", raw.speed, "must be a number above 0 and at most 10000 (2 plays the scenario twice as fast)");
  const shards = raw.shards === "auto" ? undefined : whole("shards", raw.shards, 1, 1024, "must be auto or a whole number from 1 to 1024");
  const maxSeries =
    raw.maxSeries === undefined || raw.maxSeries === ""
      ? DEFAULT_MAX_SERIES
      : whole("maxSeries", raw.maxSeries, 1, MAX_SERIES_LIMIT, MAX_SERIES_HINT);

  const pushgatewayUrl = raw.pushgatewayUrl ? parsePushgatewayUrl(raw.pushgatewayUrl, (problem) => bad("pushgatewayUrl", raw.pushgatewayUrl!, problem)) : undefined;
  const listen = raw.listen ? parseListen(raw.listen, (problem) => bad("listen", raw.listen!, problem)) : undefined;
  if (!raw.pushgatewayUrl && !raw.listen && !raw.remoteWriteUrl && !raw.lokiUrl) {
    problems.push(
      "nothing to do: give --pushgateway-url (PROMEMU_PUSHGATEWAY_URL) to push, --listen (PROMEMU_LISTEN) to be scraped on /emulated, --remote-write-url (PROMEMU_REMOTE_WRITE_URL) to send with remote write, --loki-url (PROMEMU_LOKI_URL) to push the hosts' logs, or a sink and --listen",
    );
  }
  if (raw.pushgatewayUrl && raw.remoteWriteUrl) {
    problems.push(`give ${nameOf("pushgatewayUrl")} or ${nameOf("remoteWriteUrl")}, not both: one emulator sends to one sink`);
  }
  let remoteWrite: RunOptions["remoteWrite"];
  if (raw.remoteWriteUrl) {
    const url = parseRemoteWriteUrl(raw.remoteWriteUrl, (problem) => bad("remoteWriteUrl", raw.remoteWriteUrl!, problem));
    const batch = raw.remoteWriteBatch ? whole("remoteWriteBatch", raw.remoteWriteBatch, 1, 100_000, "must be a whole number from 1 to 100000 (samples per request)") : DEFAULT_REMOTE_WRITE_BATCH;
    const maxPending = raw.remoteWriteMaxPending
      ? whole("remoteWriteMaxPending", raw.remoteWriteMaxPending, 1, 100_000_000, "must be a whole number from 1 to 100000000 (samples)")
      : DEFAULT_REMOTE_WRITE_MAX_PENDING;
    const auth = readRemoteWriteAuth(raw, nameOf, readSecret);
    if (typeof auth === "object") problems.push(...auth.problems);
    const extra = parseRemoteWriteHeaders(raw.remoteWriteHeader ?? [], nameOf("remoteWriteHeader"));
    problems.push(...extra.problems);
    if (url && batch && maxPending && typeof auth !== "object") {
      remoteWrite = { url, authorization: auth, maxSamplesPerRequest: batch, maxPendingSamples: maxPending, ...(Object.keys(extra.headers).length > 0 ? { headers: extra.headers } : {}) };
    }
  } else {
    for (const key of ["remoteWriteUsername", "remoteWritePasswordFile", "remoteWriteBearerTokenFile", "remoteWriteBatch", "remoteWriteMaxPending"] as const) {
      if (raw[key]) problems.push(`${nameOf(key)} is for remote write: give --remote-write-url (PROMEMU_REMOTE_WRITE_URL) too`);
    }
    if (raw.remoteWriteHeader?.length) problems.push(`${nameOf("remoteWriteHeader")} is for remote write: give --remote-write-url (PROMEMU_REMOTE_WRITE_URL) too`);
  }
  let loki: RunOptions["loki"];
  if (raw.lokiUrl) {
    const url = parseLokiUrl(raw.lokiUrl, (problem) => bad("lokiUrl", raw.lokiUrl!, problem));
    const batch = raw.lokiBatch ? whole("lokiBatch", raw.lokiBatch, 1, 100_000, "must be a whole number from 1 to 100000 (log lines per request)") : DEFAULT_LOKI_BATCH;
    const maxPending = raw.lokiMaxPending ? whole("lokiMaxPending", raw.lokiMaxPending, 1, 100_000_000, "must be a whole number from 1 to 100000000 (log lines)") : DEFAULT_LOKI_MAX_PENDING;
    const encoding =
      raw.lokiEncoding === undefined
        ? DEFAULT_LOKI_ENCODING
        : LOKI_ENCODINGS.find((e) => e === raw.lokiEncoding) ?? bad("lokiEncoding", raw.lokiEncoding, `must be ${LOKI_ENCODINGS.slice(0, -1).join(", ")} or ${LOKI_ENCODINGS.at(-1)} (the default is ${DEFAULT_LOKI_ENCODING})`);
    const tenantProblem = raw.lokiTenant === undefined || !url ? undefined : lokiTenantProblem(raw.lokiTenant, url);
    if (tenantProblem) bad("lokiTenant", raw.lokiTenant!, tenantProblem);
    if (url && batch && maxPending && encoding && !tenantProblem) {
      loki = { url, maxLinesPerRequest: batch, maxPendingLines: maxPending, encoding, ...(raw.lokiTenant === undefined ? {} : { tenant: raw.lokiTenant }) };
    }
  } else {
    for (const key of ["lokiBatch", "lokiMaxPending", "lokiEncoding", "lokiTenant"] as const) {
      if (raw[key]) problems.push(`${nameOf(key)} is for the Loki push: give --loki-url (PROMEMU_LOKI_URL) too`);
    }
  }
  let shard: ShardSpec | undefined;
  if (raw.shard) {
    const parsed = parseShard(raw.shard);
    if (typeof parsed === "string") bad("shard", raw.shard, parsed);
    else shard = parsed;
  }
  if (raw.job.trim() === "") bad("job", raw.job, "must not be empty");
  // Shards of one fleet on one machine must not clean up each other's groups.
  const owner = raw.owner ?? (shard ? shardOwner(defaultOwner(), shard.index, shard.count) : defaultOwner());
  if (owner.trim() === "") bad("owner", owner, "must not be empty");

  let startAtMs: number | undefined;
  if (raw.startAt && raw.history) problems.push(`give ${nameOf("startAt")} or ${nameOf("history")}, not both`);
  else if (raw.startAt) {
    startAtMs = parseTime(raw.startAt, nowMs);
    if (startAtMs === undefined) bad("startAt", raw.startAt, `must be ${TIME_HINT}`);
    else if (startAtMs > nowMs) startAtMs = bad("startAt", raw.startAt, "must not be in the future");
  } else if (raw.history) {
    const ms = duration("history", raw.history, true);
    if (ms !== undefined) startAtMs = nowMs - ms;
  }

  if (problems.length > 0) throw new UsageError(problems.join("\n"));
  return {
    scenario: raw.scenario,
    set: raw.set,
    pushgatewayUrl,
    pushIntervalMs: pushIntervalMs!,
    pushTimeoutMs: pushTimeoutMs!,
    durationMs,
    seed: seed!,
    listen,
    speed,
    job: raw.job,
    owner,
    shards,
    statusIntervalMs: statusIntervalMs!,
    maxSeries: maxSeries!,
    remoteWrite,
    loki,
    shard,
    startAtMs,
  };
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function parsePushgatewayUrl(text: string, fail: (problem: string) => undefined): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail("is not a URL; give the Pushgateway's base URL, e.g. http://localhost:9091");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return fail(`the scheme ${url.protocol.replace(/:$/, "")} is not supported; use http:// or https://`);
  if (url.search || url.hash) return fail("must not have a query or a fragment");
  if (/\/metrics\/?$/.test(url.pathname)) return fail("give the base URL without /metrics (the emulator adds /metrics/job/...)");
  return url.href.replace(/\/+$/, "");
}

function parseRemoteWriteUrl(text: string, fail: (problem: string) => undefined): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail("is not a URL; give the receiver's full write URL, e.g. http://localhost:9090/api/v1/write");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return fail(`the scheme ${url.protocol.replace(/:$/, "")} is not supported; use http:// or https://`);
  if (url.hash) return fail("must not have a fragment");
  return url.href;
}

/** A Loki push URL (run --loki-url, backfill --loki-url): the URL, or undefined after `fail` with the problem. */
export function parseLokiUrl(text: string, fail: (problem: string) => undefined): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail("is not a URL; give the full push URL, e.g. http://localhost:3100/loki/api/v1/push (Loki) or http://localhost:9428/insert/loki/api/v1/push (VictoriaLogs)");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return fail(`the scheme ${url.protocol.replace(/:$/, "")} is not supported; use http:// or https://`);
  if (url.hash) return fail("must not have a fragment");
  if (!/\/api\/v1\/push\/?$/.test(url.pathname)) return fail("must end in /api/v1/push (Loki: /loki/api/v1/push, VictoriaLogs: /insert/loki/api/v1/push)");
  return url.href;
}

/** VictoriaLogs' Loki push path; Loki's is /loki/api/v1/push. */
const VICTORIALOGS_PUSH_PATH = /\/insert\/loki\/api\/v1\/push\/?$/;

/**
 * What is wrong with a tenant for X-Scope-OrgID, or undefined. Loki (dskit's tenant.ValidTenantID)
 * takes letters, digits and ! - _ . * ' ( ), at most 150, not . or ..; it refuses anything else
 * (a | joins tenants in queries). VictoriaLogs v1.52.2 reads the same header, when no AccountID and
 * ProjectID headers are sent, as AccountID[:ProjectID] (logstorage.ParseTenantID) and answers 400
 * to anything else: at its push path, only that form is let through, so that the first push is
 * not refused (and its lines dropped) for a value that could be caught here.
 */
export function lokiTenantProblem(tenant: string, url: string): string | undefined {
  if (tenant === "") return "must not be empty (leave it out for no tenant)";
  if (VICTORIALOGS_PUSH_PATH.test(new URL(url).pathname)) {
    const match = /^(\d+)(?::(\d+))?$/.exec(tenant);
    const uint32 = (digits: string | undefined) => digits === undefined || Number(digits) <= 0xffffffff;
    if (!match || !uint32(match[1]) || !uint32(match[2])) {
      return "VictoriaLogs (this URL is its /insert/loki/api/v1/push) reads X-Scope-OrgID as AccountID[:ProjectID], whole numbers up to 4294967295, e.g. 7 or 7:3";
    }
    return undefined;
  }
  if (tenant.length > 150) return "must be at most 150 characters (Loki's limit)";
  const unsupported = /[^A-Za-z0-9!\-_.*'()]/.exec(tenant);
  if (unsupported) return `has ${JSON.stringify(unsupported[0])}: a Loki tenant ID is letters, digits and ! - _ . * ' ( ) only`;
  if (tenant === "." || tenant === "..") return "must not be . or .. (Loki refuses them)";
  return undefined;
}

/** `:9464`, `9464`, `127.0.0.1:9464`, `[::1]:9464`. */
export function parseListen(text: string, fail: (problem: string) => undefined): ListenAddress | undefined {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]*):)?(\d+)$/.exec(text.trim());
  if (!match) return fail("must be [host]:port, e.g. :9464 or 127.0.0.1:9464");
  const port = Number(match[2]);
  if (port > 65535) return fail("the port must be 0-65535");
  const host = match[1] ? match[1].replace(/^\[|\]$/g, "") : undefined;
  return { host, port };
}
