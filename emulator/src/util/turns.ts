/**
 * Long synchronous work (playing years of a scenario, writing a backfill) hands the event loop a turn
 * now and then: only then do signal handlers run, so without it Ctrl-C and SIGTERM went unheard for
 * as long as the work lasted. A turn every 50 ms costs next to nothing and stops the work well within
 * a second of a signal.
 */
import { setImmediate as nextTurn } from "timers/promises";

const EVERY_MS = 50;

/**
 * A pause for long work: resolves at once, except every `everyMs` of work, when it first lets the
 * event loop run. Rejects with the signal's reason once the signal is aborted.
 */
export function turnTaker(signal?: AbortSignal, everyMs = EVERY_MS): () => Promise<void> {
  let last = Date.now();
  return async () => {
    if (Date.now() - last >= everyMs) {
      await nextTurn();
      last = Date.now();
    }
    signal?.throwIfAborted();
  };
}
