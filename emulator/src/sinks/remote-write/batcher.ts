/**
 * Cuts the samples of one shard and cycle into batches of at most `maxSamples` series, each a
 * WriteRequest compressed with snappy's block format (snappyjs: pure JavaScript, so the image and
 * `npm ci` need no native build).
 */
import type { HostRuntime } from "../../engine/host";
import { type TextSink, renderSamples } from "../../exposition/render";
import { ExpositionSampleSink } from "./exposition-samples";
import type { Batch } from "./queue";
import { WriteRequestWriter } from "./write-request";

// snappyjs ships no type declarations; these are the two calls it has.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snappy: { compress(input: Uint8Array): Uint8Array; uncompress(input: Uint8Array): Uint8Array } = require("snappyjs");

export function compress(request: Uint8Array): Uint8Array {
  // Handed a Buffer, snappyjs returns a Buffer view into its worst-case output (about 1.2 times the
  // input, zero-filled): a queued 35 kB batch kept some 330 kB alive, ten times what
  // --remote-write-max-pending allows for. Handed a plain Uint8Array, it returns a copy of the
  // compressed bytes alone.
  return snappy.compress(new Uint8Array(request.buffer, request.byteOffset, request.byteLength));
}

/** For tests and receivers: the WriteRequest inside a body. */
export function uncompress(body: Uint8Array): Uint8Array {
  return snappy.uncompress(body);
}

export class Batcher {
  private readonly writer = new WriteRequestWriter();
  private readonly batches: Batch[] = [];
  private timestampMs = 0;
  /** Timestamp of the first sample of the batch being written. */
  private oldestMs = 0;
  readonly sink: TextSink;

  constructor(private readonly maxSamples: number) {
    this.sink = new ExpositionSampleSink((host, line, value) => {
      if (this.writer.series === 0) this.oldestMs = this.timestampMs;
      this.writer.addEncodedSeries(host, line, value, this.timestampMs);
      if (this.writer.series >= this.maxSamples) this.cut();
    });
  }

  /** Starts a shard's batches; every sample written until `finish` gets this timestamp, or a later `stamp`'s. */
  begin(timestampMs: number): void {
    this.timestampMs = timestampMs;
    this.writer.reset();
    this.batches.length = 0;
  }

  /** The timestamp of the samples written from now on (the engine may have moved on since `begin`). */
  stamp(timestampMs: number): void {
    this.timestampMs = timestampMs;
  }

  /** Writes the samples of `hosts[from]` up to `hosts[to]`; returns how many. */
  write(hosts: readonly HostRuntime[], from: number, to: number): number {
    return renderSamples(hosts, this.sink, from, to);
  }

  /** The batches completed so far; the one being filled stays. */
  take(): Batch[] {
    return this.batches.splice(0);
  }

  /** The batches of the samples written since `begin`, the last one cut short. */
  finish(): Batch[] {
    this.cut();
    return this.batches.splice(0);
  }

  private cut(): void {
    if (this.writer.series === 0) return;
    // compress() copies: the writer's buffer is reused for the next batch.
    this.batches.push({ body: compress(this.writer.bytes()), samples: this.writer.series, oldestMs: this.oldestMs });
    this.writer.reset();
  }
}
