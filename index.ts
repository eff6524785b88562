/**
 * promemu: a Prometheus monitoring sandbox on Docker. The configuration is read once, here, validated
 * against config/settings.ts, and handed as typed arguments to one MonitoringStack.
 */
import * as pulumi from "@pulumi/pulumi";
import { OWN_DASHBOARD_UIDS } from "./config/grafana";
import { ConfigError, exporterProfiles, Settings, settingsFromConfig } from "./config/settings";
import { findPromtool, loadUserFiles, UserFiles } from "./config/user-files";
import { MonitoringStack } from "./components/monitoring-stack";

const project = pulumi.getProject();
const stack = pulumi.getStack();

// The SDK marks isConfigSecret internal (Config.getSecret wraps any key, secret or not), but it is the only
// way to learn which keys were set with --secret; @pulumi/pulumi is pinned to a minor version.
const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret;

/**
 * The settings, and what they point at: the exporter profiles of the emulator's scenario and the user's extra rule
 * files and dashboards, read and checked here (promtool included) so that a bad file stops preview and up alike.
 */
function readSettings(): { settings: Settings; secretKeys: string[]; profiles: string[]; userFiles: UserFiles } {
  const config = pulumi.runtime.allConfig();
  const secretKeys = Object.keys(config).filter((key) => key.startsWith(`${project}:`) && isConfigSecret(key));
  const source = `Pulumi.${stack}.yaml`;
  try {
    const settings = settingsFromConfig(config, source, project, secretKeys);
    const userFiles = loadUserFiles(settings, {
      // This file sits in the project directory; Pulumi runs the program there too, but a test or plan may not.
      projectDir: __dirname,
      source,
      project,
      promtool: findPromtool(),
      reservedDashboardUids: OWN_DASHBOARD_UIDS,
    });
    return { settings, secretKeys, profiles: exporterProfiles(settings), userFiles };
  } catch (err) {
    // RunError: Pulumi prints the message alone, without a stack trace.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

const { settings, secretKeys, profiles, userFiles } = readSettings();
for (const notice of userFiles.notices) void pulumi.log.warn(notice);

const monitoring = new MonitoringStack("promemu", {
  project,
  stack,
  settings,
  secretSettings: secretKeys.map((key) => key.slice(project.length + 1)),
  // Relative to the project folder, where Pulumi runs the program: plans stay the same on every checkout.
  emulatorContext: "emulator",
  exporterProfiles: profiles,
  extraRuleFiles: userFiles.ruleFiles,
  extraDashboards: userFiles.dashboards,
});

export { project, stack };
export const urls = monitoring.urls;
export const containers = monitoring.containers;
export const volumes = monitoring.volumes;
export const images = monitoring.images;
export const network = monitoring.network.name;
export const grafanaAdminUser = monitoring.grafanaAdminUser;
export const grafanaAdminPassword = monitoring.grafanaAdminPassword;
/** Every emulator container (`emulator.replicas`), in shard order; `containers.emulator` is the first. */
export const emulatorContainers = monitoring.emulatorContainers;
/** `emulator.history`: when the history starts (the live emulator goes on from there), and what its recording-rule step said. */
export const history = monitoring.history;
