/**
 * Cuts the samples of one shard and cycle into batches of at most `maxSamples` series, each a
 * WriteRequest compressed with snappy's block format (snappyjs: pure JavaScript, so the image and
 * `npm ci` need no native build).
 */
import type { TextSink } from "../../exposition/render";
import { ExpositionSampleSink } from "./exposition-samples";
import type { Batch } from "./queue";
import { WriteRequestWriter } from "./write-request";

// snappyjs ships no type declarations; these are the two calls it has.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snappy: { compress(input: Uint8Array): Uint8Array; uncompress(input: Uint8Array): Uint8Array } = require("snappyjs");

export function compress(request: Uint8Array): Uint8Array {
  return snappy.compress(request);
}

/** For tests and receivers: the WriteRequest inside a body. */
export function uncompress(body: Uint8Array): Uint8Array {
  return snappy.uncompress(body);
}

export class Batcher {
  private readonly writer = new WriteRequestWriter();
  private readonly batches: Batch[] = [];
  private timestampMs = 0;
  readonly sink: TextSink;

  constructor(private readonly maxSamples: number) {
    this.sink = new ExpositionSampleSink((labels, value) => {
      this.writer.addSeries(labels, value, this.timestampMs);
      if (this.writer.series >= this.maxSamples) this.cut();
    });
  }

  /** Starts a shard's batches; every sample written to `sink` until `finish` gets this timestamp. */
  begin(timestampMs: number): void {
    this.timestampMs = timestampMs;
    this.writer.reset();
    this.batches.length = 0;
  }

  /** The batches of the samples written since `begin`. */
  finish(): Batch[] {
    this.cut();
    return this.batches.splice(0);
  }

  private cut(): void {
    if (this.writer.series === 0) return;
    // compress() copies: the writer's buffer is reused for the next batch.
    this.batches.push({ body: compress(this.writer.bytes()), samples: this.writer.series, oldestMs: this.timestampMs });
    this.writer.reset();
  }
}
