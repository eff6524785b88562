import * as path from "path";
import * as yaml from "js-yaml";
import { DEFAULT_RECEIVER, renderAlertmanagerConfig, WEBHOOK_RECEIVER } from "../../config/alertmanager";
import { parseSettings } from "../../config/settings";
import { describeWith, runTool } from "../support/servers";
import { removeAll, writeFiles } from "./files";

const WEBHOOK = "http://chat-bridge.example:8080/alerts";

interface ParsedConfig {
  route: { receiver: string; group_wait: string; repeat_interval: string; routes?: { receiver: string }[] };
  receivers: { name: string; webhook_configs?: { url: string; send_resolved: boolean }[] }[];
  inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
}
const render = (raw: Record<string, unknown>) => yaml.load(renderAlertmanagerConfig(parseSettings(raw, "test"))) as ParsedConfig;

describe("renderAlertmanagerConfig", () => {
  it("sends everything to a notification-less default receiver when no webhook is set", () => {
    const config = render({});
    expect(config.receivers).toEqual([{ name: DEFAULT_RECEIVER }]);
    expect(config.route).toMatchObject({ receiver: DEFAULT_RECEIVER, group_wait: "10s", repeat_interval: "4h" });
    expect(config.route.routes).toBeUndefined();
  });

  it("adds the webhook receiver from the settings and routes every alert to it", () => {
    const config = render({ alertmanager: { webhookUrl: WEBHOOK, groupWait: "30s", repeatInterval: "12h" } });
    expect(config.receivers).toContainEqual({ name: WEBHOOK_RECEIVER, webhook_configs: [{ url: WEBHOOK, send_resolved: true }] });
    expect(config.route).toMatchObject({ receiver: DEFAULT_RECEIVER, group_wait: "30s", repeat_interval: "12h", routes: [{ receiver: WEBHOOK_RECEIVER }] });
  });

  it("lets CriticalCPUUsage silence HighCPUUsage of the same host", () => {
    expect(render({}).inhibit_rules).toEqual([
      { source_matchers: ['alertname="CriticalCPUUsage"'], target_matchers: ['alertname="HighCPUUsage"'], equal: ["host"] },
    ]);
  });
});

describeWith(["amtool"])("alertmanager.yml on amtool (Alertmanager 0.25)", () => {
  afterAll(removeAll);

  const write = (content: string) => path.join(writeFiles({ "alertmanager.yml": content }), "alertmanager.yml");

  it.each([
    ["without webhook", {}],
    ["with webhook", { alertmanager: { webhookUrl: WEBHOOK } }],
  ])("`amtool check-config` accepts it (%s)", (_label, raw) => {
    const result = runTool("amtool", ["check-config", write(renderAlertmanagerConfig(parseSettings(raw, "test")))]);
    expect(result.output).toContain("SUCCESS");
    expect(result.output).toContain("1 inhibit rules");
    expect(result.status).toBe(0);
  });

  it("routes an alert to the receivers the settings ask for", () => {
    // amtool prints the receivers on the first line (a warning about --alertmanager.url may follow on stderr).
    const receiversFor = (raw: Record<string, unknown>) => {
      const file = write(renderAlertmanagerConfig(parseSettings(raw, "test")));
      return runTool("amtool", ["config", "routes", "test", `--config.file=${file}`, "alertname=HighCPUUsage", "host=worker-01"]).output.split("\n")[0];
    };
    expect(receiversFor({})).toBe(DEFAULT_RECEIVER);
    expect(receiversFor({ alertmanager: { webhookUrl: WEBHOOK } })).toBe(WEBHOOK_RECEIVER);
  });

  it("rejects a configuration whose route names an unknown receiver (the check is not a formality)", () => {
    const broken = renderAlertmanagerConfig(parseSettings({}, "test")).replace(`receiver: ${DEFAULT_RECEIVER}`, "receiver: nobody");
    const result = runTool("amtool", ["check-config", write(broken)]);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("nobody");
  });
});
