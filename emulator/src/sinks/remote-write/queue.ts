/**
 * The send side of remote write: one FIFO queue of compressed batches per shard, each shard with at
 * most one request in flight, so a series (always in the same shard) reaches the receiver in
 * timestamp order. A batch that fails for a reason that may pass (network, timeout, 5xx, 429) is
 * sent again after an exponential, capped, jittered backoff, or after what Retry-After asked for;
 * it stays at the head of its queue meanwhile. A batch refused with another 4xx is dropped at once
 * and counted: sending it again cannot help. Memory is bounded: beyond `maxPendingSamples` the
 * oldest waiting batches are dropped (and counted) — that, with the push interval, is the retry
 * window. Each change of state is logged once: failing, back, refusing.
 */
import { setTimeout as delay } from "timers/promises";
import { formatDuration } from "../../util/duration";
import { type Backoff, DEFAULT_BACKOFF, backoffDelay } from "../backoff";
import { type RemoteWriteClient, RemoteWriteError } from "./client";

export interface Batch {
  /** Snappy-compressed WriteRequest. */
  readonly body: Uint8Array;
  readonly samples: number;
  /** Timestamp (ms) of its oldest sample. */
  readonly oldestMs: number;
}

export interface QueueEvents {
  sent(samples: number, lagSeconds: number): void;
  retried(samples: number): void;
  failed(samples: number): void;
  dropped(samples: number): void;
  pending(samples: number): void;
}

export interface RemoteWriteQueueOptions {
  client: Pick<RemoteWriteClient, "send" | "url">;
  shards: number;
  /** Samples waiting (all shards) beyond which the oldest batches are dropped. */
  maxPendingSamples: number;
  log: (line: string) => void;
  events?: Partial<QueueEvents>;
  backoff?: Backoff;
  /** The longest Retry-After honoured as given (a longer one is capped to this). */
  maxRetryAfterMs?: number;
  random?: () => number;
  now?: () => number;
  /** How log lines name the sink ("remote write", "loki push") and what a batch counts ("samples", "log lines"). */
  naming?: { sink: string; unit: string };
}

const DEFAULT_MAX_RETRY_AFTER_MS = 5 * 60_000;

interface Shard {
  readonly batches: Batch[];
  sending: boolean;
}

export class RemoteWriteQueue {
  private readonly shardQueues: Shard[];
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;
  private readonly random: () => number;
  private readonly now: () => number;
  private pendingSamples = 0;
  private failingSince: number | undefined;
  private failuresWhileDown = 0;
  private refusing = false;
  private overflowing = false;
  private idle: (() => void)[] = [];
  readonly totals = { sent: 0, retried: 0, failed: 0, dropped: 0 };
  private readonly sink: string;
  private readonly unit: string;

  constructor(private readonly options: RemoteWriteQueueOptions) {
    this.shardQueues = Array.from({ length: options.shards }, () => ({ batches: [], sending: false }));
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.sink = options.naming?.sink ?? "remote write";
    this.unit = options.naming?.unit ?? "samples";
  }

  get shards(): number {
    return this.shardQueues.length;
  }

  get pending(): number {
    return this.pendingSamples;
  }

  /** Whether the last attempt failed for a reason that may pass. */
  get failing(): boolean {
    return this.failingSince !== undefined;
  }

  /** Queues batches of one shard (in timestamp order) and starts sending if that shard is idle. */
  enqueue(shard: number, batches: readonly Batch[]): void {
    if (this.abort.signal.aborted) return;
    const queue = this.shardQueues[shard];
    for (const batch of batches) {
      queue.batches.push(batch);
      this.pendingSamples += batch.samples;
    }
    this.trimOverflow();
    this.options.events?.pending?.(this.pendingSamples);
    if (!queue.sending) void this.drain(queue);
  }

  /** Resolves once every queue is empty, or after `timeoutMs`; then stops sending and drops (and counts) what is left. */
  async close(timeoutMs: number): Promise<number> {
    if (this.pendingSamples > 0) {
      const emptied = new Promise<void>((resolve) => this.idle.push(resolve));
      const timer = delay(timeoutMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
      await Promise.race([emptied, timer]);
    }
    this.abort.abort();
    let left = 0;
    for (const queue of this.shardQueues) {
      // A batch in flight is counted here too: its answer will no longer be waited for.
      for (const batch of queue.batches) left += batch.samples;
      queue.batches.length = 0;
    }
    if (left > 0) this.drop(left);
    this.pendingSamples = 0;
    this.options.events?.pending?.(0);
    return left;
  }

  private async drain(queue: Shard): Promise<void> {
    queue.sending = true;
    const signal = this.abort.signal;
    let attempt = 0;
    while (queue.batches.length > 0 && !signal.aborted) {
      const batch = queue.batches[0];
      let wait = 0;
      try {
        await this.options.client.send(batch.body, signal);
        this.settle(queue, batch);
        this.recordSuccess(batch);
        attempt = 0;
        continue;
      } catch (err) {
        if (signal.aborted) break;
        if (!(err instanceof RemoteWriteError)) throw err;
        if (!err.retryable) {
          this.settle(queue, batch);
          this.recordRefusal(batch, err);
          attempt = 0;
          continue;
        }
        this.recordRetryable(batch, err);
        wait = err.retryAfterMs !== undefined ? this.retryAfter(err.retryAfterMs) : backoffDelay(this.backoff, attempt, this.random);
        attempt++;
      }
      try {
        await delay(wait, undefined, { signal });
      } catch {
        break;
      }
    }
    queue.sending = false;
    if (this.pendingSamples === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  /** Removes the head batch (sent or refused). It may already be gone: dropped by an overflow while in flight. */
  private settle(queue: Shard, batch: Batch): void {
    if (queue.batches[0] !== batch) return;
    queue.batches.shift();
    this.pendingSamples -= batch.samples;
    this.options.events?.pending?.(this.pendingSamples);
  }

  /** Drops the oldest waiting batches (never one in flight) until the queues fit. */
  private trimOverflow(): void {
    if (this.pendingSamples <= this.options.maxPendingSamples) {
      this.overflowing = false;
      return;
    }
    let dropped = 0;
    while (this.pendingSamples > this.options.maxPendingSamples) {
      // The shard whose second batch is oldest (the first may be in flight).
      let victim: Shard | undefined;
      for (const queue of this.shardQueues) {
        const index = queue.sending ? 1 : 0;
        if (queue.batches.length > index && (!victim || queue.batches[index].oldestMs < victim.batches[victim.sending ? 1 : 0].oldestMs)) victim = queue;
      }
      if (!victim) break;
      const [batch] = victim.batches.splice(victim.sending ? 1 : 0, 1);
      this.pendingSamples -= batch.samples;
      dropped += batch.samples;
    }
    this.drop(dropped);
    if (!this.overflowing) {
      this.overflowing = true;
      this.options.log(
        `${this.sink} to ${this.options.client.url}: more than ${this.options.maxPendingSamples} ${this.unit} waiting; dropping the oldest (${dropped} now)`,
      );
    }
  }

  private drop(samples: number): void {
    this.totals.dropped += samples;
    this.options.events?.dropped?.(samples);
  }

  private recordSuccess(batch: Batch): void {
    const now = this.now();
    this.totals.sent += batch.samples;
    this.options.events?.sent?.(batch.samples, Math.max(0, (now - batch.oldestMs) / 1000));
    if (this.refusing) {
      this.refusing = false;
      this.options.log(`${this.sink} to ${this.options.client.url}: batches accepted again`);
    }
    if (this.failingSince !== undefined) {
      this.options.log(
        `${this.sink} to ${this.options.client.url} is back: sending again after ${this.failuresWhileDown} failed attempts over ${formatDuration(now - this.failingSince)}`,
      );
      this.failingSince = undefined;
    }
  }

  /** The wait a Retry-After asks for, at most maxRetryAfterMs. */
  private retryAfter(ms: number): number {
    return Math.min(ms, this.options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS);
  }

  private recordRetryable(batch: Batch, err: RemoteWriteError): void {
    this.totals.retried += batch.samples;
    this.options.events?.retried?.(batch.samples);
    if (this.failingSince === undefined) {
      this.failingSince = this.now();
      this.failuresWhileDown = 0;
      // What is waited, not what was asked: a Retry-After of three years is capped.
      const capped = err.retryAfterMs !== undefined && this.retryAfter(err.retryAfterMs) < err.retryAfterMs;
      const wait =
        err.retryAfterMs !== undefined ? `retrying after ${formatDuration(this.retryAfter(err.retryAfterMs))} (Retry-After${capped ? ", capped" : ""})` : "retrying with backoff";
      this.options.log(`${this.sink} to ${this.options.client.url} failing: ${err.message}; ${wait}, ${this.unit} kept in order`);
    }
    this.failuresWhileDown++;
  }

  private recordRefusal(batch: Batch, err: RemoteWriteError): void {
    this.totals.failed += batch.samples;
    this.options.events?.failed?.(batch.samples);
    if (!this.refusing) {
      this.refusing = true;
      this.options.log(`${this.sink} to ${this.options.client.url} refused a batch of ${batch.samples} ${this.unit}: ${err.message}; dropped, not retried`);
    }
  }
}
