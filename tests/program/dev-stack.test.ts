/**
 * The whole program (index.ts) for the dev stack, under mocks, with Pulumi.dev.yaml's configuration:
 * what `pulumi up` would create, checked resource by resource, and the committed plan snapshot.
 */
import * as fs from "fs";
import * as path from "path";
import { ProgramRun } from "../../scripts/mocked-program";
import { diffPlans, renderText } from "../../scripts/plan-diff";
import { Plan, planJson, runProgram, toPlan } from "../../scripts/plan";
import { CONTAINER, named, NETWORK, ofType, REMOTE_IMAGE, VOLUME } from "../support/program";

const SNAPSHOT = path.join(__dirname, "dev.plan.json");

describe("the dev stack", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram("dev");
  });

  const container = (service: string) => named(run, `promemu-${service}-container`);

  it("declares one network, five volumes, six containers, five pulled images and one built image", () => {
    expect(ofType(run, NETWORK)).toHaveLength(1);
    expect(ofType(run, VOLUME)).toHaveLength(5);
    expect(ofType(run, CONTAINER)).toHaveLength(6);
    expect(ofType(run, REMOTE_IMAGE).map((i) => i.inputs.name).sort()).toEqual([
      "grafana/grafana:12.1.0",
      "prom/alertmanager:v0.28.1",
      "prom/prometheus:v3.5.0",
      "prom/pushgateway:v1.11.1",
      "victoriametrics/victoria-logs:v1.52.2",
    ]);
    expect(ofType(run, "docker:index/image:Image")).toHaveLength(1);
  });

  it("nests every resource under one MonitoringStack through one component per service", () => {
    expect(named(run, "promemu")).toMatchObject({ type: "promemu:index:MonitoringStack", parent: null });
    for (const [name, type] of [
      ["promemu-network", "StackNetwork"],
      ["promemu-pushgateway", "Pushgateway"],
      ["promemu-prometheus", "Prometheus"],
      ["promemu-alertmanager", "Alertmanager"],
      ["promemu-grafana", "Grafana"],
      ["promemu-emulator", "Emulator"],
      ["promemu-logs", "LogStore"],
    ]) {
      expect(named(run, name)).toMatchObject({ type: `promemu:index:${type}`, parent: "promemu" });
    }
    for (const r of run.resources.filter((r) => r.parent !== null)) {
      expect(r.name.startsWith(`${r.parent}-`)).toBe(true);
    }
  });

  it("publishes every service on 127.0.0.1 at its default port", () => {
    const published = Object.fromEntries(
      ofType(run, CONTAINER).map((c) => [c.inputs.hostname, (c.inputs.ports as { external: number; ip: string }[])[0]]),
    );
    expect(published).toEqual({
      pushgateway: expect.objectContaining({ external: 9091, ip: "127.0.0.1" }),
      prometheus: expect.objectContaining({ external: 9090, ip: "127.0.0.1" }),
      alertmanager: expect.objectContaining({ external: 9093, ip: "127.0.0.1" }),
      grafana: expect.objectContaining({ external: 3000, ip: "127.0.0.1" }),
      emulator: expect.objectContaining({ external: 9464, ip: "127.0.0.1" }),
      logs: expect.objectContaining({ external: 9428, ip: "127.0.0.1", protocol: "tcp" }),
    });
    // The log store's syslog listener, which the Docker daemon sends the containers' output to.
    expect((container("logs").inputs.ports as unknown[])[1]).toEqual({ internal: 5140, external: 5140, ip: "127.0.0.1", protocol: "udp" });
  });

  it("puts every container on the stack network, aliased by its service name, with a health check and health-gated create (the log store: none)", () => {
    for (const c of ofType(run, CONTAINER)) {
      const service = c.inputs.hostname as string;
      expect(c.inputs.networksAdvanced).toEqual([{ name: "promemu-dev", aliases: [service] }]);
      if (service === "logs") {
        // VictoriaLogs' image is distroless: no program a Docker health check could run.
        expect([c.inputs.healthcheck, c.inputs.wait]).toEqual([undefined, false]);
      } else {
        expect((c.inputs.healthcheck as { tests: string[] }).tests.slice(0, 4)).toEqual(["CMD", "wget", "-q", "--spider"]);
        expect(c.inputs.wait).toBe(true);
        // The collector: Docker's syslog driver to the store's listener, the container's name as APP-NAME.
        expect([c.inputs.logDriver, c.inputs.logOpts]).toEqual([
          "syslog",
          { "syslog-address": "udp://127.0.0.1:5140", "syslog-format": "rfc5424micro", tag: "{{.Name}}" },
        ]);
      }
      expect(c.inputs.name).toBe(`promemu-dev-${service}`);
      expect(c.inputs.labels).toEqual(expect.arrayContaining([{ label: "io.promemu.stack", value: "dev" }]));
    }
  });

  it("starts Prometheus after a healthy Pushgateway, Grafana after a healthy Prometheus, the emulator after a healthy Pushgateway", () => {
    expect(container("prometheus").dependsOn).toEqual(expect.arrayContaining(["promemu-pushgateway-container", "promemu-alertmanager-container"]));
    expect(container("grafana").dependsOn).toContain("promemu-prometheus-container");
    expect(container("emulator").dependsOn).toContain("promemu-pushgateway-container");
    expect(container("pushgateway").dependsOn.filter((d) => d.endsWith("-container"))).toEqual(["promemu-logs-container"]);
    expect(container("logs").dependsOn.filter((d) => d.endsWith("-container"))).toEqual([]);
  });

  it("ends `pulumi up` with a check that Prometheus scrapes every service, re-run when a container changes", () => {
    const check = named(run, "promemu-check-targets-up");
    expect(check).toMatchObject({ type: "command:local:Command", parent: "promemu-check" });
    expect(check.inputs.environment).toEqual({
      PROMETHEUS_URL: "http://127.0.0.1:9090",
      EXPECTED_JOBS: "alertmanager,emulator,grafana,logs,prometheus,pushgateway",
      TIMEOUT: "180s",
    });
    const containers = ofType(run, CONTAINER).map((c) => c.name);
    expect(check.dependsOn).toEqual(expect.arrayContaining(containers));
    expect(check.inputs.triggers).toHaveLength(containers.length);
  });

  it("keeps every data volume on destroy (keepData defaults to true) and mounts it", () => {
    for (const v of ofType(run, VOLUME)) expect(v.retainOnDelete).toBe(true);
    const mounts = Object.fromEntries(
      ofType(run, CONTAINER)
        .filter((c) => c.inputs.volumes)
        .map((c) => [c.inputs.hostname, (c.inputs.volumes as { volumeName: string }[])[0].volumeName]),
    );
    expect(mounts).toEqual({
      pushgateway: "promemu-dev-pushgateway-data",
      prometheus: "promemu-dev-prometheus-data",
      alertmanager: "promemu-dev-alertmanager-data",
      grafana: "promemu-dev-grafana-data",
      logs: "promemu-dev-logs-data",
    });
  });

  it("configures the emulator through its environment for the dev stack's scenario and owner", () => {
    expect(container("emulator").inputs.envs).toEqual(
      expect.arrayContaining([
        "PROMEMU_SCENARIO=default",
        "PROMEMU_SEED=42",
        "PROMEMU_PUSH_INTERVAL=15s",
        "PROMEMU_PUSHGATEWAY_URL=http://pushgateway:9091",
        "PROMEMU_OWNER=promemu-dev",
        "PROMEMU_LOKI_URL=http://logs:9428/insert/loki/api/v1/push",
      ]),
    );
  });

  it("exports URLs, names and a secret admin password", () => {
    expect(run.outputs).toMatchObject({
      project: "promemu",
      stack: "dev",
      urls: {
        pushgateway: "http://127.0.0.1:9091",
        prometheus: "http://127.0.0.1:9090",
        alertmanager: "http://127.0.0.1:9093",
        grafana: "http://127.0.0.1:3000",
        emulator: "http://127.0.0.1:9464",
        dashboard: "http://127.0.0.1:3000/d/promemu-overview",
      },
      containers: { prometheus: "promemu-dev-prometheus", emulator: "promemu-dev-emulator" },
      volumes: { prometheus: "promemu-dev-prometheus-data" },
      network: "promemu-dev",
      grafanaAdminUser: "admin",
      grafanaAdminPassword: "[secret]",
    });
  });

  it("exports, per service, the image reference a person reads beside the id the container runs", () => {
    const images = run.outputs.images as Record<string, { ref: string; id: string }>;
    expect(Object.keys(images).sort()).toEqual(["alertmanager", "emulator", "grafana", "logs", "prometheus", "pushgateway"]);
    expect(images.prometheus.ref).toBe("prom/prometheus:v3.5.0");
    expect(images.emulator.ref).toBe("promemu-dev-emulator:local");
    for (const [service, image] of Object.entries(images)) {
      expect(image.id).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(container(service).inputs.image).toBe(image.id);
    }
  });

  it("starts Prometheus without its admin and lifecycle APIs, readable only by the stack's own pages", () => {
    const command = container("prometheus").inputs.command as string[];
    expect(command).not.toContain("--web.enable-admin-api");
    expect(command).not.toContain("--web.enable-lifecycle");
    expect(command).toContain("--web.cors.origin=(http://127\\.0\\.0\\.1:3000|http://127\\.0\\.0\\.1:9090)");
  });

  it("never shows the generated password in any input", () => {
    const password = (container("grafana").revealedInputs.envs as string[]).find((e) => e.startsWith("GF_SECURITY_ADMIN_PASSWORD="))!.split("=")[1];
    expect(password.length).toBeGreaterThan(8);
    expect(JSON.stringify(run.resources.map((r) => r.inputs))).not.toContain(password);
    expect(JSON.stringify(run.outputs)).not.toContain(password);
  });

  it("matches the committed plan snapshot", () => {
    const current = planJson(toPlan(run));
    const committed = fs.existsSync(SNAPSHOT) ? fs.readFileSync(SNAPSHOT, "utf8") : "";
    if (current !== committed) {
      const base = committed ? (JSON.parse(committed) as Plan) : { project: "promemu", stack: "dev", resources: [] };
      const diff = renderText(diffPlans(base, toPlan(run)), { stack: "dev", base: "tests/program/dev.plan.json", head: "the program" });
      throw new Error(`the dev stack's plan changed; review the diff and, if intended, run\n  npm run --silent plan -- --stack dev > tests/program/dev.plan.json\n\n${diff}`);
    }
  });
});
