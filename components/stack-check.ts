import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

export interface StackCheckArgs {
  /** Prometheus as the machine running `pulumi up` reaches it. */
  readonly prometheusUrl: string;
  /** Scrape jobs every target of which must be healthy (the stack's services). */
  readonly jobs: string[];
  /** Scrape jobs of emulated exporters: at least one target each must be healthy (a host may be down on purpose). */
  readonly exporterJobs?: string[];
  /** How long to wait, as a duration (`180s`). */
  readonly timeout: string;
  /** Re-run the check whenever one of these changes (e.g. container ids). */
  readonly triggers: pulumi.Input<unknown>[];
  /** The resources that must exist before checking. */
  readonly startAfter: pulumi.Input<pulumi.Resource>[];
}

/**
 * The last step of `pulumi up`: waits until Prometheus scrapes every service of the stack, so a successful
 * up means data is flowing, and a broken one fails with which target is down and why. Runs on the machine
 * running Pulumi (never during preview), with the project's own Node.js.
 */
export class StackCheck extends pulumi.ComponentResource {
  public readonly report: pulumi.Output<string>;

  constructor(name: string, args: StackCheckArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promemu:index:StackCheck", name, {}, opts);
    const check = new command.local.Command(
      `${name}-targets-up`,
      {
        create: "node -r ts-node/register/transpile-only scripts/wait-for-targets.ts",
        environment: {
          PROMETHEUS_URL: args.prometheusUrl,
          EXPECTED_JOBS: args.jobs.join(","),
          ...(args.exporterJobs?.length ? { EXPECTED_EXPORTER_JOBS: args.exporterJobs.join(",") } : {}),
          TIMEOUT: args.timeout,
        },
        triggers: args.triggers,
      },
      { parent: this, dependsOn: args.startAfter },
    );
    this.report = check.stdout;
    this.registerOutputs({ report: this.report });
  }
}
