import * as path from "path";
import * as yaml from "js-yaml";
import * as fs from "fs";
import {
  EXTRA_RULES_DIR,
  EXPORTER_SD_REFRESH,
  RULE_FILE,
  exporterJobs,
  extraRuleFile,
  renderPrometheusConfig,
  SCRAPE_JOBS,
  type ScrapeTargets,
  corsOriginPattern,
} from "../../config/prometheus";
import { renderAlertRules } from "../../config/rules";
import { ConfigError, parseSettings } from "../../config/settings";
import { PROMETHEUS_CONFIG_PATH, PROMETHEUS_EXTRA_RULES_DIR, PROMETHEUS_RULES_PATH } from "../../components/prometheus";
import { waitForTargets } from "../../scripts/wait-for-targets";
import { serveScenario, type ServedScenario } from "../support/emulator-server";
import { describeWith, runTool, startPrometheus, stopAllServers, waitForQueryValue } from "../support/servers";
import { removeAll, writeFiles } from "./files";

/** The addresses the containers use inside the stack network. */
const SERVICE_TARGETS = {
  prometheus: "prometheus:9090",
  pushgateway: "pushgateway:9091",
  emulator: "emulator:9464",
  alertmanager: "alertmanager:9093",
  grafana: "grafana:3000",
  logs: "logs:9428",
};
const STACK_TARGETS: Required<ScrapeTargets> = { ...SERVICE_TARGETS, exporters: exporterJobs(["node", "postgres"], "emulator:9464") };
const MINIMAL_TARGETS: ScrapeTargets = { prometheus: STACK_TARGETS.prometheus, pushgateway: STACK_TARGETS.pushgateway };

interface ParsedConfig {
  global: { scrape_interval: string; evaluation_interval: string; external_labels: Record<string, string> };
  rule_files: string[];
  alerting?: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  scrape_configs: {
    job_name: string;
    honor_labels?: boolean;
    static_configs?: { targets: string[] }[];
    http_sd_configs?: { url: string; refresh_interval: string }[];
  }[];
}

function render(targets: ScrapeTargets, raw: Record<string, unknown> = {}, stack = "dev"): string {
  return renderPrometheusConfig({ settings: parseSettings(raw, "test"), stack, targets, ruleFiles: [RULE_FILE] });
}
const parse = (text: string) => yaml.load(text) as ParsedConfig;

describe("renderPrometheusConfig", () => {
  it("scrapes every enabled service once under its contract job name, the Pushgateway with honor_labels", () => {
    const config = parse(render({ ...STACK_TARGETS, exporters: [] }));
    const jobs = config.scrape_configs.map((job) => job.job_name);
    expect(jobs).toEqual(Object.values(SCRAPE_JOBS));
    for (const job of config.scrape_configs) {
      expect(job.static_configs).toEqual([{ targets: [SERVICE_TARGETS[job.job_name as keyof typeof SERVICE_TARGETS]] }]);
      expect(job.honor_labels === true).toBe(job.job_name === SCRAPE_JOBS.pushgateway);
    }
    expect(config.alerting).toEqual({ alertmanagers: [{ static_configs: [{ targets: ["alertmanager:9093"] }] }] });
  });

  it("scrapes each exporter profile as a job of the profile's name, its hosts discovered through the emulator's /sd/<profile>", () => {
    const config = parse(render(STACK_TARGETS));
    const exporters = config.scrape_configs.filter((job) => !Object.values(SCRAPE_JOBS).includes(job.job_name as never));
    expect(exporters).toEqual([
      { job_name: "node", http_sd_configs: [{ url: "http://emulator:9464/sd/node", refresh_interval: EXPORTER_SD_REFRESH }] },
      { job_name: "postgres", http_sd_configs: [{ url: "http://emulator:9464/sd/postgres", refresh_interval: EXPORTER_SD_REFRESH }] },
    ]);
    // Nothing may override what the emulator's target groups say: no metrics_path, no relabelling, no honor_labels.
    for (const job of exporters) expect(Object.keys(job).sort()).toEqual(["http_sd_configs", "job_name"]);
  });

  it("scrapes every emulator replica in the one emulator job, and discovers exporter hosts from each (a replica lists only its shard)", () => {
    const replicas = ["emulator:9464", "emulator-2:9464", "emulator-3:9464"];
    const config = parse(render({ ...MINIMAL_TARGETS, emulator: replicas, exporters: exporterJobs(["node"], replicas) }));
    expect(config.scrape_configs.filter((job) => job.job_name === SCRAPE_JOBS.emulator)).toEqual([{ job_name: "emulator", static_configs: [{ targets: replicas }] }]);
    expect(config.scrape_configs.find((job) => job.job_name === "node")?.http_sd_configs).toEqual(
      ["emulator", "emulator-2", "emulator-3"].map((host) => ({ url: `http://${host}:9464/sd/node`, refresh_interval: EXPORTER_SD_REFRESH })),
    );
  });

  it("lists the extra rule files after the stack's own, in their folder beside it, where the container gets them", () => {
    const config = parse(
      renderPrometheusConfig({ settings: parseSettings({}, "test"), stack: "dev", targets: MINIMAL_TARGETS, ruleFiles: [RULE_FILE, extraRuleFile("team.yml")] }),
    );
    expect(config.rule_files).toEqual([RULE_FILE, `${EXTRA_RULES_DIR}/team.yml`]);
    expect(path.posix.resolve(path.posix.dirname(PROMETHEUS_CONFIG_PATH), extraRuleFile("team.yml"))).toBe(`${PROMETHEUS_EXTRA_RULES_DIR}/team.yml`);
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

  it("refuses a `$` in an external label, which Prometheus 3 would expand from its environment", () => {
    const attempt = () => render(STACK_TARGETS, { prometheus: { externalLabels: { region: "eu-$HOME" } } });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/promemu:prometheus\.externalLabels\.region: must not contain '\$'/);
  });

  it("names the rule file relative to prometheus.yml, which resolves to where the container gets it", () => {
    expect(path.posix.resolve(path.posix.dirname(PROMETHEUS_CONFIG_PATH), RULE_FILE)).toBe(PROMETHEUS_RULES_PATH);
  });

});

describeWith(["promtool"])("prometheus.yml on promtool (the pinned Prometheus)", () => {
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

  it("accepts several emulator replicas and one service discovery per replica in an exporter job", () => {
    const replicas = ["emulator:9464", "emulator-2:9464"];
    const result = check({ ...MINIMAL_TARGETS, emulator: replicas, exporters: exporterJobs(["node"], replicas) });
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("accepts the minimal configuration with short intervals and custom labels", () => {
    const result = check(MINIMAL_TARGETS, { prometheus: { scrapeInterval: "1s", evaluationInterval: "1s", externalLabels: { team: "qa" } } });
    expect(result.status).toBe(0);
  });

  it("is strict about keys it does not know, so a misspelt key in the renderer fails here", () => {
    const dir = writeFiles({
      "prometheus.yml": `${render(MINIMAL_TARGETS)}`.replace("  - job_name: prometheus\n", "  - job_name: prometheus\n    scrape_intervall: 5s\n"),
      [RULE_FILE]: "groups: []\n",
    });
    const result = runTool("promtool", ["check", "config", path.join(dir, "prometheus.yml")]);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("scrape_intervall");
  });
});

const COMMUNITY_RULES = path.resolve(__dirname, "../../../shared/community/awesome-prometheus-alerts/host-and-hardware-node-exporter.yml");

/** Needs promtool and the community rule file (../shared/community, read in place): skipped with a notice without them, except under CI=true. */
function describeWithCommunityRules(): jest.Describe {
  if (fs.existsSync(COMMUNITY_RULES)) return describeWith(["promtool"]);
  const notice = `community fixtures not found at ${COMMUNITY_RULES}`;
  if (process.env.CI === "true") throw new Error(`${notice}; under CI=true a skipped test is a failure`);
  console.warn(`SKIPPED: ${notice}`);
  return describe.skip;
}

describeWithCommunityRules()("prometheus.yml with exporter jobs and extra rule files on promtool (the pinned Prometheus)", () => {
  afterAll(removeAll);

  it("accepts the sd jobs and loads the community node rules as an extra rule file beside the stack's own", () => {
    const settings = parseSettings({}, "test");
    const community = fs.readFileSync(COMMUNITY_RULES, "utf8");
    const dir = writeFiles({
      "prometheus.yml": renderPrometheusConfig({ settings, stack: "dev", targets: STACK_TARGETS, ruleFiles: [RULE_FILE, extraRuleFile("node-exporter.yml")] }),
      [RULE_FILE]: renderAlertRules(settings),
      [extraRuleFile("node-exporter.yml")]: community,
    });
    const result = runTool("promtool", ["check", "config", path.join(dir, "prometheus.yml")]);
    expect(result.status).toBe(0);
    const ownRules = (yaml.load(renderAlertRules(settings)) as { groups: { rules: unknown[] }[] }).groups.flatMap((g) => g.rules).length;
    const communityRules = (yaml.load(community) as { groups: { rules: unknown[] }[] }).groups.flatMap((g) => g.rules).length;
    expect(result.output).toContain(`SUCCESS: ${ownRules} rules found`);
    expect(result.output).toContain(`SUCCESS: ${communityRules} rules found`);
  });
});

describeWith(["prometheus"])("exporter jobs on the pinned Prometheus against the emulator's /sd/node", () => {
  // The emulator's own HTTP endpoint and runner, as its container serves them, playing fleet-calm.
  let emulator: ServedScenario;
  let prometheusUrl: string;
  const HOSTS = ["batch-01", "db-01", "db-02", "web-01", "web-02", "web-03", "web-04"];

  const api = async (pathAndQuery: string) => {
    const response = await fetch(`${prometheusUrl}${pathAndQuery}`);
    return ((await response.json()) as { data: unknown }).data;
  };

  beforeAll(async () => {
    emulator = await serveScenario("fleet-calm", ["scrape.interval=1s"]);
    const settings = parseSettings({ prometheus: { scrapeInterval: "1s", evaluationInterval: "1s" } }, "test");
    const emulatorAddress = new URL(emulator.url).host;
    const dir = writeFiles({
      "prometheus.yml": renderPrometheusConfig({ settings, stack: "dev", targets: { ...MINIMAL_TARGETS, exporters: exporterJobs(["node"], emulatorAddress) }, ruleFiles: [] }),
    });
    const prometheus = await startPrometheus({ configFile: path.join(dir, "prometheus.yml") });
    prometheusUrl = prometheus.url;
    await waitForQueryValue(prometheus, 'count(up{job="node"} == 1)', String(HOSTS.length));
  }, 60_000);

  afterAll(async () => {
    await emulator?.stop();
    await stopAllServers();
    removeAll();
  });

  it("gives each host job node, instance <host>:9100 and its own path on the emulator, with no relabelling", async () => {
    const data = (await api("/api/v1/targets?state=active")) as { activeTargets: { labels: Record<string, string>; scrapeUrl: string; health: string }[] };
    const node = data.activeTargets.filter((t) => t.labels.job === "node");
    expect(node.map((t) => `${t.labels.instance} ${new URL(t.scrapeUrl).pathname} ${t.health}`).sort()).toEqual(
      HOSTS.map((h) => `${h}:9100 /hosts/${h}/metrics up`),
    );
  });

  it("answers label_values(node_uname_info, instance) as on a real fleet", async () => {
    const values = (await api(`/api/v1/label/instance/values?${new URLSearchParams({ "match[]": "node_uname_info" })}`)) as string[];
    expect(values).toEqual(HOSTS.map((h) => `${h}:9100`));
  });

  it("satisfies the end-of-up check for the exporter job, which fails for a profile the scenario lacks", async () => {
    await expect(waitForTargets({ prometheusUrl, jobs: [], exporterJobs: ["node"], timeoutMs: 5_000, intervalMs: 200 })).resolves.toBeDefined();
    await expect(waitForTargets({ prometheusUrl, jobs: [], exporterJobs: ["postgres"], timeoutMs: 400, intervalMs: 200 })).rejects.toThrow(
      /postgres: no target discovered yet/,
    );
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
