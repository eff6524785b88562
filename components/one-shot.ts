/**
 * A container that runs a task to its end during `pulumi up` (the history's writing, its recording rules): created,
 * waited for, kept stopped afterwards with its exit code and output in the state, so that a later `up` with the same
 * inputs runs nothing. Its failure fails the `up` with the task's own words.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerLabels, physicalName, StackIdentity } from "./naming";

/** How long `up` waits for a one-shot task to end (the provider's own default is 20 minutes). */
export const ONE_SHOT_CREATE_TIMEOUT = "12h";

export interface OneShotSpec {
  /** The container's name part: `<project>-<stack>-<part>`. */
  readonly part: string;
  /** Its `io.promemu.component` label. */
  readonly component: string;
  readonly image: pulumi.Input<string>;
  readonly command: pulumi.Input<pulumi.Input<string>[]>;
  readonly envs?: pulumi.Input<pulumi.Input<string>[]>;
  /** `uid:gid` the task runs as (the owner of the files it writes). */
  readonly user: string;
  readonly volumes?: pulumi.Input<docker.types.input.ContainerVolume>[];
  readonly uploads?: pulumi.Input<docker.types.input.ContainerUpload>[];
  /** Stack network to join; none: the task reaches nothing. */
  readonly network?: pulumi.Input<string>;
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * A new image (every rebuild of the emulator's) does not run the task again: for a task whose effect is not
   * idempotent (lines pushed into a store are not taken back, and would be there twice).
   */
  readonly onceForAnyImage?: boolean;
}

export function oneShotContainer(parent: pulumi.Resource, name: string, id: StackIdentity, spec: OneShotSpec): docker.Container {
  return new docker.Container(
    name,
    {
      name: physicalName(id, spec.part),
      image: spec.image,
      command: spec.command,
      envs: spec.envs,
      user: spec.user,
      labels: dockerLabels(id, spec.component),
      volumes: spec.volumes,
      uploads: spec.uploads,
      ...(spec.network ? { networksAdvanced: [{ name: spec.network }] } : { networkMode: "none" }),
      // Run once: wait for the end (attach), keep what it wrote (logs), and do not expect it to keep running.
      restart: "no",
      attach: true,
      logs: true,
      mustRun: false,
    },
    {
      parent,
      dependsOn: spec.dependsOn,
      deleteBeforeReplace: true,
      ...(spec.onceForAnyImage ? { ignoreChanges: ["image"] } : {}),
      // The docker provider waits for an attached container inside its create, which it gives 20 minutes by default:
      // a long task (a week of history for a large fleet) would fail `up` there and keep running detached. The task
      // bounds itself (it refuses a history estimated beyond its limits before it starts).
      customTimeouts: { create: ONE_SHOT_CREATE_TIMEOUT },
    },
  );
}

/** The lines of a task's output that start with `warning:` (after promemu's timestamp and name), for `pulumi up` to show. */
export function warningLines(logs: string | undefined): string[] {
  return (logs ?? "")
    .split("\n")
    .map((line) => line.replace(/^\S+ promemu: /, ""))
    .filter((line) => line.startsWith("warning: "))
    .map((line) => line.slice("warning: ".length));
}

/** Why the task failed, with its last lines of output; undefined when it ended well or its end is not known yet (a preview). */
export function taskFailure(task: string, exitCode: number | undefined | null, logs: string | undefined): string | undefined {
  if (exitCode === undefined || exitCode === null || exitCode === 0) return undefined;
  const tail = (logs ?? "").trim().split("\n").slice(-15).join("\n");
  return `${task} failed (exit code ${exitCode}):\n${tail || "(it wrote nothing)"}`;
}

/**
 * The task's outcome: resolves once it ended well (to `value`), showing its warnings in `up`; fails the deployment
 * (taskFailure, without a stack trace) when it exited with another code.
 */
export function oneShotOutcome<T>(container: docker.Container, task: string, value: pulumi.Input<T>): pulumi.Output<T> {
  return pulumi.all([container.exitCode, container.containerLogs, value]).apply(([code, logs, v]) => {
    for (const warning of warningLines(logs)) pulumi.log.warn(warning, container);
    const failure = taskFailure(task, code, logs);
    if (failure) throw new pulumi.ResourceError(failure, container, true);
    return v as T;
  });
}

/** The task's last line of output, without promemu's timestamp and name: what it said it did. */
export function oneShotSummary(container: docker.Container): pulumi.Output<string> {
  return container.containerLogs.apply((logs) => (logs ?? "").trim().split("\n").at(-1)?.replace(/^\S+ promemu: /, "") ?? "");
}
