/**
 * A backfill's lines pushed with the Loki push API, stamped with their own emulated time (the range's
 * past), through the live run's sink: the same queue (one request in flight, a stream's lines in
 * order), client, retries and backoff (sinks/loki/push.ts, sinks/remote-write/queue.ts). Unlike a live
 * run, a backfill has no wall clock to keep up with, so the engine waits for room in the queue instead
 * of the queue dropping its oldest lines: nothing is dropped while the store answers, and memory stays
 * within `maxPendingLines`. A store that keeps failing for `retryForMs` ends the backfill (exit 1).
 */
import { Failure } from "../errors";
import type { StreamLines } from "../logs/buffer";
import type { Backoff } from "../sinks/backoff";
import type { LokiEncoder } from "../sinks/loki/push";
import { type LokiEndpoint, lokiPushSink } from "../sinks/loki/sink";
import type { RemoteWriteQueue } from "../sinks/remote-write/queue";
import { formatDuration } from "../util/duration";
import { redactUrl } from "../util/url";
import type { LogOutput } from "./logs";

export interface LokiBackfillTarget extends LokiEndpoint {
  maxLinesPerRequest: number;
  /** Lines queued at most: the engine waits beyond. */
  maxPendingLines: number;
  /** How long the push may fail without a line accepted before the backfill gives up. */
  retryForMs: number;
  backoff?: Backoff;
}

export interface LokiTotals {
  sent: number;
  /** Refused by the store (a 4xx other than 429): not retried. */
  failed: number;
  /** Left in the queue when the push gave up or was interrupted. */
  dropped: number;
}

/** How often a wait for room looks at the signal and at how long the push has been failing. */
const POLL_MS = 250;

export class LokiBackfill implements LogOutput {
  private readonly queue: RemoteWriteQueue;
  private readonly encode: LokiEncoder;
  private wake: (() => void) | undefined;
  private failingSince: number | undefined;

  constructor(
    private readonly target: LokiBackfillTarget,
    /** Wall time (ms since the epoch) of scenario time 0: the range's start. */
    private readonly epochMs: number,
    log: (line: string) => void,
    private readonly signal?: AbortSignal,
  ) {
    const sink = lokiPushSink(target, {
      maxPendingSamples: target.maxPendingLines,
      log,
      backoff: target.backoff,
      // Each answer changes what is pending: a waiting engine looks again at once.
      events: { pending: () => this.wake?.() },
    });
    this.queue = sink.queue;
    this.encode = sink.encode;
  }

  /** The URL as it may be shown (credentials hidden). */
  get url(): string {
    return redactUrl(this.target.url);
  }

  get totals(): LokiTotals {
    const { sent, failed, dropped } = this.queue.totals;
    return { sent, failed, dropped };
  }

  get pending(): number {
    return this.queue.pending;
  }

  async write(groups: readonly StreamLines[]): Promise<void> {
    for (const batch of this.encode(groups, this.target.maxLinesPerRequest, (t) => this.epochMs + t)) {
      while (this.queue.pending > 0 && this.queue.pending + batch.samples > this.target.maxPendingLines) await this.waitForAnswer();
      this.queue.enqueue(0, [batch]);
    }
  }

  /** Resolves once every line queued is answered (sent or refused). */
  async finish(): Promise<LokiTotals> {
    while (this.queue.pending > 0) await this.waitForAnswer();
    await this.queue.close(0);
    return this.totals;
  }

  /** Stops sending; what is still queued is counted as dropped. */
  async close(): Promise<LokiTotals> {
    await this.queue.close(0);
    return this.totals;
  }

  private async waitForAnswer(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      timer = setTimeout(resolve, POLL_MS);
    });
    clearTimeout(timer);
    this.wake = undefined;
    this.signal?.throwIfAborted();
    if (!this.queue.failing) {
      this.failingSince = undefined;
      return;
    }
    this.failingSince ??= Date.now();
    if (Date.now() - this.failingSince < this.target.retryForMs) return;
    const left = this.queue.pending;
    const { sent } = await this.close();
    throw new Failure(
      `loki push to ${this.url} failed for ${formatDuration(this.target.retryForMs)} without a line accepted (the reason is logged above): gave up with ${sent} lines sent and ${left} queued lines dropped; ` +
        "the lines sent stay in the store. Check the store, or wait longer with --loki-retry-for",
    );
  }
}
