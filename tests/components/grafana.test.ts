import * as pulumi from "@pulumi/pulumi";
import { Grafana } from "../../components/grafana";
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

describe("Grafana", () => {
  let run: Awaited<ReturnType<typeof declareUnderMocks>>;
  beforeAll(async () => {
    run = await declareUnderMocks(() => {
      const generated = new Grafana("gen", { ...serviceBase, image: "grafana/grafana:12.1.0", hostPort: 13000, adminUser: "admin", anonymousAccess: true, ...provisioning });
      const given = new Grafana("given", {
        ...serviceBase,
        stack: "other",
        image: "grafana/grafana:12.1.0",
        hostPort: 13001,
        adminUser: "root",
        adminPassword: pulumi.secret("a-long-given-password"),
        anonymousAccess: false,
        ...provisioning,
      });
      return { generated: generated.adminPassword, given: given.adminPassword };
    });
  });

  it("runs the pinned image with the shared service shape and its database on the data volume", () => {
    expect(named(run, "gen").type).toBe("promemu:index:Grafana");
    expectServiceContainer(named(run, "gen-container"), {
      service: "grafana",
      containerName: "promemu-test-grafana",
      image: "grafana/grafana:12.1.0",
      hostPort: 13000,
      internalPort: 3000,
      healthPath: "/api/health",
      dataVolume: "promemu-test-grafana-data",
      dataPath: "/var/lib/grafana",
    });
  });

  it("generates a random admin password only when none is given, and never uses admin/admin", () => {
    const passwords = ofType(run, "random:index/randomPassword:RandomPassword");
    expect(passwords.map((p) => p.name)).toEqual(["gen-admin-password"]);
    expect(passwords[0].inputs).toMatchObject({ length: 24 });
    const env = named(run, "gen-container").revealedInputs.envs as string[];
    expect(env).toContain("GF_SECURITY_ADMIN_USER=admin");
    const password = env.find((e) => e.startsWith("GF_SECURITY_ADMIN_PASSWORD="))!.split("=")[1];
    expect(password).not.toBe("admin");
    expect(password.length).toBeGreaterThanOrEqual(12);
  });

  it("keeps the password secret: masked inputs, secret outputs", () => {
    expect(named(run, "gen-container").inputs.envs).toBe(SECRET_MASK);
    expect(named(run, "given-container").inputs.envs).toBe(SECRET_MASK);
    expect(run.outputs.generated).toBe(SECRET_MASK);
    expect(run.outputs.given).toBe(SECRET_MASK);
    expect(named(run, "given-container").revealedInputs.envs).toContain("GF_SECURITY_ADMIN_PASSWORD=a-long-given-password");
  });

  it("turns anonymous viewing on or off, sign-up always off", () => {
    const gen = named(run, "gen-container").revealedInputs.envs as string[];
    const given = named(run, "given-container").revealedInputs.envs as string[];
    expect(gen).toEqual(expect.arrayContaining(["GF_AUTH_ANONYMOUS_ENABLED=true", "GF_AUTH_ANONYMOUS_ORG_ROLE=Viewer", "GF_USERS_ALLOW_SIGN_UP=false"]));
    expect(given).toEqual(expect.arrayContaining(["GF_AUTH_ANONYMOUS_ENABLED=false", "GF_USERS_ALLOW_SIGN_UP=false", "GF_SECURITY_ADMIN_USER=root"]));
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
});
