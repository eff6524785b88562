/**
 * The emulator container is configured only through its environment (PROMEMU_*): this is that
 * environment, so the live tests can run the emulator exactly as the container does.
 */
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
  /** Base URL of the Pushgateway as the emulator reaches it, e.g. http://pushgateway:9091. */
  pushgatewayUrl: string;
}

export function emulatorEnvironment({ settings, project, stack, pushgatewayUrl }: EmulatorEnvironmentArgs): Record<string, string> {
  const emulator = settings.emulator;
  return {
    PROMEMU_SCENARIO: emulator.scenario,
    PROMEMU_PUSHGATEWAY_URL: pushgatewayUrl,
    PROMEMU_PUSH_INTERVAL: emulator.pushInterval,
    PROMEMU_SEED: String(emulator.seed),
    PROMEMU_SPEED: String(emulator.speed),
    PROMEMU_LISTEN: `:${CONTAINER_PORTS.emulator}`,
    PROMEMU_JOB: EMULATOR_JOB,
    PROMEMU_OWNER: emulatorOwner(project, stack),
    PROMEMU_SET: encodeSet(emulator.set),
    PROMEMU_STATUS_INTERVAL: "60s",
    ...(emulator.maxSeries === undefined ? {} : { PROMEMU_MAX_SERIES: String(emulator.maxSeries) }),
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
