import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { StatefulService, StatefulServiceArgs } from "./service";

export const GRAFANA_DATA_PATH = "/var/lib/grafana";
export const GRAFANA_DATASOURCES_PATH = "/etc/grafana/provisioning/datasources/promemu.yml";
export const GRAFANA_DASHBOARD_PROVIDER_PATH = "/etc/grafana/provisioning/dashboards/promemu.yml";
export const GRAFANA_DASHBOARDS_DIR = "/etc/grafana/dashboards";

export interface GrafanaDashboardFile {
  readonly fileName: string;
  readonly json: string;
}

export interface GrafanaArgs extends StatefulServiceArgs {
  readonly adminUser: string;
  /** A secret; when absent a random password is generated (and kept in the state, encrypted). */
  readonly adminPassword?: pulumi.Input<string>;
  /** Visitors see the dashboards as Viewers without logging in. */
  readonly anonymousAccess: boolean;
  /** Rendered provisioning files (config/grafana.ts). */
  readonly datasources: pulumi.Input<string>;
  readonly dashboardProvider: pulumi.Input<string>;
  readonly dashboards: GrafanaDashboardFile[];
  /** Dashboard file shown on Grafana's home page. */
  readonly homeDashboard?: string;
  /** URL users reach Grafana on (links in alerts and share dialogs). */
  readonly rootUrl: string;
}

/** Dashboards over the stack's Prometheus, provisioned from files; users, sessions and stars live on its volume. */
export class Grafana extends StatefulService {
  public readonly adminPassword: pulumi.Output<string>;

  constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
    let password!: pulumi.Output<string>;
    super(
      "promemu:index:Grafana",
      name,
      "grafana",
      args,
      (self) => {
        password = pulumi.secret(
          args.adminPassword ?? new random.RandomPassword(`${name}-admin-password`, { length: 24, special: false }, { parent: self }).result,
        );
        return {
          envs: [
            `GF_SECURITY_ADMIN_USER=${args.adminUser}`,
            // In the environment rather than an uploaded file: a secret makes the whole input secret, and the
            // uploads (dashboards, provisioning) must stay readable in plans and `pulumi preview --diff`.
            pulumi.interpolate`GF_SECURITY_ADMIN_PASSWORD=${password}`,
            `GF_AUTH_ANONYMOUS_ENABLED=${args.anonymousAccess}`,
            "GF_AUTH_ANONYMOUS_ORG_ROLE=Viewer",
            "GF_USERS_ALLOW_SIGN_UP=false",
            `GF_SERVER_ROOT_URL=${args.rootUrl}`,
            "GF_ANALYTICS_REPORTING_ENABLED=false",
            "GF_ANALYTICS_CHECK_FOR_UPDATES=false",
            "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES=false",
            ...(args.homeDashboard ? [`GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH=${GRAFANA_DASHBOARDS_DIR}/${args.homeDashboard}`] : []),
          ],
          uploads: [
            { file: GRAFANA_DATASOURCES_PATH, content: args.datasources },
            { file: GRAFANA_DASHBOARD_PROVIDER_PATH, content: args.dashboardProvider },
            ...args.dashboards.map((d) => ({ file: `${GRAFANA_DASHBOARDS_DIR}/${d.fileName}`, content: d.json })),
          ],
          dataPath: GRAFANA_DATA_PATH,
        };
      },
      opts,
    );
    this.adminPassword = password;
  }
}
