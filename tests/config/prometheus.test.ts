import * as path from "path";
import * as yaml from "js-yaml";
import { RULE_FILE, renderPrometheusConfig, SCRAPE_JOBS, type ScrapeTargets, corsOriginPattern } from "../../config/prometheus";
import { renderAlertRules } from "../../config/rules";
import { ConfigError, parseSettings } from "../../config/settings";
import { PROMETHEUS_CONFIG_PATH, PROMETHEUS_RULES_PATH } from "../../components/prometheus";
import { describeWith, runTool } from "../support/servers";
import { removeAll, writeFiles } from "./files";

/** The addresses the containers use inside the stack network. */
const STACK_TARGETS: Required<ScrapeTargets> = {
  prometheus: "prometheus:9090",
  pushgateway: "pushgateway:9091",
  emulator: "emulator:9464",
  alertmanager: "alertmanager:9093",
  grafana: "grafana:3000",
};
const MINIMAL_TARGETS: ScrapeTargets = { prometheus: STACK_TARGETS.prometheus, pushgateway: STACK_TARGETS.pushgateway };

interface ParsedConfig {
  global: { scrape_interval: string; evaluation_interval: string; external_labels: Record<string, string> };
  rule_files: string[];
  alerting?: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  scrape_configs: { job_name: string; honor_labels?: boolean; static_configs: { targets: string[] }[] }[];
}

function render(targets: ScrapeTargets, raw: Record<string, unknown> = {}, stack = "dev"): string {
  return renderPrometheusConfig({ settings: parseSettings(raw, "test"), stack, targets, ruleFiles: [RULE_FILE] });
}
const parse = (text: string) => yaml.load(text) as ParsedConfig;

/** Key paths (lists as []) of a parsed document; label maps are leaves, their names are the user's. */
function keyPaths(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => keyPaths(item, `${prefix}[]`));
  if (value === null || typeof value !== "object" || prefix.endsWith("external_labels")) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => keyPaths(child, prefix ? `${prefix}.${key}` : key));
}

/** Keys documented by both Prometheus 2.42 (the tests) and 3.5 (the image) with the same meaning. */
const KEYS_BOTH_VERSIONS_KNOW = new Set([
  "global.scrape_interval",
  "global.evaluation_interval",
  "global.external_labels",
  "alerting.alertmanagers[].static_configs[].targets[]",
  "rule_files[]",
  "scrape_configs[].job_name",
  "scrape_configs[].honor_labels",
  "scrape_configs[].static_configs[].targets[]",
]);

describe("renderPrometheusConfig", () => {
  it("scrapes every enabled service once under its contract job name, the Pushgateway with honor_labels", () => {
    const config = parse(render(STACK_TARGETS));
    const jobs = config.scrape_configs.map((job) => job.job_name);
    expect(jobs).toEqual(Object.values(SCRAPE_JOBS));
    for (const job of config.scrape_configs) {
      expect(job.static_configs).toEqual([{ targets: [STACK_TARGETS[job.job_name as keyof ScrapeTargets]] }]);
      expect(job.honor_labels === true).toBe(job.job_name === SCRAPE_JOBS.pushgateway);
    }
    expect(config.alerting).toEqual({ alertmanagers: [{ static_configs: [{ targets: ["alertmanager:9093"] }] }] });
  });

  it("leaves out the jobs of absent targets, and the alerting block without Alertmanager", () => {
    const config = parse(render(MINIMAL_TARGETS));
    expect(config.scrape_configs.map((job) => job.job_name)).toEqual([SCRAPE_JOBS.prometheus, SCRAPE_JOBS.pushgateway]);
    expect(config).not.toHaveProperty("alerting");
  });

  it("takes intervals and external labels from the settings and always adds the stack name as `stack`", () => {
    const config = parse(
      render(STACK_TARGETS, { prometheus: { scrapeInterval: "5s", evaluationInterval: "10s", externalLabels: { team: "qa", stack: "ignored" } } }, "alice"),
    );
    expect(config.global).toEqual({ scrape_interval: "5s", evaluation_interval: "10s", external_labels: { team: "qa", stack: "alice" } });
    expect(config.rule_files).toEqual([RULE_FILE]);
  });

  it("refuses a `$` in an external label, which Prometheus 3 would expand and 2.42 would not", () => {
    const attempt = () => render(STACK_TARGETS, { prometheus: { externalLabels: { region: "eu-$HOME" } } });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/promemu:prometheus\.externalLabels\.region: must not contain '\$'/);
  });

  it("names the rule file relative to prometheus.yml, which resolves to where the container gets it", () => {
    expect(path.posix.resolve(path.posix.dirname(PROMETHEUS_CONFIG_PATH), RULE_FILE)).toBe(PROMETHEUS_RULES_PATH);
  });

  it("uses only keys that Prometheus 2.42 and 3.5 both accept", () => {
    for (const targets of [STACK_TARGETS, MINIMAL_TARGETS]) {
      const unknown = keyPaths(yaml.load(render(targets))).filter((key) => !KEYS_BOTH_VERSIONS_KNOW.has(key));
      expect(unknown).toEqual([]);
    }
  });
});

describeWith(["promtool"])("prometheus.yml on promtool (Prometheus 2.42)", () => {
  afterAll(removeAll);

  /** The files exactly as the container gets them: prometheus.yml with the rule file beside it under rules/. */
  function check(targets: ScrapeTargets, raw: Record<string, unknown> = {}) {
    const settings = parseSettings(raw, "test");
    const dir = writeFiles({
      "prometheus.yml": renderPrometheusConfig({ settings, stack: "dev", targets, ruleFiles: [RULE_FILE] }),
      [RULE_FILE]: renderAlertRules(settings),
    });
    return runTool("promtool", ["check", "config", path.join(dir, "prometheus.yml")]);
  }

  it("accepts the full stack's configuration and reads its rule file", () => {
    const result = check(STACK_TARGETS);
    expect(result.output).toContain("SUCCESS");
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(result.status).toBe(0);
  });

  it("accepts the minimal configuration with short intervals and custom labels", () => {
    const result = check(MINIMAL_TARGETS, { prometheus: { scrapeInterval: "1s", evaluationInterval: "1s", externalLabels: { team: "qa" } } });
    expect(result.status).toBe(0);
  });

  it("is strict about keys it does not know, which is why 3.x-only keys are kept out", () => {
    const dir = writeFiles({
      "prometheus.yml": `${render(MINIMAL_TARGETS)}`.replace("  - job_name: prometheus\n", "  - job_name: prometheus\n    fallback_scrape_protocol: PrometheusText0.0.4\n"),
      [RULE_FILE]: "groups: []\n",
    });
    const result = runTool("promtool", ["check", "config", path.join(dir, "prometheus.yml")]);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("fallback_scrape_protocol");
  });
});

describe("--web.cors.origin", () => {
  it("matches exactly the given origins (Prometheus anchors the pattern), nothing else", () => {
    const pattern = corsOriginPattern(["http://127.0.0.1:9090", "http://127.0.0.1:3000/d/promemu-overview"]);
    const anchored = new RegExp(`^(?:${pattern})$`);
    expect(anchored.test("http://127.0.0.1:9090")).toBe(true);
    expect(anchored.test("http://127.0.0.1:3000")).toBe(true);
    for (const other of ["http://127.0.0.1:8080", "http://127a0a0a1:9090", "https://evil.example", "http://127.0.0.1:90900"]) {
      expect(anchored.test(other)).toBe(false);
    }
  });
});
