/**
 * The program (index.ts) under mocks with the other two shapes of `logs`: Loki as the store (`logs.backend: loki`), and
 * no log store at all (`logs.enabled: false`). The default (VictoriaLogs with the syslog collector) is dev-stack.test.ts's.
 */
import * as yaml from "js-yaml";
import { GRAFANA_DASHBOARDS_DIR, GRAFANA_DATASOURCES_PATH } from "../../components/grafana";
import { PROMETHEUS_CONFIG_PATH } from "../../components/prometheus";
import { LOKI_CONFIG_PATH, renderLokiConfig } from "../../config/logs";
import { LOG_STORE_IMAGES, parseSettings } from "../../config/settings";
import type { ProgramRun, RecordedResource } from "../../scripts/mocked-program";
import { CONTAINER, containerEnv, named, ofType, REMOTE_IMAGE, runIndexUnderMocks, upload, VOLUME } from "../support/program";

interface Panel {
  type: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; queryType?: string; datasource?: { type: string } }[];
}

const container = (run: ProgramRun, service: string) => named(run, `promemu-${service}-container`);
const datasources = (run: ProgramRun) => (yaml.load(upload(container(run, "grafana"), GRAFANA_DATASOURCES_PATH)) as { datasources: { uid: string; type: string; url: string }[] }).datasources;
const overviewPanels = (run: ProgramRun) => (JSON.parse(upload(container(run, "grafana"), `${GRAFANA_DASHBOARDS_DIR}/promemu-overview.json`)) as { panels: Panel[] }).panels;
const scrapeJobs = (run: ProgramRun) =>
  (yaml.load(upload(container(run, "prometheus"), PROMETHEUS_CONFIG_PATH)) as { scrape_configs: { job_name: string }[] }).scrape_configs.map((j) => j.job_name);
const logDrivers = (run: ProgramRun) => ofType(run, CONTAINER).map((c: RecordedResource) => [c.inputs.hostname, c.inputs.logDriver ?? null, c.inputs.logOpts ?? null]);

describe("the log store's Docker health check", () => {
  it("none for VictoriaLogs (distroless) nor for a Loki from 3.6 (busybox removed) or pinned by digest alone: its HTTP is probed instead", async () => {
    for (const logs of [{}, { backend: "loki", image: "grafana/loki:3.6.0" }, { backend: "loki", image: `grafana/loki@sha256:${"a".repeat(64)}` }]) {
      const other = await runIndexUnderMocks({ "promemu:logs": JSON.stringify(logs) });
      expect([JSON.stringify(logs), container(other, "logs").inputs.healthcheck, container(other, "logs").inputs.wait]).toEqual([JSON.stringify(logs), undefined, false]);
      expect(scrapeJobs(other)).toContain("logs");
    }
  });

  it("a Loki image carries wget up to 3.5 (gcr.io/distroless/static:debug), not from 3.6", async () => {
    const { lokiImageHasWget } = await import("../../config/logs");
    expect(["grafana/loki:3.5.3", "grafana/loki:2.9.4", "registry.local:5000/grafana/loki:3.0"].map(lokiImageHasWget)).toEqual([true, true, true]);
    expect(["grafana/loki:3.6.0", "grafana/loki:4.0.1", "grafana/loki:latest", "grafana/loki@sha256:abc"].map(lokiImageHasWget)).toEqual([false, false, false, false]);
  });
});

describe("logs.backend: loki", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runIndexUnderMocks({ "promemu:logs": JSON.stringify({ backend: "loki" }) });
  });

  it("runs the pinned Loki image with its rendered configuration file, on its volume, and publishes no syslog listener", () => {
    const store = container(run, "logs");
    expect(ofType(run, REMOTE_IMAGE).map((i) => i.inputs.name)).toContain(LOG_STORE_IMAGES.loki);
    expect(ofType(run, REMOTE_IMAGE).map((i) => i.inputs.name)).not.toContain(LOG_STORE_IMAGES.victorialogs);
    expect(store.inputs.command).toEqual([`-config.file=${LOKI_CONFIG_PATH}`, "-target=all"]);
    expect(upload(store, LOKI_CONFIG_PATH)).toBe(renderLokiConfig(parseSettings({ logs: { backend: "loki" } }, "test")));
    expect(store.inputs.volumes).toEqual([{ volumeName: "promemu-probe-logs-data", containerPath: "/loki" }]);
    // The HTTP API only: Loki has no syslog input, so no UDP port for a collector.
    expect(store.inputs.ports).toEqual([{ internal: 9428, external: 9428, ip: "127.0.0.1", protocol: "tcp" }]);
  });

  it("gives the pinned Loki (busybox's wget on its PATH, up to 3.5) the stack's health check, and the scrape job too", () => {
    expect(container(run, "logs").inputs.healthcheck).toMatchObject({ tests: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:9428/metrics"] });
    expect(container(run, "logs").inputs.wait).toBe(true);
    expect(scrapeJobs(run)).toContain("logs");
    expect((named(run, "promemu-check-targets-up").inputs.environment as Record<string, string>).EXPECTED_JOBS).toContain("logs");
  });

  it("ships no container's output (no syslog log driver), and points the emulator at Loki's own push path", () => {
    expect(logDrivers(run).filter(([, driver]) => driver !== null)).toEqual([]);
    expect(containerEnv(run, "promemu-emulator-container").PROMEMU_LOKI_URL).toBe("http://logs:9428/loki/api/v1/push");
  });

  it("gives Grafana the core Loki datasource (no plugin to install) and LogQL log panels", () => {
    expect(datasources(run).find((d) => d.uid === "promemu-logs")).toMatchObject({ type: "loki", url: "http://logs:9428" });
    // Grafana's environment holds its admin password: a secret as a whole, read revealed.
    expect(JSON.stringify(container(run, "grafana").revealedInputs.envs)).not.toContain("GF_PLUGINS_PREINSTALL");
    const logPanels = overviewPanels(run).filter((p) => p.type === "logs");
    expect(logPanels.length).toBeGreaterThan(0);
    for (const panel of logPanels) {
      expect(panel.datasource).toEqual({ type: "loki", uid: "promemu-logs" });
      expect(panel.targets).toEqual([expect.objectContaining({ queryType: "range", datasource: panel.datasource })]);
    }
  });
});

describe("logs.enabled: false", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runIndexUnderMocks({ "promemu:logs": JSON.stringify({ enabled: false }) });
  });

  it("declares no log store: no container, volume or image, no URL", () => {
    expect(run.resources.filter((r) => r.name.startsWith("promemu-logs"))).toEqual([]);
    expect(ofType(run, CONTAINER).map((c) => c.inputs.hostname)).not.toContain("logs");
    expect(ofType(run, VOLUME).map((v) => v.inputs.name)).not.toContain("promemu-probe-logs-data");
    expect(ofType(run, REMOTE_IMAGE).map((i) => i.inputs.name).filter((name) => Object.values(LOG_STORE_IMAGES).includes(name as string))).toEqual([]);
    expect(Object.keys(run.outputs.urls as Record<string, string>)).not.toContain("logs");
  });

  it("no emulator push URL, no syslog log driver, no logs scrape job or check", () => {
    expect(containerEnv(run, "promemu-emulator-container")).not.toHaveProperty("PROMEMU_LOKI_URL");
    expect(logDrivers(run).filter(([, driver]) => driver !== null)).toEqual([]);
    expect(scrapeJobs(run)).not.toContain("logs");
    expect((named(run, "promemu-check-targets-up").inputs.environment as Record<string, string>).EXPECTED_JOBS).not.toContain("logs");
  });

  it("gives Grafana no logs datasource, no plugin and no log panel", () => {
    expect(datasources(run).map((d) => d.uid)).not.toContain("promemu-logs");
    expect(JSON.stringify(container(run, "grafana").revealedInputs.envs)).not.toContain("GF_PLUGINS_PREINSTALL");
    const panels = overviewPanels(run);
    expect(panels.filter((p) => p.type === "logs")).toEqual([]);
    expect(JSON.stringify(panels)).not.toContain("promemu-logs");
  });
});
