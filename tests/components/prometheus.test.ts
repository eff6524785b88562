import * as docker from "@pulumi/docker";
import { Prometheus } from "../../components/prometheus";
import { declareUnderMocks, expectServiceContainer, named, serviceBase, upload } from "../support/program";

describe("Prometheus", () => {
  let run: Awaited<ReturnType<typeof declareUnderMocks>>;
  beforeAll(async () => {
    run = await declareUnderMocks(() => {
      const gate = new docker.Network("gate", { name: "gate" });
      new Prometheus("prom", {
        ...serviceBase,
        image: "prom/prometheus:v3.5.0",
        hostPort: 19090,
        config: "global: {scrape_interval: 15s}\n",
        rules: "groups: []\n",
        extraRules: [{ fileName: "team.yml", content: "groups:\n  - name: team\n    rules: []\n" }],
        retentionTime: "3d",
        retentionSize: "2GB",
        externalUrl: "http://127.0.0.1:19090",
        corsOrigin: "http://127\\.0\\.0\\.1:19090",
        startAfter: [gate],
      });
    });
  });

  it("runs the pinned image with the shared service shape and its TSDB on the data volume", () => {
    expect(named(run, "prom").type).toBe("promemu:index:Prometheus");
    expectServiceContainer(named(run, "prom-container"), {
      service: "prometheus",
      containerName: "promemu-test-prometheus",
      hostPort: 19090,
      internalPort: 9090,
      healthPath: "/-/healthy",
      dataVolume: "promemu-test-prometheus-data",
      dataPath: "/prometheus",
    });
  });

  it("passes retention as flags, links alerts to the host URL, limits CORS to the stack's origins, enables no admin or lifecycle API", () => {
    expect(named(run, "prom-container").inputs.command).toEqual([
      "--config.file=/etc/prometheus/prometheus.yml",
      "--storage.tsdb.path=/prometheus",
      "--storage.tsdb.retention.time=3d",
      "--storage.tsdb.retention.size=2GB",
      "--web.external-url=http://127.0.0.1:19090",
      "--web.cors.origin=http://127\\.0\\.0\\.1:19090",
    ]);
  });

  it("delivers the configuration and the rules as uploads at the paths the command names", () => {
    const container = named(run, "prom-container");
    expect(upload(container, "/etc/prometheus/prometheus.yml")).toBe("global: {scrape_interval: 15s}\n");
    expect(upload(container, "/etc/prometheus/rules/promemu-alerts.yml")).toBe("groups: []\n");
  });

  it("delivers the user's extra rule files, content unchanged, in a folder of their own beside the stack's rules", () => {
    const container = named(run, "prom-container");
    expect(upload(container, "/etc/prometheus/rules/extra/team.yml")).toBe("groups:\n  - name: team\n    rules: []\n");
    expect((container.inputs.uploads as unknown[]).length).toBe(3);
  });

  it("is created only after the resources it must start after", () => {
    expect(named(run, "prom-container").dependsOn).toContain("gate");
  });

  it("does not accept remote write unless asked to", () => {
    expect(named(run, "prom-container").inputs.command).not.toContain("--web.enable-remote-write-receiver");
  });
});

describe("Prometheus for an emulator on remote write", () => {
  it("enables the remote-write receiver, and nothing else more", async () => {
    const run = await declareUnderMocks(() => {
      new Prometheus("prom", {
        ...serviceBase,
        image: "prom/prometheus:v3.5.0",
        hostPort: 19090,
        config: "global: {}\n",
        rules: "groups: []\n",
        retentionTime: "3d",
        retentionSize: "2GB",
        externalUrl: "http://127.0.0.1:19090",
        corsOrigin: "x",
        remoteWriteReceiver: true,
      });
    });
    const command = named(run, "prom-container").inputs.command as string[];
    expect(command.filter((flag) => flag.startsWith("--web.enable"))).toEqual(["--web.enable-remote-write-receiver"]);
  });
});
