import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { StatefulService, StatefulServiceArgs } from "./service";

export const GRAFANA_DATA_PATH = "/var/lib/grafana";
export const GRAFANA_DATASOURCES_PATH = "/etc/grafana/provisioning/datasources/promemu.yml";
export const GRAFANA_DASHBOARD_PROVIDER_PATH = "/etc/grafana/provisioning/dashboards/promemu.yml";
export const GRAFANA_DASHBOARDS_DIR = "/etc/grafana/dashboards";
/** The user's own dashboards (`grafana.extraDashboards`), a provider and Grafana folder of their own. */
export const GRAFANA_EXTRA_DASHBOARDS_DIR = "/etc/grafana/dashboards-extra";
export const GRAFANA_ENTRYPOINT_PATH = "/etc/grafana/promemu-entrypoint.sh";

/**
 * 24 characters from 18 random bytes, printed by the Node.js that runs the program: the password needs no
 * provider plugin of its own (such as @pulumi/random's) to be installed where `pulumi up` runs.
 */
export const GENERATE_PASSWORD = `node -e "process.stdout.write(require('crypto').randomBytes(18).toString('base64url'))"`;

export interface GrafanaDashboardFile {
  readonly fileName: string;
  readonly json: string;
}

export interface GrafanaArgs extends StatefulServiceArgs {
  /** A secret; when absent a random password is generated (and kept in the state, encrypted). */
  readonly adminPassword?: pulumi.Input<string>;
  /** Visitors see the dashboards as Viewers without logging in. */
  readonly anonymousAccess: boolean;
  /** Rendered entry point that sets the admin login and enforces it and the password at every start (config/grafana/entrypoint.ts). */
  readonly entrypoint: string;
  /** Rendered provisioning files (config/grafana). */
  readonly datasources: pulumi.Input<string>;
  readonly dashboardProvider: pulumi.Input<string>;
  readonly dashboards: GrafanaDashboardFile[];
  /** The user's dashboards, already checked and bound to the stack's datasource; the provider must cover their folder. */
  readonly extraDashboards?: readonly GrafanaDashboardFile[];
  /** Dashboard file shown on Grafana's home page. */
  readonly homeDashboard?: string;
  /** URL users reach Grafana on (links in alerts and share dialogs). */
  readonly rootUrl: string;
  /**
   * Plugins Grafana installs in the background at start, `id@version` (GF_PLUGINS_PREINSTALL, Grafana 11.5+), e.g. the
   * VictoriaLogs datasource. Not the _SYNC variant: a plugin it cannot fetch (no route to grafana.com) makes Grafana exit,
   * and the container crash-loops; in the background the failure is logged and Grafana serves without that plugin.
   */
  readonly plugins?: readonly string[];
}

/** Dashboards over the stack's Prometheus, provisioned from files; users, sessions and stars live on its volume. */
export class Grafana extends StatefulService {
  /** The password the container enforces at every start: the one to log in with. */
  public readonly adminPassword: pulumi.Output<string>;

  constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
    let password!: pulumi.Output<string>;
    super(
      "promemu:index:Grafana",
      name,
      "grafana",
      args,
      (self) => {
        // Created once and kept in the state (no triggers): the same password on every later `up`.
        const generate = () =>
          new command.local.Command(
            `${name}-admin-password`,
            { create: GENERATE_PASSWORD, logging: "none" },
            { parent: self, additionalSecretOutputs: ["stdout"] },
          ).stdout;
        password = pulumi.secret(args.adminPassword ?? generate());
        return {
          entrypoints: ["/bin/sh", GRAFANA_ENTRYPOINT_PATH],
          envs: [
            // In the environment rather than an uploaded file: a secret makes the whole input secret, and the
            // uploads (dashboards, provisioning, the entry point with the admin login) must stay readable in
            // plans and `pulumi preview --diff`.
            pulumi.interpolate`GF_SECURITY_ADMIN_PASSWORD=${password}`,
            `GF_AUTH_ANONYMOUS_ENABLED=${args.anonymousAccess}`,
            "GF_AUTH_ANONYMOUS_ORG_ROLE=Viewer",
            "GF_USERS_ALLOW_SIGN_UP=false",
            `GF_SERVER_ROOT_URL=${args.rootUrl}`,
            "GF_ANALYTICS_REPORTING_ENABLED=false",
            "GF_ANALYTICS_CHECK_FOR_UPDATES=false",
            "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES=false",
            ...(args.plugins?.length ? [`GF_PLUGINS_PREINSTALL=${args.plugins.join(",")}`] : []),
            ...(args.homeDashboard ? [`GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH=${GRAFANA_DASHBOARDS_DIR}/${args.homeDashboard}`] : []),
          ],
          uploads: [
            { file: GRAFANA_ENTRYPOINT_PATH, content: args.entrypoint },
            { file: GRAFANA_DATASOURCES_PATH, content: args.datasources },
            { file: GRAFANA_DASHBOARD_PROVIDER_PATH, content: args.dashboardProvider },
            ...args.dashboards.map((d) => ({ file: `${GRAFANA_DASHBOARDS_DIR}/${d.fileName}`, content: d.json })),
            ...(args.extraDashboards ?? []).map((d) => ({ file: `${GRAFANA_EXTRA_DASHBOARDS_DIR}/${d.fileName}`, content: d.json })),
          ],
          dataPath: GRAFANA_DATA_PATH,
        };
      },
      opts,
    );
    this.adminPassword = password;
  }
}
