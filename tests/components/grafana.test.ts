import * as pulumi from "@pulumi/pulumi";
import { GENERATE_PASSWORD, Grafana } from "../../components/grafana";
import { renderGrafanaEntrypoint } from "../../config/grafana/entrypoint";
import { SECRET_MASK } from "../../scripts/mocked-program";
import { declareUnderMocks, expectServiceContainer, named, ofType, serviceBase, upload } from "../support/program";

const provisioning = {
  datasources: "apiVersion: 1\ndatasources: []\n",
  dashboardProvider: "apiVersion: 1\nproviders: []\n",
  dashboards: [
    { fileName: "overview.json", json: '{"uid":"promemu-overview"}' },
    { fileName: "health.json", json: '{"uid":"promemu-health"}' },
  ],
  homeDashboard: "overview.json",
  rootUrl: "http://127.0.0.1:13000",
};

const COMMAND = "command:local:Command";
const passwordEnv = (envs: string[]) => envs.find((e) => e.startsWith("GF_SECURITY_ADMIN_PASSWORD="))!.slice("GF_SECURITY_ADMIN_PASSWORD=".length);

describe("Grafana", () => {
  let run: Awaited<ReturnType<typeof declareUnderMocks>>;
  let revealed: Record<string, string>;
  beforeAll(async () => {
    run = await declareUnderMocks(() => {
      const generated = new Grafana("gen", {
        ...serviceBase,
        image: "grafana/grafana:12.1.0",
        hostPort: 13000,
        anonymousAccess: true,
        entrypoint: renderGrafanaEntrypoint({ adminUser: "admin" }),
        ...provisioning,
        extraDashboards: [{ fileName: "team.json", json: '{"uid":"team","panels":[]}' }],
      });
      const given = new Grafana("given", {
        ...serviceBase,
        stack: "other",
        image: "grafana/grafana:12.1.0",
        hostPort: 13001,
        adminPassword: pulumi.secret("a-long-given-password"),
        anonymousAccess: false,
        entrypoint: renderGrafanaEntrypoint({ adminUser: "root" }),
        ...provisioning,
      });
      return { generated: generated.adminPassword, given: given.adminPassword };
    });
    // The outputs' values, for comparing with what the containers receive.
    revealed = {};
    await declareUnderMocks(() => {
      const g = new Grafana("gen", { ...serviceBase, image: "grafana/grafana:12.1.0", hostPort: 13000, anonymousAccess: true, entrypoint: "", ...provisioning });
      g.adminPassword.apply((p) => (revealed.generated = p));
    });
  });

  it("runs the pinned image with the shared service shape and its database on the data volume", () => {
    expect(named(run, "gen").type).toBe("promemu:index:Grafana");
    expectServiceContainer(named(run, "gen-container"), {
      service: "grafana",
      containerName: "promemu-test-grafana",
      hostPort: 13000,
      internalPort: 3000,
      healthPath: "/api/health",
      dataVolume: "promemu-test-grafana-data",
      dataPath: "/var/lib/grafana",
    });
  });

  it("generates the password with the program's own Node.js (no random provider), once, its output a secret in the state", () => {
    const commands = ofType(run, COMMAND);
    expect(commands.map((c) => c.name)).toEqual(["gen-admin-password"]);
    expect(commands[0]).toMatchObject({ parent: "gen", inputs: { create: GENERATE_PASSWORD, logging: "none" }, additionalSecretOutputs: ["stdout"] });
    // No triggers and no update command: nothing makes it run again on a later `up`.
    expect(commands[0].inputs.triggers).toBeUndefined();
    expect(commands[0].inputs.update).toBeUndefined();
    expect(ofType(run, "random:index/randomPassword:RandomPassword")).toEqual([]);
  });

  it("prints 24 URL-safe random characters", () => {
    const { execSync } = require("child_process") as typeof import("child_process");
    const a = execSync(GENERATE_PASSWORD, { encoding: "utf8" });
    const b = execSync(GENERATE_PASSWORD, { encoding: "utf8" });
    expect(a).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(a).not.toBe(b);
  });

  it("gives the container the very password it outputs, and never admin/admin", () => {
    const password = passwordEnv(named(run, "gen-container").revealedInputs.envs as string[]);
    expect(password).toBe(revealed.generated);
    expect(password).not.toBe("admin");
    expect(password.length).toBeGreaterThanOrEqual(12);
    expect(passwordEnv(named(run, "given-container").revealedInputs.envs as string[])).toBe("a-long-given-password");
  });

  it("keeps the password secret: masked inputs, secret outputs", () => {
    expect(named(run, "gen-container").inputs.envs).toBe(SECRET_MASK);
    expect(named(run, "given-container").inputs.envs).toBe(SECRET_MASK);
    expect(run.outputs.generated).toBe(SECRET_MASK);
    expect(run.outputs.given).toBe(SECRET_MASK);
    expect(JSON.stringify(run.resources.map((r) => r.inputs))).not.toContain("a-long-given-password");
  });

  it("starts through the entry point that enforces the admin login and password, which stays readable", () => {
    const container = named(run, "given-container");
    expect(container.inputs.entrypoints).toEqual(["/bin/sh", "/etc/grafana/promemu-entrypoint.sh"]);
    expect(upload(container, "/etc/grafana/promemu-entrypoint.sh")).toBe(renderGrafanaEntrypoint({ adminUser: "root" }));
    expect(upload(container, "/etc/grafana/promemu-entrypoint.sh")).toContain("admin_user='root'");
  });

  it("turns anonymous viewing on or off, sign-up always off", () => {
    const gen = named(run, "gen-container").revealedInputs.envs as string[];
    const given = named(run, "given-container").revealedInputs.envs as string[];
    expect(gen).toEqual(expect.arrayContaining(["GF_AUTH_ANONYMOUS_ENABLED=true", "GF_AUTH_ANONYMOUS_ORG_ROLE=Viewer", "GF_USERS_ALLOW_SIGN_UP=false"]));
    expect(given).toEqual(expect.arrayContaining(["GF_AUTH_ANONYMOUS_ENABLED=false", "GF_USERS_ALLOW_SIGN_UP=false"]));
  });

  it("provisions the datasource, the dashboard provider and every dashboard as readable uploads", () => {
    const container = named(run, "gen-container");
    expect(upload(container, "/etc/grafana/provisioning/datasources/promemu.yml")).toBe(provisioning.datasources);
    expect(upload(container, "/etc/grafana/provisioning/dashboards/promemu.yml")).toBe(provisioning.dashboardProvider);
    expect(upload(container, "/etc/grafana/dashboards/overview.json")).toContain("promemu-overview");
    expect(upload(container, "/etc/grafana/dashboards/health.json")).toContain("promemu-health");
    expect(named(run, "gen-container").revealedInputs.envs).toContain(
      "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH=/etc/grafana/dashboards/overview.json",
    );
  });

  it("provisions the user's extra dashboards in their own folder, and none where there are none", () => {
    expect(upload(named(run, "gen-container"), "/etc/grafana/dashboards-extra/team.json")).toBe('{"uid":"team","panels":[]}');
    const files = (named(run, "given-container").inputs.uploads as { file: string }[]).map((u) => u.file);
    expect(files.filter((f) => f.includes("dashboards-extra"))).toEqual([]);
  });
});
