/**
 * promemu: a Prometheus monitoring sandbox on Docker. The configuration is read once, here, validated
 * against config/settings.ts, and handed as typed arguments to one MonitoringStack.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, Settings, settingsFromConfig } from "./config/settings";
import { MonitoringStack } from "./components/monitoring-stack";

const project = pulumi.getProject();
const stack = pulumi.getStack();

// The SDK marks isConfigSecret internal (Config.getSecret wraps any key, secret or not), but it is the only
// way to learn which keys were set with --secret; @pulumi/pulumi is pinned to a minor version.
const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret;

function readSettings(): { settings: Settings; secretKeys: string[] } {
  const config = pulumi.runtime.allConfig();
  const secretKeys = Object.keys(config).filter((key) => key.startsWith(`${project}:`) && isConfigSecret(key));
  try {
    return { settings: settingsFromConfig(config, `Pulumi.${stack}.yaml`, project, secretKeys), secretKeys };
  } catch (err) {
    // RunError: Pulumi prints the message alone, without a stack trace.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

const { settings, secretKeys } = readSettings();

const monitoring = new MonitoringStack("promemu", {
  project,
  stack,
  settings,
  secretSettings: secretKeys.map((key) => key.slice(project.length + 1)),
  // Relative to the project folder, where Pulumi runs the program: plans stay the same on every checkout.
  emulatorContext: "emulator",
});

export { project, stack };
export const urls = monitoring.urls;
export const containers = monitoring.containers;
export const volumes = monitoring.volumes;
export const images = monitoring.images;
export const network = monitoring.network.name;
export const grafanaAdminUser = monitoring.grafanaAdminUser;
export const grafanaAdminPassword = monitoring.grafanaAdminPassword;
