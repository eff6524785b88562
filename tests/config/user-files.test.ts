/**
 * The user's extra rule files and dashboards (`prometheus.extraRuleFiles`, `grafana.extraDashboards`): found by
 * path or pattern relative to the project directory, checked (promtool for the rules), and the dashboards bound to
 * the stack's datasource. Community fixtures are read in place from ../shared/community, never copied.
 */
import * as fs from "fs";
import * as path from "path";
import { bindDashboardDatasources, checkDashboard, OWN_DASHBOARD_UIDS } from "../../config/grafana";
import { ConfigError, parseSettings } from "../../config/settings";
import { findPromtool, loadUserFiles, UserFiles } from "../../config/user-files";
import { describeWith } from "../support/servers";
import { removeAll, writeFiles } from "./files";

const ROOT = path.resolve(__dirname, "../..");
const COMMUNITY = path.resolve(ROOT, "../shared/community");
const COMMUNITY_RULES = path.join(COMMUNITY, "awesome-prometheus-alerts/host-and-hardware-node-exporter.yml");
const COMMUNITY_DASHBOARD = path.join(COMMUNITY, "grafana-dashboards/node-exporter-full.json");

const RULES = "groups:\n  - name: team\n    rules:\n      - alert: TeamDown\n        expr: up == 0\n        for: 1m\n";
const dashboardJson = (uid: string, extra: Record<string, unknown> = {}) => JSON.stringify({ uid, title: uid, panels: [], ...extra });

afterAll(removeAll);

function load(files: Record<string, string>, settings: { rules?: string[]; dashboards?: string[] }, promtool: string | null = null): UserFiles {
  const projectDir = writeFiles(files);
  return loadUserFiles(parseSettings({ prometheus: { extraRuleFiles: settings.rules ?? [] }, grafana: { extraDashboards: settings.dashboards ?? [] } }, "test"), {
    projectDir,
    source: "Pulumi.test.yaml",
    promtool,
    reservedDashboardUids: OWN_DASHBOARD_UIDS,
  });
}

function problems(files: Record<string, string>, settings: { rules?: string[]; dashboards?: string[] }, promtool: string | null = null): string[] {
  try {
    load(files, settings, promtool);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain("Pulumi.test.yaml");
    return (err as ConfigError).issues;
  }
  throw new Error("expected the files to be refused");
}

describe("finding the files", () => {
  it("takes paths and file-name patterns relative to the project directory, sorted, each file once, content unchanged", () => {
    const files = load(
      { "monitoring/rules/b.yml": RULES, "monitoring/rules/a.yml": RULES, "monitoring/rules/notes.txt": "x", "monitoring/rules/.hidden.yml": RULES },
      { rules: ["monitoring/rules/*.yml", "monitoring/rules/a.yml"] },
    );
    expect(files.ruleFiles).toEqual([
      { fileName: "a.yml", content: RULES },
      { fileName: "b.yml", content: RULES },
    ]);
  });

  it("names the setting and the pattern when a file is missing or a pattern matches nothing", () => {
    expect(problems({ "x.txt": "" }, { rules: ["monitoring/missing.yml", "monitoring/rules/*.yml"], dashboards: ["dash/*.json"] })).toEqual([
      "promemu:prometheus.extraRuleFiles: monitoring/missing.yml does not exist",
      "promemu:prometheus.extraRuleFiles: monitoring/rules/*.yml matches no file: the folder monitoring/rules does not exist",
      "promemu:grafana.extraDashboards: dash/*.json matches no file: the folder dash does not exist",
    ]);
  });

  it("refuses two files of one name, which would land on one path in the container", () => {
    expect(problems({ "a/rules.yml": RULES, "b/rules.yml": RULES }, { rules: ["a/rules.yml", "b/*.yml"] })).toEqual([
      "promemu:prometheus.extraRuleFiles: b/rules.yml and a/rules.yml have the same file name; the container keeps them in one folder, so rename one",
    ]);
  });

  it("refuses absolute paths and wildcards outside the file name in the settings themselves", () => {
    const attempt = (rules: string[]) => () => parseSettings({ prometheus: { extraRuleFiles: rules } }, "Pulumi.test.yaml");
    expect(attempt(["/etc/rules.yml"])).toThrow(/promemu:prometheus\.extraRuleFiles\.0: must be a path relative to the project directory/);
    expect(attempt(["monitoring/**/*.yml"])).toThrow(/promemu:prometheus\.extraRuleFiles\.0: may use \* and \? in the file name only/);
    expect(attempt(["rules/[ab].yml"])).toThrow(/may use \* and \? in the file name only/);
  });
});

/** Nine levels of nine aliases: 1 KB that expands to a billion values when walked. */
const BILLION_LAUGHS = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
  .concat(Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]`))
  .join("\n");

describe("rule files", () => {
  it("refuses a file that is not YAML, naming the line", () => {
    expect(problems({ "bad.yml": "groups:\n  - name: x\n   rules: [" }, { rules: ["bad.yml"] })).toEqual([
      expect.stringMatching(/^promemu:prometheus\.extraRuleFiles: bad\.yml is not valid YAML \(line \d+, column \d+\): /),
    ]);
  });

  it("refuses, in bounded memory, a rule file whose aliases expand without end (billion laughs)", () => {
    expect(problems({ "laughs.yml": `${BILLION_LAUGHS}\ngroups: [*i]\n` }, { rules: ["laughs.yml"] })).toEqual([
      expect.stringMatching(/^promemu:prometheus\.extraRuleFiles: laughs\.yml is not valid YAML: the document expands to more than 1,000,000 values/),
    ]);
  });

  it("refuses YAML that is not a rule file", () => {
    expect(problems({ "list.yml": "- alert: X\n", "dash.yml": "panels: []\n" }, { rules: ["*.yml"] })).toEqual([
      "promemu:prometheus.extraRuleFiles: dash.yml is not a Prometheus rule file: it must be a YAML map with a `groups` list",
      "promemu:prometheus.extraRuleFiles: list.yml is not a Prometheus rule file: it must be a YAML map with a `groups` list",
    ]);
  });

  it("says, at every run, that the rules were not given to promtool when there is none", () => {
    expect(load({ "r.yml": RULES }, { rules: ["r.yml"] }, null).notices).toEqual([expect.stringMatching(/^promemu:prometheus\.extraRuleFiles: promtool is not installed here/)]);
    expect(load({}, {}, null).notices).toEqual([]);
  });
});

describeWith(["promtool"])("rule files on promtool (the pinned Prometheus)", () => {
  const promtool = () => findPromtool() ?? findPromtool("/usr/bin:/usr/local/bin")!;

  it("accepts valid rules silently", () => {
    expect(load({ "r.yml": RULES }, { rules: ["r.yml"] }, promtool()).notices).toEqual([]);
  });

  it("refuses rules promtool refuses: bad PromQL, a rule without a name, with promtool's reason", () => {
    const badExpr = "groups:\n  - name: g\n    rules:\n      - alert: Broken\n        expr: rate(up[5m]\n";
    const noName = "groups:\n  - name: g\n    rules:\n      - expr: up\n";
    const found = problems({ "bad-expr.yml": badExpr, "no-name.yml": noName }, { rules: ["bad-expr.yml", "no-name.yml"] }, promtool());
    expect(found).toEqual([
      expect.stringMatching(/^promemu:prometheus\.extraRuleFiles: bad-expr\.yml fails `promtool check rules`: .*(parse error|unclosed|expected)/),
      expect.stringMatching(/^promemu:prometheus\.extraRuleFiles: no-name\.yml fails `promtool check rules`: .*(record|alert)/),
    ]);
  });
});

describe("dashboards", () => {
  it("refuses a file that is not JSON, has no panels list or no uid", () => {
    expect(
      problems(
        {
          "d/broken.json": "{ not json",
          "d/api.json": JSON.stringify({ dashboard: { uid: "x", panels: [] } }),
          "d/old.json": JSON.stringify({ uid: "old", rows: [] }),
          "d/nouid.json": JSON.stringify({ panels: [] }),
          "d/list.json": "[]",
        },
        { dashboards: ["d/*.json"] },
      ),
    ).toEqual([
      "promemu:grafana.extraDashboards: d/api.json has no panels list (this looks like an API answer: save its `dashboard` object instead)",
      expect.stringMatching(/^promemu:grafana\.extraDashboards: d\/broken\.json is not JSON: /),
      "promemu:grafana.extraDashboards: d/list.json is not a dashboard: the JSON must be an object (the dashboard model, as Grafana's 'Export as JSON' saves it)",
      "promemu:grafana.extraDashboards: d/nouid.json has no uid: give it one of 1-40 letters, digits, - or _ (Grafana finds provisioned dashboards by uid)",
      "promemu:grafana.extraDashboards: d/old.json has no panels list (rows of a dashboard from before Grafana 5: open and save it in a current Grafana first)",
    ]);
  });

  it("refuses a uid taken by another extra dashboard or by one of the stack's own", () => {
    expect(
      problems({ "a.json": dashboardJson("team"), "b.json": dashboardJson("team"), "c.json": dashboardJson("promemu-overview") }, { dashboards: ["*.json"] }),
    ).toEqual([
      "promemu:grafana.extraDashboards: b.json has the uid team, as a.json has; every dashboard needs a uid of its own",
      "promemu:grafana.extraDashboards: c.json has the uid promemu-overview, as one of the stack's own dashboards has; every dashboard needs a uid of its own",
    ]);
  });

  it("gives the dashboards bound to the stack's datasource, as pretty JSON", () => {
    const shared = dashboardJson("shared", {
      __inputs: [{ name: "DS_PROMETHEUS", type: "datasource", pluginId: "prometheus" }],
      panels: [{ id: 1, datasource: { type: "prometheus", uid: "${DS_PROMETHEUS}" }, targets: [{ expr: "up", datasource: "${DS_PROMETHEUS}" }] }],
    });
    const [dashboard] = load({ "shared.json": shared }, { dashboards: ["shared.json"] }).dashboards;
    expect(dashboard.fileName).toBe("shared.json");
    expect(dashboard.content).toContain('\n  "panels": [');
    const parsed = JSON.parse(dashboard.content);
    expect(parsed.panels[0].datasource).toEqual({ type: "prometheus", uid: "promemu-prometheus" });
    expect(parsed.panels[0].targets[0].datasource).toBe("promemu-prometheus");
    expect(parsed).not.toHaveProperty("__inputs");
  });

  it("ignores the dashboards when Grafana is off", () => {
    const projectDir = writeFiles({ "bad.json": "{" });
    const settings = parseSettings({ grafana: { enabled: false, extraDashboards: ["bad.json"] } }, "test");
    expect(loadUserFiles(settings, { projectDir, source: "x", promtool: null, reservedDashboardUids: [] }).dashboards).toEqual([]);
  });
});

describe("bindDashboardDatasources", () => {
  const bind = (dashboard: Record<string, unknown>) => {
    const result = bindDashboardDatasources(dashboard);
    if (!result.ok) throw new Error(result.problem);
    return result.value;
  };

  it("binds the Prometheus input wherever it is used, fills constants in, drops __inputs and the id", () => {
    const bound = bind({
      id: 17,
      uid: "u",
      __inputs: [
        { name: "DS_PROM", type: "datasource", pluginId: "prometheus" },
        { name: "VAR_JOB", type: "constant", value: "node" },
      ],
      panels: [{ datasource: "$DS_PROM", targets: [{ expr: 'up{job="${VAR_JOB}"}', datasource: { type: "prometheus", uid: "${DS_PROM}" } }] }],
      templating: { list: [{ type: "query", datasource: { uid: "${DS_PROM}" }, query: "label_values(up, instance)" }] },
    });
    expect(bound).toEqual({
      id: null,
      uid: "u",
      panels: [{ datasource: "promemu-prometheus", targets: [{ expr: 'up{job="node"}', datasource: { type: "prometheus", uid: "promemu-prometheus" } }] }],
      templating: { list: [{ type: "query", datasource: { uid: "promemu-prometheus" }, query: "label_values(up, instance)" }] },
    });
  });

  it("points a reference to someone else's Prometheus uid at the stack's, and leaves datasource variables alone", () => {
    const bound = bind({
      uid: "u",
      panels: [
        { datasource: { type: "prometheus", uid: "P1809F7CD0C75ACF3" } },
        { datasource: { type: "prometheus", uid: "${ds_prometheus}" } },
        { datasource: { type: "loki", uid: "abc" } },
      ],
      templating: { list: [{ type: "datasource", name: "ds_prometheus", query: "prometheus", current: {} }] },
    });
    expect(bound.panels).toEqual([
      { datasource: { type: "prometheus", uid: "promemu-prometheus" } },
      { datasource: { type: "prometheus", uid: "${ds_prometheus}" } },
      { datasource: { type: "loki", uid: "abc" } },
    ]);
    expect(bound.templating).toEqual({ list: [{ type: "datasource", name: "ds_prometheus", query: "prometheus", current: {} }] });
  });

  it("refuses an input of a datasource kind the stack has not", () => {
    expect(bindDashboardDatasources({ uid: "u", panels: [], __inputs: [{ name: "DS_LOKI", type: "datasource", pluginId: "loki" }] })).toEqual({
      ok: false,
      problem: "needs a loki datasource (input DS_LOKI); the stack has only Prometheus (uid promemu-prometheus)",
    });
  });
});

const haveCommunity = fs.existsSync(COMMUNITY_RULES) && fs.existsSync(COMMUNITY_DASHBOARD);
if (!haveCommunity) {
  const notice = `community fixtures not found in ${COMMUNITY}`;
  if (process.env.CI === "true") throw new Error(`${notice}; under CI=true a skipped test is a failure`);
  console.warn(`SKIPPED: ${notice}`);
}

(haveCommunity ? describeWith(["promtool"]) : describe.skip)("the community files as a team's own (../shared/community, read in place)", () => {
  it("loads awesome-prometheus-alerts' node rules and Node Exporter Full, checked by promtool, unchanged but for the id", () => {
    const files = loadUserFiles(
      parseSettings(
        {
          prometheus: { extraRuleFiles: [path.relative(ROOT, COMMUNITY_RULES)] },
          grafana: { extraDashboards: [path.relative(ROOT, path.dirname(COMMUNITY_DASHBOARD)) + "/node-exporter-*.json"] },
        },
        "test",
      ),
      { projectDir: ROOT, source: "Pulumi.test.yaml", promtool: findPromtool() ?? findPromtool("/usr/bin")!, reservedDashboardUids: OWN_DASHBOARD_UIDS },
    );
    expect(files.ruleFiles).toEqual([{ fileName: "host-and-hardware-node-exporter.yml", content: fs.readFileSync(COMMUNITY_RULES, "utf8") }]);
    expect(files.dashboards.map((d) => d.fileName)).toEqual(["node-exporter-full.json"]);
    const original = JSON.parse(fs.readFileSync(COMMUNITY_DASHBOARD, "utf8"));
    expect(checkDashboard(original)).toEqual({ ok: true, value: { uid: original.uid } });
    // It binds through its datasource variable (resolved to the default datasource, the stack's): nothing to rewrite.
    expect(JSON.parse(files.dashboards[0].content)).toEqual({ ...original, id: null });
  });
});
