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
  const overrides = Object.entries(emulator.set)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`);
  return {
    PROMEMU_SCENARIO: emulator.scenario,
    PROMEMU_PUSHGATEWAY_URL: pushgatewayUrl,
    PROMEMU_PUSH_INTERVAL: emulator.pushInterval,
    PROMEMU_SEED: String(emulator.seed),
    PROMEMU_SPEED: String(emulator.speed),
    PROMEMU_LISTEN: `:${CONTAINER_PORTS.emulator}`,
    PROMEMU_JOB: EMULATOR_JOB,
    PROMEMU_OWNER: emulatorOwner(project, stack),
    PROMEMU_SET: overrides.join(","),
    PROMEMU_STATUS_INTERVAL: "60s",
  };
}
