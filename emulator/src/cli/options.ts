/**
 * `promemu run` options, from flags or their PROMEMU_* environment equivalents (the container is
 * configured only through those), checked and converted. Each message names the flag or the
 * variable the bad value came from.
 */
import * as os from "os";
import { UsageError } from "../errors";
import { DURATION_HINT, parseDuration } from "../util/duration";
import type { ListenAddress } from "../http/server";

/** What commander hands over: every value still text, plus where each came from. */
export interface RawRunOptions {
  scenario: string;
  pushgatewayUrl?: string;
  pushInterval: string;
  pushTimeout: string;
  duration?: string;
  seed: string;
  set: string[];
  listen?: string;
  speed: string;
  job: string;
  owner?: string;
  shards: string;
  statusInterval: string;
}

export interface RunOptions {
  scenario: string;
  set: string[];
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
}

export function defaultOwner(): string {
  return `promemu-${os.hostname()}`;
}

/** `nameOf(key)` is how messages name an option: its flag, or its variable when the value came from there. */
export function parseRunOptions(raw: RawRunOptions, nameOf: (key: keyof RawRunOptions) => string = (key) => `--${kebab(key)}`): RunOptions {
  const bad = (key: keyof RawRunOptions, value: string, problem: string): never => {
    throw new UsageError(`${nameOf(key)} "${value}": ${problem}`);
  };
  const duration = (key: keyof RawRunOptions, value: string, allowZero: boolean): number => {
    const ms = parseDuration(value);
    if (ms === undefined) return bad(key, value, `must be ${DURATION_HINT}`);
    if (ms === 0 && !allowZero) return bad(key, value, "must be longer than 0s");
    return ms;
  };

  const pushIntervalMs = duration("pushInterval", raw.pushInterval, false);
  const pushTimeoutMs = duration("pushTimeout", raw.pushTimeout, false);
  const durationMs = raw.duration === undefined || raw.duration === "" ? undefined : duration("duration", raw.duration, true) || undefined;
  const statusIntervalMs = duration("statusInterval", raw.statusInterval, true);

  const seed = Number(raw.seed);
  if (!/^\d+$/.test(raw.seed.trim()) || seed > 0xffffffff) bad("seed", raw.seed, "must be a whole number from 0 to 4294967295");
  const speed = Number(raw.speed);
  if (raw.speed.trim() === "" || !Number.isFinite(speed) || speed <= 0 || speed > 10_000) bad("speed", raw.speed, "must be a number above 0 and at most 10000 (2 plays the scenario twice as fast)");

  let shards: number | undefined;
  if (raw.shards !== "auto") {
    shards = Number(raw.shards);
    if (!/^\d+$/.test(raw.shards.trim()) || shards < 1 || shards > 1024) bad("shards", raw.shards, "must be auto or a whole number from 1 to 1024");
  }

  const pushgatewayUrl = raw.pushgatewayUrl ? parsePushgatewayUrl(raw.pushgatewayUrl, (problem) => bad("pushgatewayUrl", raw.pushgatewayUrl!, problem)) : undefined;
  const listen = raw.listen ? parseListen(raw.listen, (problem) => bad("listen", raw.listen!, problem)) : undefined;
  if (!pushgatewayUrl && !listen) {
    throw new UsageError("nothing to do: give --pushgateway-url (PROMEMU_PUSHGATEWAY_URL) to push, --listen (PROMEMU_LISTEN) to be scraped on /emulated, or both");
  }
  if (raw.job.trim() === "") bad("job", raw.job, "must not be empty");
  const owner = raw.owner ?? defaultOwner();
  if (owner.trim() === "") bad("owner", owner, "must not be empty");

  return {
    scenario: raw.scenario,
    set: raw.set,
    pushgatewayUrl,
    pushIntervalMs,
    pushTimeoutMs,
    durationMs,
    seed,
    listen,
    speed,
    job: raw.job,
    owner,
    shards,
    statusIntervalMs,
  };
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function parsePushgatewayUrl(text: string, fail: (problem: string) => never): string {
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

/** `:9464`, `9464`, `127.0.0.1:9464`, `[::1]:9464`. */
export function parseListen(text: string, fail: (problem: string) => never): ListenAddress {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]*):)?(\d+)$/.exec(text.trim());
  if (!match) return fail("must be [host]:port, e.g. :9464 or 127.0.0.1:9464");
  const port = Number(match[2]);
  if (port > 65535) return fail("the port must be 0-65535");
  const host = match[1] ? match[1].replace(/^\[|\]$/g, "") : undefined;
  return { host, port };
}
