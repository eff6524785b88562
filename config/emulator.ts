/**
 * The emulator container is configured only through its environment (PROMEMU_*): this is that
 * environment, so the live tests can run the emulator exactly as the container does.
 */
import { shardOwner } from "../emulator/src/index";
import { CONTAINER_PORTS } from "./health";
import type { Settings } from "./settings";

/** Pushgateway job the emulator pushes under; also the value of `job` on every emulated series. */
export const EMULATOR_JOB = "promemu";

/** Marks the Pushgateway groups this stack's emulator owns, so cleanup never touches anyone else's. */
export function emulatorOwner(project: string, stack: string): string {
  return `${project}-${stack}`;
}

export interface EmulatorEnvironmentArgs {
  settings: Settings;
  project: string;
  stack: string;
  /** Base URL of the Pushgateway as the emulator reaches it, e.g. http://pushgateway:9091 (sink `pushgateway`). */
  pushgatewayUrl: string;
  /** Prometheus' remote-write receiver as the emulator reaches it, e.g. http://prometheus:9090/api/v1/write (sink `remote-write`). */
  remoteWriteUrl?: string;
  /** The log store's Loki push URL as the emulator reaches it (`logs.enabled`); none: the hosts' logs are not pushed. */
  lokiUrl?: string;
  /** Which of the `emulator.replicas` containers this is, 1-based; 1 when absent. */
  replica?: number;
  /** With `emulator.history`: the history's start (RFC 3339), scenario time 0 of the live run. */
  startAt?: string;
}

/**
 * The environment of one emulator container. It names one sink only: the emulator refuses both URLs at once,
 * and one left over would push to the Pushgateway behind remote write's back. With more than one replica, replica
 * k of n runs shard k/n of the fleet (PROMEMU_SHARD) under an owner mark of its own (`<owner>-k-of-n`, as the
 * emulator's own default does for shards), so that no replica cleans up another's Pushgateway groups. One replica
 * runs the whole fleet with neither, as before replicas existed.
 */
export function emulatorEnvironment({ settings, project, stack, pushgatewayUrl, remoteWriteUrl, lokiUrl, replica = 1, startAt }: EmulatorEnvironmentArgs): Record<string, string> {
  const emulator = settings.emulator;
  if (!Number.isInteger(replica) || replica < 1 || replica > emulator.replicas) {
    throw new Error(`emulatorEnvironment: replica ${replica} is not one of 1..${emulator.replicas}`);
  }
  const external = emulator.remoteWrite;
  if (emulator.sink === "remote-write" && !remoteWriteUrl && external.url === undefined) throw new Error("emulatorEnvironment: emulator.sink is remote-write but no remoteWriteUrl was given");
  const sharded = emulator.replicas > 1;
  const owner = shardOwner(emulatorOwner(project, stack), replica, emulator.replicas);
  return {
    PROMEMU_SCENARIO: emulator.scenario,
    ...(emulator.sink === "remote-write" ? { PROMEMU_REMOTE_WRITE_URL: external.url ?? remoteWriteUrl! } : { PROMEMU_PUSHGATEWAY_URL: pushgatewayUrl }),
    // An external receiver (emulator.remoteWrite.url): its token (a secret: the whole environment is one then) and headers.
    ...(external.url !== undefined && external.bearerToken !== undefined ? { PROMEMU_REMOTE_WRITE_BEARER_TOKEN: external.bearerToken } : {}),
    ...(external.url !== undefined && Object.keys(external.headers).length > 0
      ? { PROMEMU_REMOTE_WRITE_HEADERS: Object.keys(external.headers).sort().map((name) => `${name}=${external.headers[name]}`).join(",") }
      : {}),
    PROMEMU_PUSH_INTERVAL: emulator.pushInterval,
    PROMEMU_SEED: String(emulator.seed),
    PROMEMU_SPEED: String(emulator.speed),
    PROMEMU_LISTEN: `:${CONTAINER_PORTS.emulator}`,
    PROMEMU_JOB: EMULATOR_JOB,
    PROMEMU_OWNER: owner,
    PROMEMU_SET: encodeSet(emulator.set),
    PROMEMU_STATUS_INTERVAL: "60s",
    ...(sharded ? { PROMEMU_SHARD: `${replica}/${emulator.replicas}` } : {}),
    ...(emulator.maxSeries === undefined ? {} : { PROMEMU_MAX_SERIES: String(emulator.maxSeries) }),
    ...(startAt === undefined ? {} : { PROMEMU_START_AT: startAt }),
    ...(lokiUrl === undefined ? {} : { PROMEMU_LOKI_URL: lokiUrl }),
  };
}

/**
 * `emulator.set` as PROMEMU_SET: a JSON object (keys sorted, so that the environment only changes
 * with the values), which the emulator reads exactly: a value with a comma or a `=` survives, where
 * the `k=v,k=v` form would split it. Empty when there are no overrides.
 */
export function encodeSet(set: Readonly<Record<string, string | number | boolean>>): string {
  const keys = Object.keys(set).sort();
  return keys.length === 0 ? "" : JSON.stringify(Object.fromEntries(keys.map((key) => [key, set[key]])));
}
