/**
 * promemu: a Prometheus monitoring sandbox on Docker. The configuration is read once, here, validated
 * against config/settings.ts, and handed as typed arguments to one MonitoringStack.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, Settings, settingsFromConfig } from "./config/settings";
import { MonitoringStack } from "./components/monitoring-stack";

const project = pulumi.getProject();
const stack = pulumi.getStack();

function readSettings(): Settings {
  try {
    return settingsFromConfig(pulumi.runtime.allConfig(), `Pulumi.${stack}.yaml`, project);
  } catch (err) {
    // RunError: Pulumi prints the message alone, without a stack trace.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

const settings = readSettings();
const config = new pulumi.Config();

const monitoring = new MonitoringStack("promemu", {
  project,
  stack,
  settings,
  grafanaAdminPassword: config.getSecret("grafanaAdminPassword"),
  // Relative to the project folder, where Pulumi runs the program: plans stay the same on every checkout.
  emulatorContext: "emulator",
});

export { project, stack };
export const urls = monitoring.urls;
export const containers = monitoring.containers;
export const volumes = monitoring.volumes;
export const network = monitoring.network.name;
export const grafanaAdminUser = monitoring.grafanaAdminUser;
export const grafanaAdminPassword = monitoring.grafanaAdminPassword;
