/**
 * `emulator.history`: Prometheus starts with the scenario's past already in its volume, and its recording rules
 * have that past too. Two components, because Prometheus runs between them:
 * - History, before Prometheus: takes the start time once (kept in the state, so every later `up` and every new
 *   emulator container goes on from the same instant), and writes [start, now) into the empty data volume;
 * - HistoryRules, once Prometheus is up: evaluates the recording rules over that range into the same volume.
 * Both run `promemu` (emulator/src/cli/history.ts) from the emulator's image, which carries promtool; both are
 * idempotent per volume, so replacing their containers (a new emulator image) writes nothing twice.
 * - HistoryLogs, with a log store: pushes the history's log lines into it (`promemu backfill --loki-url`), once.
 */
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { StackIdentity } from "./naming";
import { oneShotContainer, oneShotOutcome, oneShotSummary } from "./one-shot";

/** What both steps share: the image they run from, the volume they write into, and as whom. */
export interface HistoryVolumeArgs extends StackIdentity {
  /** The emulator image (promemu and promtool). */
  readonly image: pulumi.Input<string>;
  /** Prometheus' data volume, and where it is mounted. */
  readonly volume: pulumi.Input<string>;
  readonly dataPath: string;
  /** `uid:gid` of Prometheus' image: the blocks must be its own, so that it can compact and delete them. */
  readonly user: string;
}

export interface HistoryArgs extends HistoryVolumeArgs {
  /** How far back the history starts, in milliseconds (emulator.history), and the grid its samples sit on. */
  readonly lengthMs: number;
  readonly stepMs: number;
  /** What the history is played from (scenario, seed, sink, ...): when it changes, a new start time is taken. */
  readonly identity: string;
  /** `promemu history write ...` without --start-at (config/history.ts); the start comes in PROMEMU_START_AT. */
  readonly command: readonly string[];
}

/** Writes the history into Prometheus' volume before Prometheus starts. */
export class History extends pulumi.ComponentResource {
  /** Wall time of scenario time 0 (RFC 3339): the live emulator's PROMEMU_START_AT. */
  public readonly startAt: pulumi.Output<string>;
  public readonly container: docker.Container;
  /** The start time, once the history is in the volume; fails the `up` when writing it failed. */
  public readonly written: pulumi.Output<string>;

  constructor(name: string, args: HistoryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promemu:index:History", name, {}, opts);
    // Taken once, on the step grid, and kept in the state: only a new identity takes a new one.
    const start = new command.local.Command(
      `${name}-start`,
      {
        create: `node -e "const step = ${args.stepMs}; process.stdout.write(new Date(Math.floor((Date.now() - ${args.lengthMs}) / step) * step).toISOString())"`,
        triggers: [args.identity, args.lengthMs],
      },
      { parent: this },
    );
    this.startAt = start.stdout;
    this.container = oneShotContainer(this, `${name}-write`, args, {
      part: "prometheus-history",
      component: "history",
      image: args.image,
      command: [...args.command],
      envs: [pulumi.interpolate`PROMEMU_START_AT=${this.startAt}`],
      user: args.user,
      volumes: [{ volumeName: args.volume, containerPath: args.dataPath }],
    });
    this.written = oneShotOutcome(this.container, "writing the history into Prometheus' volume", this.startAt);
    this.registerOutputs({ startAt: this.startAt, containerName: this.container.name });
  }
}

export interface HistoryRulesArgs extends HistoryVolumeArgs {
  /** The stack network, to reach Prometheus. */
  readonly network: pulumi.Input<string>;
  /** `promemu history rules ...` with its rule files' paths (config/history.ts). */
  readonly command: readonly string[];
  /** The rule files, copied into the container at the paths the command names. */
  readonly ruleFiles: readonly { readonly path: string; readonly content: pulumi.Input<string> }[];
  /** The Prometheus container (healthy once created): promtool queries it. */
  readonly prometheus: pulumi.Input<pulumi.Resource>;
}

/** Evaluates the recording rules over the history once Prometheus serves it. */
export class HistoryRules extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  /** What the step said of the rules; fails the `up` when the evaluation failed. */
  public readonly done: pulumi.Output<string>;

  constructor(name: string, args: HistoryRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promemu:index:HistoryRules", name, {}, opts);
    this.container = oneShotContainer(this, `${name}-rules`, args, {
      part: "prometheus-history-rules",
      component: "history",
      image: args.image,
      command: [...args.command],
      user: args.user,
      volumes: [{ volumeName: args.volume, containerPath: args.dataPath }],
      uploads: args.ruleFiles.map((f) => ({ file: f.path, content: f.content })),
      network: args.network,
      dependsOn: [args.prometheus],
    });
    this.done = oneShotOutcome(this.container, "evaluating the recording rules over the history", oneShotSummary(this.container));
    this.registerOutputs({ containerName: this.container.name });
  }
}

export interface HistoryLogsArgs extends StackIdentity {
  /** The emulator image. */
  readonly image: pulumi.Input<string>;
  /** The stack network, to reach the log store. */
  readonly network: pulumi.Input<string>;
  /**
   * `promemu backfill --loki-url ...` over the history's range (config/history.ts historyLogsCommand), from the start
   * as History took it (its `startAt`, not `written`: see the class).
   */
  readonly command: pulumi.Input<string[]>;
}

/**
 * Pushes the history's log lines into the log store, so that the logs of the past the metrics show are there too. A
 * store keeps what it was sent (no record to consult, unlike the metrics' data directory), so the task runs once per
 * history: a new emulator image does not run it again, only a new history (its command, with the start) does.
 * It depends on nothing that a change replaces: Pulumi replaces whatever depends on a resource replaced
 * delete-before-replace, as the stack's containers are (fixed names), so a dependency on the log store's container or
 * on the history's write step would push the lines again at each new store image or emulator image (seen on the real
 * engine: twice the lines). So the push does not wait for the store: it retries until the store answers.
 */
export class HistoryLogs extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  /** What the push said (lines sent); fails the `up` when it failed. */
  public readonly done: pulumi.Output<string>;

  constructor(name: string, args: HistoryLogsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("promemu:index:HistoryLogs", name, {}, opts);
    this.container = oneShotContainer(this, `${name}-push`, args, {
      part: "logs-history",
      component: "history",
      image: args.image,
      command: args.command,
      // The image's own user: the task writes nothing to disk.
      user: "node",
      network: args.network,
      onceForAnyImage: true,
    });
    this.done = oneShotOutcome(this.container, "pushing the history's log lines into the log store", oneShotSummary(this.container));
    this.registerOutputs({ containerName: this.container.name });
  }
}
