/**
 * Push cycles to the Pushgateway. Hosts are spread over a fixed number of groups (shards); each
 * cycle PUTs every non-empty group in full, which replaces it, so a host that stopped or whose TTL
 * ended is gone from the Pushgateway one cycle later. A group that became empty is deleted.
 *
 * Failed pushes are retried with exponential backoff and jitter until the cycle's deadline (the next
 * cycle brings fresh values anyway), counted, and logged once per change of state: "unreachable",
 * then "back after N failures". Nothing here throws on an outage.
 */
import { setTimeout as delay } from "timers/promises";
import { BufferWriter } from "../exposition/buffer-writer";
import type { TextSink } from "../exposition/render";
import { formatDuration } from "../util/duration";
import { type Backoff, DEFAULT_BACKOFF, backoffDelay } from "./backoff";
import { OWNER_LABEL, shardKey } from "./grouping";
import { PushError, type PushgatewayClient } from "./pushgateway";

export interface PusherOptions {
  client: PushgatewayClient;
  /** Owner mark of our groups; cleanup deletes groups of our job with this mark and no others. */
  owner: string;
  shards: number;
  log: (line: string) => void;
  /** Requests in flight at once. Two let the next group be rendered while one is on the wire. */
  concurrency?: number;
  backoff?: Backoff;
  /** Jitter source (seeded in tests). */
  random?: () => number;
  now?: () => number;
  /** Called once per HTTP attempt. */
  onAttempt?: (ok: boolean) => void;
}

/** Writes a group's body; returns its sample lines (0: the group is empty). */
export type RenderGroup = (shard: number, out: TextSink) => number;

export interface CycleReport {
  /** Sample lines rendered in this cycle. */
  readonly series: number;
  readonly failedAttempts: number;
  /** Every group ended the cycle pushed (or deleted). */
  readonly complete: boolean;
  readonly durationMs: number;
}

export class Pusher {
  private readonly pushed: boolean[];
  /** One reusable body buffer per request in flight. */
  private readonly writers: BufferWriter[];
  private readonly concurrency: number;
  private readonly backoff: Backoff;
  private readonly random: () => number;
  private readonly now: () => number;
  private failingSince: number | undefined;
  private failuresWhileDown = 0;
  /** Groups whose last push was refused (4xx), so that a refusal is logged once, not every cycle. */
  private readonly refused = new Set<number>();

  constructor(private readonly options: PusherOptions) {
    this.pushed = new Array(options.shards).fill(false);
    this.concurrency = options.concurrency ?? 2;
    this.writers = Array.from({ length: this.concurrency }, () => new BufferWriter());
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  get shards(): number {
    return this.options.shards;
  }

  /** Whether the last attempt failed for a reason that may pass (network, timeout, 5xx). */
  get failing(): boolean {
    return this.failingSince !== undefined;
  }

  /**
   * Deletes the groups an earlier run with our owner mark left (another shard count, a crash), and
   * only those. Returns how many, or undefined when the Pushgateway could not be asked.
   */
  async cleanup(signal?: AbortSignal): Promise<number | undefined> {
    const { client, owner } = this.options;
    try {
      const owned = (await client.groups(signal)).filter((labels) => labels.job === client.job && labels[OWNER_LABEL] === owner);
      await eachLimited(owned, this.concurrency, async (labels) => {
        const key = Object.keys(labels)
          .filter((name) => name !== "job")
          .sort()
          .map((name) => [name, labels[name]] as const);
        await client.delete(key, signal);
      });
      this.pushed.fill(false);
      return owned.length;
    } catch (err) {
      if (signal?.aborted) return undefined;
      this.recordFailure(-1, err);
      return undefined;
    }
  }

  /**
   * Pushes every group once, retrying failures until `deadline` (wall-clock ms). A retry renders
   * the group again (values as fresh as the engine's), so no body is kept between rounds.
   */
  async pushCycle(render: RenderGroup, deadline: number, signal: AbortSignal): Promise<CycleReport> {
    const started = this.now();
    let pending = Array.from({ length: this.options.shards }, (_, i) => i);
    let series = 0;
    let failedAttempts = 0;
    let unresolved = 0;
    for (let round = 0; ; round++) {
      const retry: number[] = [];
      unresolved = 0;
      await eachLimited(pending, this.concurrency, async (shard, slot) => {
        if (signal.aborted) return;
        const writer = this.writers[slot];
        writer.reset();
        const lines = render(shard, writer);
        if (round === 0) series += lines;
        try {
          if (!(await this.pushShard(shard, lines > 0 ? writer.bytes() : undefined, signal))) return;
          this.recordSuccess(shard);
        } catch (err) {
          if (signal.aborted) return;
          failedAttempts++;
          unresolved++;
          this.recordFailure(shard, err);
          if ((err as PushError).retryable) retry.push(shard);
        }
      });
      pending = retry;
      if (pending.length === 0 || signal.aborted) break;
      const wait = backoffDelay(this.backoff, round, this.random);
      if (this.now() + wait >= deadline) break;
      try {
        await delay(wait, undefined, { signal });
      } catch {
        break;
      }
    }
    return { series, failedAttempts, complete: unresolved === 0 && !signal.aborted, durationMs: this.now() - started };
  }

  /** Deletes all our groups (on shutdown). Returns the errors, if any. */
  async removeAll(timeoutMs: number): Promise<string[]> {
    const errors: string[] = [];
    const shards = Array.from({ length: this.options.shards }, (_, i) => i);
    await eachLimited(shards, 8, async (shard) => {
      try {
        await this.options.client.delete(shardKey(this.options.owner, shard), undefined, timeoutMs);
        this.pushed[shard] = false;
      } catch (err) {
        errors.push((err as Error).message);
      }
    });
    return errors;
  }

  /** PUT a non-empty group; DELETE a group that emptied; false when there is nothing to do. */
  private async pushShard(shard: number, body: Uint8Array | undefined, signal: AbortSignal): Promise<boolean> {
    const key = shardKey(this.options.owner, shard);
    if (body) {
      await this.options.client.put(key, body, signal);
      this.pushed[shard] = true;
      return true;
    }
    if (!this.pushed[shard]) return false;
    await this.options.client.delete(key, signal);
    this.pushed[shard] = false;
    return true;
  }

  private recordSuccess(shard: number): void {
    this.options.onAttempt?.(true);
    if (this.refused.delete(shard)) this.options.log(`pushgateway ${this.options.client.url} accepts group ${shard} again`);
    if (this.failingSince !== undefined) {
      const down = formatDuration(this.now() - this.failingSince);
      this.options.log(`pushgateway ${this.options.client.url} is back: pushing again after ${this.failuresWhileDown} failed attempts over ${down}`);
      this.failingSince = undefined;
    }
  }

  private recordFailure(shard: number, err: unknown): void {
    if (!(err instanceof PushError)) throw err;
    this.options.onAttempt?.(false);
    if (err.retryable) {
      if (this.failingSince === undefined) {
        this.failingSince = this.now();
        this.failuresWhileDown = 0;
        this.options.log(`pushgateway ${this.options.client.url} unreachable: ${err.message}; retrying with backoff, and every push interval after that`);
      }
      this.failuresWhileDown++;
    } else if (!this.refused.has(shard)) {
      // A refusal will not pass by retrying; its text varies from push to push (the Pushgateway
      // names whichever conflicting series it met first), so it is logged once until accepted again.
      this.refused.add(shard);
      this.options.log(`pushgateway ${this.options.client.url} refused ${shard >= 0 ? `group ${shard}` : "the request"}: ${err.message}`);
    }
  }
}

/** Runs fn over items with at most `limit` in flight; `slot` tells which of the limit runs it. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T, slot: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (slot: number) => {
    while (next < items.length) await fn(items[next++], slot);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, (_, slot) => worker(slot)));
}
