/**
 * alertmanager.yml. Every alert lands in the `default` receiver (no notification: alerts are visible in
 * Alertmanager's UI and API); with `alertmanager.webhookUrl` set, a child route sends every alert to the
 * `webhook` receiver too. Only keys Alertmanager 0.25 (Debian, the tests) and 0.28 (the image) share.
 */
import { dumpYaml } from "./prometheus";
import type { Settings } from "./settings";

export const DEFAULT_RECEIVER = "default";
export const WEBHOOK_RECEIVER = "webhook";

interface Receiver {
  name: string;
  webhook_configs?: { url: string; send_resolved: boolean }[];
}

interface Route {
  receiver: string;
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  continue?: boolean;
  routes?: Route[];
}

interface InhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal: string[];
}

export function renderAlertmanagerConfig(settings: Settings): string {
  const { groupWait, repeatInterval, webhookUrl } = settings.alertmanager;
  const receivers: Receiver[] = [{ name: DEFAULT_RECEIVER }];
  const route: Route = {
    receiver: DEFAULT_RECEIVER,
    // Per host, so that one host's peak does not hold back another's notification.
    group_by: ["alertname", "host"],
    group_wait: groupWait,
    group_interval: "5m",
    repeat_interval: repeatInterval,
  };
  if (webhookUrl) {
    receivers.push({ name: WEBHOOK_RECEIVER, webhook_configs: [{ url: webhookUrl, send_resolved: true }] });
    route.routes = [{ receiver: WEBHOOK_RECEIVER }];
  }
  const inhibitRules: InhibitRule[] = [
    // A host already critical need not also be reported as merely high.
    { source_matchers: ['alertname="CriticalCPUUsage"'], target_matchers: ['alertname="HighCPUUsage"'], equal: ["host"] },
  ];
  return dumpYaml({ route, receivers, inhibit_rules: inhibitRules });
}
