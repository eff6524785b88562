/** Retry delays of the sinks (Pushgateway pushes, remote-write batches). */

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 5_000 };

/** Exponential, capped, with jitter so that many emulators do not retry in step. */
export function backoffDelay(backoff: Backoff, attempt: number, random: () => number): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt);
  return Math.round(ceiling * (0.5 + 0.5 * random()));
}
