/**
 * The program (index.ts) under mocks: exporter hosts of the emulator's scenario scraped as exporters, and the
 * user's extra rule files and dashboards read from the repository into the containers' uploads.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { exporterProfiles, parseSettings } from "../../config/settings";
import type { ProgramRun } from "../../scripts/mocked-program";
import { named, runIndexUnderMocks, upload } from "../support/program";
import { removeAll, writeFiles } from "../config/files";

const ROOT = path.resolve(__dirname, "../..");

const runProgram = (values: Record<string, string>): Promise<ProgramRun> => runIndexUnderMocks(values);

const prometheusYml = (run: ProgramRun) => yaml.load(upload(named(run, "promemu-prometheus-container"), "/etc/prometheus/prometheus.yml")) as {
  rule_files: string[];
  scrape_configs: { job_name: string; http_sd_configs?: { url: string }[] }[];
};
const checkEnv = (run: ProgramRun) => named(run, "promemu-check-targets-up").inputs.environment as Record<string, string>;

afterAll(removeAll);

describe("exporter hosts of the scenario", () => {
  it("scrapes fleet-calm's exporter hosts through the emulator's /sd/<profile>, one job per profile, and the end-of-up check waits for each", async () => {
    const run = await runProgram({ "promemu:emulator": JSON.stringify({ scenario: "fleet-calm" }) });
    const profiles = exporterProfiles(parseSettings({ emulator: { scenario: "fleet-calm" } }, "test"));
    expect(profiles).toContain("node");
    const jobs = prometheusYml(run).scrape_configs;
    for (const profile of profiles) {
      expect(jobs.find((job) => job.job_name === profile)?.http_sd_configs).toEqual([{ url: `http://emulator:9464/sd/${profile}`, refresh_interval: "30s" }]);
    }
    expect(checkEnv(run)).toMatchObject({ EXPECTED_JOBS: "alertmanager,emulator,grafana,logs,prometheus,pushgateway", EXPECTED_EXPORTER_JOBS: profiles.join(",") });
  });

  it("has no exporter job, and waits for none, for a scenario without exporter hosts or without the emulator", async () => {
    for (const emulator of [{ scenario: "default" }, { scenario: "fleet-calm", enabled: false }]) {
      const run = await runProgram({ "promemu:emulator": JSON.stringify(emulator) });
      const jobs = prometheusYml(run).scrape_configs.map((job) => job.job_name);
      expect(jobs).not.toContain("node");
      expect(checkEnv(run)).not.toHaveProperty("EXPECTED_EXPORTER_JOBS");
    }
  });

  it("reads the profiles from the scenario with its overrides", () => {
    const profiles = (emulator: Record<string, unknown>) => exporterProfiles(parseSettings({ emulator }, "test"));
    // Whatever profiles the fleets run (node, and those added since), each once, sorted.
    for (const scenario of ["fleet-calm", "fleet-faults"]) {
      const found = profiles({ scenario });
      expect(found).toContain("node");
      expect(found).toEqual([...new Set(found)].sort());
    }
    expect(profiles({ scenario: "fleet-calm", set: { "web.count": 0 } })).toContain("node");
    expect(profiles({ scenario: "default" })).toEqual([]);
    expect(profiles({ scenario: "hosts-load-with-peaks" })).toEqual([]);
    expect(profiles({ scenario: "fleet-calm", enabled: false })).toEqual([]);
  });
});

describe("the user's extra rule files and dashboards", () => {
  const RULES = "groups:\n  - name: team\n    rules:\n      - alert: TeamDown\n        expr: up == 0\n";
  const DASHBOARD = {
    uid: "team-overview",
    title: "Team",
    __inputs: [{ name: "DS_PROMETHEUS", type: "datasource", pluginId: "prometheus" }],
    panels: [{ id: 1, type: "timeseries", datasource: { type: "prometheus", uid: "${DS_PROMETHEUS}" }, targets: [{ expr: "up" }] }],
  };
  let dir: string;
  let config: Record<string, string>;
  beforeAll(() => {
    dir = writeFiles({ "monitoring/rules/team.yml": RULES, "monitoring/dashboards/team.json": JSON.stringify(DASHBOARD) });
    const relative = path.relative(ROOT, dir);
    config = {
      "promemu:prometheus": JSON.stringify({ extraRuleFiles: [`${relative}/monitoring/rules/*.yml`] }),
      "promemu:grafana": JSON.stringify({ extraDashboards: [`${relative}/monitoring/dashboards/team.json`] }),
    };
  });

  it("uploads each rule file with its content and lists it in prometheus.yml after the stack's own", async () => {
    const run = await runProgram(config);
    expect(upload(named(run, "promemu-prometheus-container"), "/etc/prometheus/rules/extra/team.yml")).toBe(RULES);
    expect(prometheusYml(run).rule_files).toEqual(["rules/promemu-alerts.yml", "rules/extra/team.yml"]);
  });

  it("uploads each dashboard bound to the stack's datasource, under a provider of the extra folder", async () => {
    const run = await runProgram(config);
    const grafana = named(run, "promemu-grafana-container");
    const dashboard = JSON.parse(upload(grafana, "/etc/grafana/dashboards-extra/team.json"));
    expect(dashboard.panels[0].datasource).toEqual({ type: "prometheus", uid: "promemu-prometheus" });
    const providers = (yaml.load(upload(grafana, "/etc/grafana/provisioning/dashboards/promemu.yml")) as { providers: { folder: string; options: { path: string } }[] }).providers;
    expect(providers.map((p) => `${p.folder} ${p.options.path}`)).toEqual(["promemu /etc/grafana/dashboards", "extra /etc/grafana/dashboards-extra"]);
  });

  it("shows an edit of a user's file in the uploads, so in preview's diff", async () => {
    const before = upload(named(await runProgram(config), "promemu-prometheus-container"), "/etc/prometheus/rules/extra/team.yml");
    fs.writeFileSync(path.join(dir, "monitoring/rules/team.yml"), RULES.replace("up == 0", "up < 1"));
    const after = upload(named(await runProgram(config), "promemu-prometheus-container"), "/etc/prometheus/rules/extra/team.yml");
    fs.writeFileSync(path.join(dir, "monitoring/rules/team.yml"), RULES);
    expect(before).toContain("up == 0");
    expect(after).toContain("up < 1");
  });

  it("stops the program before any resource, naming the setting, the file and the problem", async () => {
    const bad = writeFiles({ "rules.yml": "groups: {", "dash.json": "[1," });
    const relative = path.relative(ROOT, bad);
    const attempt = runProgram({
      "promemu:prometheus": JSON.stringify({ extraRuleFiles: [`${relative}/rules.yml`, `${relative}/missing.yml`] }),
      "promemu:grafana": JSON.stringify({ extraDashboards: [`${relative}/dash.json`] }),
    });
    await expect(attempt).rejects.toThrow(/invalid configuration in Pulumi\.probe\.yaml/);
    await expect(attempt).rejects.toThrow(new RegExp(`promemu:prometheus\\.extraRuleFiles: ${relative}/rules\\.yml is not valid YAML`));
    await expect(attempt).rejects.toThrow(new RegExp(`promemu:prometheus\\.extraRuleFiles: ${relative}/missing\\.yml does not exist`));
    await expect(attempt).rejects.toThrow(new RegExp(`promemu:grafana\\.extraDashboards: ${relative}/dash\\.json is not JSON`));
  });
});
