import * as path from "path";
import * as yaml from "js-yaml";
import { dumpYaml } from "../../config/prometheus";
import { type AlertRule, renderAlertRules } from "../../config/rules";
import { parseDuration, parseSettings, type Settings } from "../../config/settings";
import { describeWith, runTool } from "../support/servers";
import { removeAll, writeFiles } from "./files";

const rulesOf = (settings: Settings): AlertRule[] =>
  (yaml.load(renderAlertRules(settings)) as { groups: { name: string; rules: AlertRule[] }[] }).groups.flatMap((g) => g.rules);

const DEFAULTS = parseSettings({}, "test");
/** Every threshold and duration moved away from its default, to show the rules follow the settings. */
const CUSTOM = parseSettings(
  {
    alerts: {
      cpuHigh: { threshold: 70, for: "90s" },
      cpuCritical: { threshold: 90, for: "45s" },
      memoryHigh: { threshold: 75, for: "2m" },
      serviceDownFor: "30s",
      pushFailureFor: "2m",
    },
  },
  "test",
);

/** The labels each rule's series really carry (emulated series, `up`, the Pushgateway's push_*_time_seconds). */
const HOST_LABELS = ["host", "role", "address", "environment", "job", "instance"];
const TARGET_LABELS = ["job", "instance"];
const SERIES_LABELS: Record<string, string[]> = {
  HighCPUUsage: HOST_LABELS,
  CriticalCPUUsage: HOST_LABELS,
  HighMemoryUsage: HOST_LABELS,
  HeavyTaskActive: HOST_LABELS,
  PushgatewayDown: TARGET_LABELS,
  PrometheusDown: TARGET_LABELS,
  EmulatorDown: TARGET_LABELS,
  PushFailed: ["job", "instance"],
};

describe("renderAlertRules", () => {
  it("has the seed's rules plus the failed-push and emulator-down rules", () => {
    expect(rulesOf(DEFAULTS).map((r) => r.alert)).toEqual([
      "HighCPUUsage",
      "CriticalCPUUsage",
      "HighMemoryUsage",
      "HeavyTaskActive",
      "PushgatewayDown",
      "PrometheusDown",
      "EmulatorDown",
      "PushFailed",
    ]);
  });

  it("takes thresholds and durations from settings.alerts", () => {
    const byName = new Map(rulesOf(CUSTOM).map((r) => [r.alert, r]));
    expect(byName.get("HighCPUUsage")).toMatchObject({ expr: "cpu_usage_percent > 70", for: "90s" });
    expect(byName.get("CriticalCPUUsage")).toMatchObject({ expr: "cpu_usage_percent > 90", for: "45s" });
    expect(byName.get("HighMemoryUsage")).toMatchObject({ expr: "memory_usage_percent > 75", for: "2m" });
    for (const name of ["PushgatewayDown", "PrometheusDown", "EmulatorDown"]) expect(byName.get(name)?.for).toBe("30s");
    expect(byName.get("PushFailed")).toMatchObject({ expr: "push_failure_time_seconds > push_time_seconds", for: "2m" });
  });

  it("leaves EmulatorDown out when the emulator is disabled (its job is not scraped then)", () => {
    const names = rulesOf(parseSettings({ emulator: { enabled: false } }, "test")).map((r) => r.alert);
    expect(names).not.toContain("EmulatorDown");
    expect(names).toContain("PushgatewayDown");
  });

  it("gives every rule severity, component, summary and description, using only labels its series have", () => {
    for (const rule of rulesOf(DEFAULTS)) {
      expect(["critical", "warning", "info"]).toContain(rule.labels.severity);
      expect(rule.labels.component).toMatch(/^[a-z]+$/);
      expect(rule.annotations.summary.length).toBeGreaterThan(10);
      expect(rule.annotations.description.length).toBeGreaterThan(20);
      const used = [...`${rule.annotations.summary} ${rule.annotations.description}`.matchAll(/\$labels\.(\w+)/g)].map((m) => m[1]);
      expect(used.filter((label) => !SERIES_LABELS[rule.alert].includes(label))).toEqual([]);
    }
  });
});

// ---- promtool test rules: one firing and at least one silent case per rule, generated from the settings ----

const STEP_S = 15;
const seconds = (duration: string) => parseDuration(duration)! / 1000;
/** Sample values every STEP_S seconds, as promtool's `values` string. */
const samples = (values: number[]) => values.join(" ");
const repeat = (value: number, durationS: number) => Array.from({ length: Math.floor(durationS / STEP_S) + 1 }, () => value);

interface Alert {
  exp_labels: Record<string, string>;
  exp_annotations: Record<string, string>;
}
interface UnitTest {
  name: string;
  interval: string;
  input_series: { series: string; values: string }[];
  alert_rule_test: { eval_time: string; alertname: string; exp_alerts: Alert[] }[];
}

const selector = (metric: string, labels: Record<string, string>) =>
  `${metric}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(", ")}}`;

const WORKER = { host: "worker-01", role: "worker", address: "10.0.0.11", environment: "sandbox", job: "promemu" };
const BALANCER = { host: "balancer-01", role: "balancer", address: "10.0.0.10", environment: "sandbox", job: "promemu" };

/** A "value above threshold for `for`" rule: fires once it held long enough; silent at the threshold and for a shorter peak. */
function thresholdCases(alert: string, metric: string, what: string, rule: { threshold: number; for: string }): UnitTest[] {
  const forS = seconds(rule.for);
  if (forS < 30) throw new Error(`fixture needs ${alert}.for >= 30s`);
  const above = rule.threshold + 7.5;
  const below = rule.threshold - 20;
  const long = forS + 120;
  const firing: Alert = {
    exp_labels: { ...WORKER, alertname: alert, severity: alert.startsWith("Critical") ? "critical" : "warning", component: "host" },
    exp_annotations: {
      summary: `${alert.startsWith("Critical") ? "Critical" : "High"} ${what} usage on worker-01`,
      description: `${what === "CPU" ? "CPU" : "Memory"} usage of worker-01 (role worker) has been above ${rule.threshold}% for ${rule.for}: ${above.toFixed(1)}% now.`,
    },
  };
  const series = selector(metric, WORKER);
  return [
    {
      name: `${alert} fires after ${rule.for} above ${rule.threshold}`,
      interval: `${STEP_S}s`,
      input_series: [{ series, values: samples(repeat(above, long)) }],
      alert_rule_test: [
        { eval_time: `${forS - STEP_S}s`, alertname: alert, exp_alerts: [] },
        { eval_time: `${forS + 30}s`, alertname: alert, exp_alerts: [firing] },
      ],
    },
    {
      name: `${alert} stays silent at exactly ${rule.threshold}`,
      interval: `${STEP_S}s`,
      input_series: [{ series, values: samples(repeat(rule.threshold, long)) }],
      alert_rule_test: [{ eval_time: `${forS + 30}s`, alertname: alert, exp_alerts: [] }],
    },
    {
      name: `${alert} stays silent for a peak shorter than ${rule.for}`,
      interval: `${STEP_S}s`,
      input_series: [{ series, values: samples([...repeat(above, forS - 30), ...repeat(below, long)]) }],
      alert_rule_test: [{ eval_time: `${forS + 60}s`, alertname: alert, exp_alerts: [] }],
    },
  ];
}

function targetDownCases(alert: string, service: string, job: string, severity: string, effect: string, downFor: string): UnitTest[] {
  const forS = seconds(downFor);
  const labels = { job, instance: `${job}:9999` };
  const series = selector("up", labels);
  const firing: Alert = {
    exp_labels: { ...labels, alertname: alert, severity, component: job },
    exp_annotations: {
      summary: `${service} ${job}:9999 is down`,
      description: `Prometheus has failed to scrape ${job}:9999 (job ${job}) for ${downFor}. ${effect}`,
    },
  };
  return [
    {
      name: `${alert} fires when up stays 0 for ${downFor}`,
      interval: `${STEP_S}s`,
      input_series: [{ series, values: samples(repeat(0, forS + 120)) }],
      alert_rule_test: [{ eval_time: `${forS + 30}s`, alertname: alert, exp_alerts: [firing] }],
    },
    {
      name: `${alert} stays silent while up is 1`,
      interval: `${STEP_S}s`,
      input_series: [{ series, values: samples(repeat(1, forS + 120)) }],
      alert_rule_test: [{ eval_time: `${forS + 30}s`, alertname: alert, exp_alerts: [] }],
    },
    {
      name: `${alert} stays silent for an outage shorter than ${downFor}`,
      interval: `${STEP_S}s`,
      input_series: [{ series, values: samples([...repeat(0, forS - 30), ...repeat(1, forS + 120)]) }],
      alert_rule_test: [{ eval_time: `${forS + 60}s`, alertname: alert, exp_alerts: [] }],
    },
  ];
}

function unitTests(settings: Settings): UnitTest[] {
  const { alerts } = settings;
  const rules = new Map(rulesOf(settings).map((r) => [r.alert, r]));
  const effectOf = (alert: string) => rules.get(alert)!.annotations.description.split(`for ${alerts.serviceDownFor}. `)[1];
  const heavy = selector("heavy_task_active", BALANCER);
  const pushLabels = { job: "promemu" };
  const pushForS = seconds(alerts.pushFailureFor);
  return [
    ...thresholdCases("HighCPUUsage", "cpu_usage_percent", "CPU", alerts.cpuHigh),
    ...thresholdCases("CriticalCPUUsage", "cpu_usage_percent", "CPU", alerts.cpuCritical),
    ...thresholdCases("HighMemoryUsage", "memory_usage_percent", "memory", alerts.memoryHigh),
    {
      name: "HeavyTaskActive fires as soon as the heavy task is on, and not before",
      interval: `${STEP_S}s`,
      input_series: [{ series: heavy, values: samples([0, 0, 1, 1, 1]) }],
      alert_rule_test: [
        { eval_time: "15s", alertname: "HeavyTaskActive", exp_alerts: [] },
        {
          eval_time: "30s",
          alertname: "HeavyTaskActive",
          exp_alerts: [
            {
              exp_labels: { ...BALANCER, alertname: "HeavyTaskActive", severity: "info", component: "workload" },
              exp_annotations: {
                summary: "Heavy task running on balancer-01",
                description: "balancer-01 (role balancer) started a heavy task: the workers' CPU and memory peak until it ends.",
              },
            },
          ],
        },
      ],
    },
    {
      name: "HeavyTaskActive stays silent while the heavy task is off",
      interval: `${STEP_S}s`,
      input_series: [{ series: heavy, values: samples([0, 0, 0, 0, 0]) }],
      alert_rule_test: [{ eval_time: "1m", alertname: "HeavyTaskActive", exp_alerts: [] }],
    },
    ...targetDownCases("PushgatewayDown", "Pushgateway", "pushgateway", "critical", effectOf("PushgatewayDown"), alerts.serviceDownFor),
    ...targetDownCases("PrometheusDown", "Prometheus", "prometheus", "critical", effectOf("PrometheusDown"), alerts.serviceDownFor),
    ...targetDownCases("EmulatorDown", "Emulator", "emulator", "warning", effectOf("EmulatorDown"), alerts.serviceDownFor),
    {
      name: `PushFailed fires when the last push failed for ${alerts.pushFailureFor}`,
      interval: `${STEP_S}s`,
      input_series: [
        { series: selector("push_time_seconds", pushLabels), values: samples(repeat(100, pushForS + 120)) },
        { series: selector("push_failure_time_seconds", pushLabels), values: samples(repeat(160, pushForS + 120)) },
      ],
      alert_rule_test: [
        {
          eval_time: `${pushForS + 30}s`,
          alertname: "PushFailed",
          exp_alerts: [
            {
              exp_labels: { ...pushLabels, alertname: "PushFailed", severity: "warning", component: "pushgateway" },
              exp_annotations: {
                summary: "Pushes of job promemu to the Pushgateway fail",
                description: `The last push of a group of job promemu was rejected by the Pushgateway, and no push of that group has succeeded since, for ${alerts.pushFailureFor}. The Pushgateway's log says why (e.g. a metric pushed with another type or help text).`,
              },
            },
          ],
        },
      ],
    },
    {
      name: "PushFailed stays silent when a push succeeded after the last failure",
      interval: `${STEP_S}s`,
      input_series: [
        { series: selector("push_time_seconds", pushLabels), values: samples(repeat(100, pushForS + 120)) },
        { series: selector("push_failure_time_seconds", pushLabels), values: samples(repeat(50, pushForS + 120)) },
      ],
      alert_rule_test: [{ eval_time: `${pushForS + 30}s`, alertname: "PushFailed", exp_alerts: [] }],
    },
  ];
}

describeWith(["promtool"])("alert rules on promtool (the pinned Prometheus)", () => {
  afterAll(removeAll);

  function promtoolTest(rules: string, tests: UnitTest[]) {
    const dir = writeFiles({
      "promemu-alerts.yml": rules,
      "promemu-alerts.test.yml": dumpYaml({ rule_files: ["promemu-alerts.yml"], evaluation_interval: `${STEP_S}s`, tests }),
    });
    return runTool("promtool", ["test", "rules", path.join(dir, "promemu-alerts.test.yml")]);
  }

  it.each([
    ["default", DEFAULTS],
    ["custom", CUSTOM],
  ])("`promtool check rules` accepts the rule file (%s settings)", (_label, settings) => {
    const dir = writeFiles({ "promemu-alerts.yml": renderAlertRules(settings) });
    const result = runTool("promtool", ["check", "rules", path.join(dir, "promemu-alerts.yml")]);
    expect(result.output).toContain(`SUCCESS: ${rulesOf(settings).length} rules found`);
    expect(result.status).toBe(0);
  });

  it.each([
    ["default", DEFAULTS],
    ["custom", CUSTOM],
  ])("every rule fires when it should and stays silent when it should not (%s settings)", (_label, settings) => {
    const tests = unitTests(settings);
    const covered = (firing: boolean) =>
      new Set(tests.flatMap((t) => t.alert_rule_test.filter((c) => c.exp_alerts.length > 0 === firing).map((c) => c.alertname)));
    const names = rulesOf(settings).map((r) => r.alert);
    expect([...covered(true)].sort()).toEqual([...names].sort());
    expect([...covered(false)].sort()).toEqual([...names].sort());

    const result = promtoolTest(renderAlertRules(settings), tests);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("fails the same unit tests on rules rendered from other thresholds", () => {
    const result = promtoolTest(renderAlertRules(DEFAULTS), unitTests(CUSTOM));
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("HighCPUUsage");
  });
});
