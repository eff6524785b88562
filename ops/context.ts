/**
 * Everything a command touches in the outside world, in one object: the tests hand in their own
 * working directory, PATH (fake docker/pulumi first), output buffers, clock and answers to prompts.
 */
import * as readline from "readline";

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
}

export function processContext(): OpsContext {
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
        rl.question(question, (answer) => {
          rl.close();
          resolve(answer);
        });
      }),
    pollMs: 1000,
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
