/**
 * Everything a command touches in the outside world, in one object: the tests hand in their own
 * working directory, PATH (fake docker/pulumi first), output buffers, clock and answers to prompts.
 */
import * as readline from "readline";
import { Interruption } from "./interrupt";

export interface OpsContext {
  /** Project root: Pulumi.yaml and Pulumi.<stack>.yaml live here, backups/ goes here. */
  readonly cwd: string;
  /** Environment of every child process; PATH decides which docker and pulumi run. */
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly now: () => Date;
  /** Whether a person can answer a question (cleanup asks before deleting data). */
  readonly interactive: boolean;
  /** Asks one question on the terminal and resolves with the answer. */
  readonly ask: (question: string) => Promise<string>;
  /** Milliseconds between polls while waiting for services (shorter in tests). */
  readonly pollMs: number;
  /** Ctrl-C, SIGTERM or a closed output: what the runner, prompts and waits stop on. */
  readonly interrupt: Interruption;
}

export function processContext(): OpsContext {
  const interrupt = new Interruption();
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    now: () => new Date(),
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    ask: (question) =>
      new Promise((resolve) => {
        const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
        // A terminal in readline's raw mode turns Ctrl-C into this event instead of a signal.
        rl.on("SIGINT", () => interrupt.trigger("SIGINT"));
        // An open prompt would keep the process alive after the interruption has ended the command.
        const stop = interrupt.onInterrupt(() => rl.close());
        rl.question(question, (answer) => {
          stop();
          rl.close();
          resolve(answer);
        });
      }),
    pollMs: 1000,
    interrupt,
  };
}

/** A line on stdout (results). */
export function say(ctx: OpsContext, line = ""): void {
  ctx.stdout.write(`${line}\n`);
}

/** A line on stderr (progress, notices), so that stdout stays parseable with --json. */
export function note(ctx: OpsContext, line: string): void {
  ctx.stderr.write(`${line}\n`);
}
