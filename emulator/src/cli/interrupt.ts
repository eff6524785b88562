/**
 * Ctrl-C (SIGINT) and SIGTERM during a command's long work (backfill, history, the history a run
 * plays first): the work stops at its next turn (util/turns.ts), its `finally` blocks remove what
 * it had only half written, and the CLI exits 130 or 143, as a shell reports a process ended by the
 * signal. A second signal exits at once.
 */

/** 128 + the signal's number. */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

/** The reason an interrupted command's AbortSignal carries; cli.ts prints it and exits with its code. */
export class Interrupted extends Error {
  constructor(
    readonly signal: StopSignal,
    /** What was undone, said after "interrupted by SIGINT". */
    public detail = "",
  ) {
    super(`interrupted by ${signal}`);
    this.name = "Interrupted";
  }

  get exitCode(): number {
    return SIGNAL_EXIT_CODES[this.signal];
  }
}

/** `work` with an AbortSignal that SIGINT and SIGTERM abort (with an Interrupted); the handlers are removed when it ends. */
export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: StopSignal) => {
    if (controller.signal.aborted) process.exit(SIGNAL_EXIT_CODES[signal]);
    controller.abort(new Interrupted(signal));
  };
  const onInt = () => onSignal("SIGINT");
  const onTerm = () => onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    return await work(controller.signal);
  } catch (err) {
    // The work may fail on its own way while stopping (a killed promtool): the interruption is the cause.
    if (controller.signal.aborted && !(err instanceof Interrupted)) throw controller.signal.reason;
    throw err;
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}
