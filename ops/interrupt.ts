/**
 * Interruptions: Ctrl-C (SIGINT), SIGTERM, a closed terminal (SIGHUP), and a standard output nobody reads
 * any more (EPIPE, treated as SIGPIPE). A command is never abandoned half-way: the interruption stops the docker and pulumi children,
 * refuses to start new ones except the clean-up calls, and makes the command fail at that point, so that
 * the same `finally`/`withUndo` code that runs on any failure runs now (unpause, remove the helper
 * container, start stopped containers, remove a partial backup). The CLI then exits 128 + the signal's
 * number: 130, 143, 129 or 141.
 */
import type { OpsContext } from "./context";
import { note } from "./context";
import { fsReason } from "../emulator/src/index";
import { OpsError } from "./errors";

export type InterruptSignal = "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGPIPE";

/** 128 + the signal number, as shells report a process ended by that signal. */
export const INTERRUPT_EXIT_CODES: Readonly<Record<InterruptSignal, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143, SIGPIPE: 141 };

export class InterruptedError extends OpsError {
  constructor(
    readonly signal: InterruptSignal,
    detail = "",
  ) {
    super(`${signal === "SIGPIPE" ? "standard output was closed" : `interrupted by ${signal}`}${detail ? `: ${detail}` : ""}`, INTERRUPT_EXIT_CODES[signal]);
    this.name = "InterruptedError";
  }
}

/** `repeated` is true from the second signal on: the person wants out now, clean-up or not. */
export type InterruptListener = (signal: InterruptSignal, repeated: boolean) => void;

/** The interruption state of one CLI run, shared by the runner, prompts and waits through the context. */
export class Interruption {
  private received?: InterruptSignal;
  private readonly listeners = new Set<InterruptListener>();

  /** The first signal received, if any. */
  get signal(): InterruptSignal | undefined {
    return this.received;
  }

  trigger(signal: InterruptSignal): void {
    // A closed output adds nothing to an interruption under way, and is no reason to hurry one.
    if (this.received && signal === "SIGPIPE") return;
    const repeated = this.received !== undefined && this.received !== "SIGPIPE";
    this.received ??= signal;
    for (const listener of [...this.listeners]) listener(signal, repeated);
  }

  /** Calls `listener` on every interruption (at once when one happened already); returns the unsubscribe. */
  onInterrupt(listener: InterruptListener): () => void {
    this.listeners.add(listener);
    if (this.received) listener(this.received, false);
    return () => this.listeners.delete(listener);
  }

  /** Throws when interrupted: the next step of a command must not start. */
  check(detail?: string): void {
    if (this.received) throw new InterruptedError(this.received, detail);
  }

  /** `work`, or an InterruptedError as soon as an interruption comes first (a prompt, a wait). */
  race<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const stop = this.onInterrupt((signal) => reject(new InterruptedError(signal)));
      work.then(
        (value) => {
          stop();
          resolve(value);
        },
        (err: unknown) => {
          stop();
          reject(err);
        },
      );
    });
  }

  /** A pause between polls that ends early, with an InterruptedError, on an interruption. */
  sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return this.race(new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))).finally(() => clearTimeout(timer));
  }
}

/**
 * Runs `work`, then `undo` whatever happened: success, failure or interruption. When `work` failed, a
 * failing `undo` is reported as a warning and the first error is the one thrown (it is the cause).
 */
export async function withUndo<T>(ctx: OpsContext, work: () => Promise<T>, undo: () => Promise<void>): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (err) {
    await undo().catch((undoErr: Error) => note(ctx, `warning: ${undoErr.message}`));
    throw err;
  }
  await undo();
  return result;
}

/** Signals closer together than this are one interruption delivered twice. */
const SAME_SIGNAL_MS = 1000;

/**
 * Wires the process's signals and output streams to the context's interruption (the CLI entry point
 * only; the tests drive `Interruption` directly or spawn the CLI). A second Ctrl-C or SIGTERM exits at
 * once, after the runner has killed its children.
 */
export function handleProcessInterruptions(ctx: OpsContext): void {
  let firstAt = 0;
  const onSignal = (signal: "SIGINT" | "SIGTERM" | "SIGHUP") => {
    if (ctx.interrupt.signal && ctx.interrupt.signal !== "SIGPIPE") {
      // One Ctrl-C can arrive twice: from the terminal, and forwarded by npm (`npm run backup`), whose
      // shell may have exec'd this process. Only a second press, a moment later, means "quit now".
      if (Date.now() - firstAt < SAME_SIGNAL_MS) return;
      ctx.interrupt.trigger(signal);
      note(ctx, `${signal} again: quitting without finishing the clean-up (check docker ps --all for paused or stopped containers)`);
      process.exit(INTERRUPT_EXIT_CODES[signal]);
    }
    firstAt = Date.now();
    note(ctx, `\n${signal}: stopping and undoing what was started (${signal === "SIGINT" ? "Ctrl-C" : signal} again quits at once)`);
    ctx.interrupt.trigger(signal);
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  // The terminal closed: the children are in process groups of their own and would not hear of it,
  // so a `logs --follow` or `pulumi up` would run on unseen.
  process.on("SIGHUP", () => onSignal("SIGHUP"));
  // `npm run config | head -1`: the reader is gone, so the rest of the output has nowhere to go. Without a
  // listener the EPIPE would be an uncaught exception with a stack trace.
  // Any other failure (a full disk under `> file`) lost output: the command stops as for a closed pipe, but exits 1.
  let failed = false;
  process.once("exit", () => {
    if (failed && !process.exitCode) process.exitCode = 1;
  });
  const closed = (name: string) => (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE" && err.code !== "ERR_STREAM_DESTROYED" && !failed) {
      failed = true;
      process.stderr.write(`error: cannot write to ${name}: ${fsReason(err) ?? err.message}\n`);
    }
    ctx.interrupt.trigger("SIGPIPE");
  };
  process.stdout.on("error", closed("standard output"));
  process.stderr.on("error", closed("standard error"));
}
