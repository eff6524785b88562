/**
 * The alert rules (one rule file). Thresholds and `for` durations come from `settings.alerts`; every rule
 * has `severity` and `component` labels, and its annotations use only labels its series really carry:
 * host, role, address, environment and job on the emulated series; job and instance on `up`; job and the
 * group's labels on the Pushgateway's push_*_time_seconds.
 */
import { dumpYaml, SCRAPE_JOBS } from "./prometheus";
import type { Settings } from "./settings";

export type Severity = "critical" | "warning" | "info";

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: Severity; component: string };
  annotations: { summary: string; description: string };
}

interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

const VALUE = '{{ printf "%.1f" $value }}';

/** "<metric> above a percentage for a while" on an emulated host. */
function thresholdRule(alert: string, metric: string, severity: Severity, summary: string, resource: string, rule: { threshold: number; for: string }): AlertRule {
  return {
    alert,
    expr: `${metric} > ${rule.threshold}`,
    for: rule.for,
    labels: { severity, component: "host" },
    annotations: {
      summary: `${summary} on {{ $labels.host }}`,
      description: `${resource} usage of {{ $labels.host }} (role {{ $labels.role }}) has been above ${rule.threshold}% for ${rule.for}: ${VALUE}% now.`,
    },
  };
}

function hostRules(settings: Settings): AlertRule[] {
  const { cpuHigh, cpuCritical, memoryHigh } = settings.alerts;
  return [
    thresholdRule("HighCPUUsage", "cpu_usage_percent", "warning", "High CPU usage", "CPU", cpuHigh),
    thresholdRule("CriticalCPUUsage", "cpu_usage_percent", "critical", "Critical CPU usage", "CPU", cpuCritical),
    thresholdRule("HighMemoryUsage", "memory_usage_percent", "warning", "High memory usage", "Memory", memoryHigh),
    {
      alert: "HeavyTaskActive",
      expr: "heavy_task_active == 1",
      labels: { severity: "info", component: "workload" },
      annotations: {
        summary: "Heavy task running on {{ $labels.host }}",
        description: "{{ $labels.host }} (role {{ $labels.role }}) started a heavy task: the workers' CPU and memory peak until it ends.",
      },
    },
  ];
}

/**
 * `up == 0` rather than `absent(up)`: the targets are static, so a stopped service keeps its target and
 * reports up 0; `up` only vanishes when the job leaves the configuration, and then its rule goes too.
 */
function serviceDown(alert: string, service: string, job: string, severity: Severity, effect: string, settings: Settings): AlertRule {
  const downFor = settings.alerts.serviceDownFor;
  return {
    alert,
    expr: `up{job="${job}"} == 0`,
    for: downFor,
    labels: { severity, component: job },
    annotations: {
      summary: `${service} {{ $labels.instance }} is down`,
      description: `Prometheus has failed to scrape {{ $labels.instance }} (job {{ $labels.job }}) for ${downFor}. ${effect}`,
    },
  };
}

function stackRules(settings: Settings): AlertRule[] {
  const rules = [
    serviceDown("PushgatewayDown", "Pushgateway", SCRAPE_JOBS.pushgateway, "critical", "Pushed metrics are neither accepted nor scraped: every emulated series goes stale.", settings),
    serviceDown(
      "PrometheusDown",
      "Prometheus",
      SCRAPE_JOBS.prometheus,
      "critical",
      // A Prometheus that is down evaluates no rule: be honest about what this one can catch.
      "This is Prometheus failing to scrape its own /metrics (an overloaded server, or a web listener broken by a bad reload); a Prometheus that is fully down cannot fire it, its container health check shows that.",
      settings,
    ),
  ];
  if (settings.emulator.enabled) {
    rules.push(serviceDown("EmulatorDown", "Emulator", SCRAPE_JOBS.emulator, "warning", "The emulator's own metrics are missing and it is most likely not pushing either.", settings));
  }
  rules.push({
    alert: "PushFailed",
    expr: "push_failure_time_seconds > push_time_seconds",
    for: settings.alerts.pushFailureFor,
    labels: { severity: "warning", component: SCRAPE_JOBS.pushgateway },
    annotations: {
      summary: "Pushes of job {{ $labels.job }} to the Pushgateway fail",
      description: `The last push of a group of job {{ $labels.job }} was rejected by the Pushgateway, and no push of that group has succeeded since, for ${settings.alerts.pushFailureFor}. The Pushgateway's log says why (e.g. a metric pushed with another type or help text).`,
    },
  });
  return rules;
}

function ruleGroups(settings: Settings): RuleGroup[] {
  return [
    { name: "promemu-hosts", rules: hostRules(settings) },
    { name: "promemu-stack", rules: stackRules(settings) },
  ];
}

/** One rule file (YAML) for /etc/prometheus/rules/promemu-alerts.yml. */
export function renderAlertRules(settings: Settings): string {
  return dumpYaml({ groups: ruleGroups(settings) });
}
