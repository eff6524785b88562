/**
 * The Loki push API (`POST /loki/api/v1/push`), in its two encodings; both accepted by Loki and by
 * VictoriaLogs (`/insert/loki/api/v1/push`), see docs/logs.md:
 *
 * - JSON: `{"streams": [{"stream": {labels}, "values": [["<unix ns>", "<line>"], ...]}]}`.
 * - JSON gzipped (`Content-Encoding: gzip`).
 * - protobuf (what Promtail and Alloy send), snappy block-compressed, no Content-Encoding (both
 *   stores take an absent one as snappy for protobuf); Loki's pkg/push/push.proto, the fields sent:
 *
 *     message PushRequest   { repeated StreamAdapter streams = 1; }
 *     message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; }  // hash = 3 not sent
 *     message EntryAdapter  { google.protobuf.Timestamp timestamp = 1; string line = 2; }  // structuredMetadata = 3 not sent
 *     message Timestamp     { int64 seconds = 1; int32 nanos = 2; }
 *
 *   `labels` is the stream's selector text, `{job="node", host="a"}`, values quoted as Prometheus
 *   prints them (Go's %q): Loki parses it with its LogQL parser, VictoriaLogs with strconv.Unquote.
 *
 * Batches hold at most `maxLines` lines (a stream's lines may span batches, in order), so that one
 * request stays well under the receivers' request size limits (docs/logs.md).
 */
import { gzipSync } from "zlib";
import type { StreamLines } from "../../logs/buffer";
import { ProtobufWriter, varintSize } from "../protobuf";
import { compress } from "../remote-write/batcher";
import type { Batch } from "../remote-write/queue";

export type LokiEncoding = "protobuf" | "json" | "json-gzip";
export const LOKI_ENCODINGS: readonly LokiEncoding[] = ["protobuf", "json", "json-gzip"];

export const LOKI_JSON_HEADERS = { "Content-Type": "application/json" } as const;
export const LOKI_JSON_GZIP_HEADERS = { "Content-Type": "application/json", "Content-Encoding": "gzip" } as const;
export const LOKI_PROTOBUF_HEADERS = { "Content-Type": "application/x-protobuf" } as const;

/** Push bodies of the given streams' lines, `maxLines` lines at most each; `wallMs` turns a line's scenario time into Unix ms. */
export type LokiEncoder = (groups: readonly StreamLines[], maxLines: number, wallMs: (scenarioMs: number) => number) => Batch[];

/** The content headers and the encoder of each encoding: what the sink is built with. */
export function lokiProtocol(encoding: LokiEncoding): { headers: Record<string, string>; encode: LokiEncoder } {
  if (encoding === "json") return { headers: LOKI_JSON_HEADERS, encode: encodeLokiJson };
  if (encoding === "json-gzip") return { headers: LOKI_JSON_GZIP_HEADERS, encode: encodeLokiJsonGzip };
  return { headers: LOKI_PROTOBUF_HEADERS, encode: encodeLokiProtobuf };
}

/**
 * The JSON bodies gzipped (Content-Encoding: gzip; Loki and VictoriaLogs both decompress it): the smallest on the
 * wire, the slowest to encode (docs/logs.md). Synchronous: a batch of 5000 lines is some 5 ms of zlib, and a push
 * cycle's lines are encoded in one go anyway.
 */
export function encodeLokiJsonGzip(groups: readonly StreamLines[], maxLines: number, wallMs: (scenarioMs: number) => number): Batch[] {
  return encodeLokiJson(groups, maxLines, wallMs).map((batch) => ({ ...batch, body: gzipSync(batch.body) }));
}

/** The labels of a stream as a JSON object text, once per stream. */
const labelJson = new WeakMap<object, string>();
function labelsOf(stream: StreamLines["stream"]): string {
  let text = labelJson.get(stream);
  if (text === undefined) {
    text = `{${stream.labels.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`;
    labelJson.set(stream, text);
  }
  return text;
}

/**
 * JSON push bodies of the given streams' lines, `maxLines` lines at most each; `wallMs` turns a
 * line's scenario time into Unix ms (the run's clock).
 */
export function encodeLokiJson(groups: readonly StreamLines[], maxLines: number, wallMs: (scenarioMs: number) => number): Batch[] {
  const batches: Batch[] = [];
  let parts: string[] = [];
  let lines = 0;
  let oldest = Infinity;
  const finish = () => {
    if (lines === 0) return;
    batches.push({ body: Buffer.from(`{"streams":[${parts.join(",")}]}`), samples: lines, oldestMs: oldest });
    parts = [];
    lines = 0;
    oldest = Infinity;
  };
  for (const group of groups) {
    let i = 0;
    while (i < group.lines.length) {
      const take = Math.min(group.lines.length - i, maxLines - lines);
      const values: string[] = new Array(take);
      for (let k = 0; k < take; k++) {
        const ms = wallMs(group.times[i + k]);
        if (ms < oldest) oldest = ms;
        values[k] = `["${ms}000000",${JSON.stringify(group.lines[i + k])}]`;
      }
      parts.push(`{"stream":${labelsOf(group.stream)},"values":[${values.join(",")}]}`);
      lines += take;
      i += take;
      if (lines >= maxLines) finish();
    }
  }
  finish();
  return batches;
}

/** A label value as Go's %q writes it (Prometheus' labels.String()): backslash, quote and control characters escaped. */
export function quoteLabelValue(value: string): string {
  // Nearly every value needs nothing: one test, no copy.
  if (!/[\\"\x00-\x1f\x7f]/.test(value)) return `"${value}"`;
  let out = '"';
  for (const ch of value) {
    const code = ch.charCodeAt(0);
    if (ch === "\\" || ch === '"') out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** The labels of a stream as LogQL selector text, UTF-8, once per stream. */
const labelSelectors = new WeakMap<object, Buffer>();
function selectorOf(stream: StreamLines["stream"]): Buffer {
  let bytes = labelSelectors.get(stream);
  if (bytes === undefined) {
    bytes = Buffer.from(`{${stream.labels.map(([k, v]) => `${k}=${quoteLabelValue(v)}`).join(", ")}}`, "utf8");
    labelSelectors.set(stream, bytes);
  }
  return bytes;
}

/** Writes PushRequest messages: a PushRequest is nothing but its StreamAdapter fields one after another. */
export class PushRequestWriter extends ProtobufWriter {
  /** Byte lengths and stamps (Unix ms) of the lines of the stream being written, reused. */
  private sizes = new Int32Array(1024);
  private stamps = new Float64Array(1024);

  /**
   * Appends a StreamAdapter of `lines[from]` up to `lines[to]`, stamped `wallMs(times[i])` (Unix ms);
   * returns the oldest stamp.
   */
  addStream(selector: Uint8Array, times: readonly number[], lines: readonly string[], from: number, to: number, wallMs: (scenarioMs: number) => number): number {
    const count = to - from;
    if (this.sizes.length < count) {
      this.sizes = new Int32Array(count * 2);
      this.stamps = new Float64Array(count * 2);
    }
    const sizes = this.sizes;
    const stamps = this.stamps;
    // First the sizes: a length-delimited field's length comes before its bytes.
    let entries = 0;
    let oldest = Infinity;
    for (let k = 0; k < count; k++) {
      const ms = wallMs(times[from + k]);
      stamps[k] = ms;
      if (ms < oldest) oldest = ms;
      const line = Buffer.byteLength(lines[from + k], "utf8");
      sizes[k] = line;
      const entry = 2 + timestampSize(ms) + 1 + varintSize(line) + line;
      entries += 1 + varintSize(entry) + entry;
    }
    const stream = 1 + varintSize(selector.length) + selector.length + entries;
    this.reserve(1 + varintSize(stream) + stream);
    this.byte(0x0a); // PushRequest.streams
    this.varint(stream);
    this.byte(0x0a); // StreamAdapter.labels
    this.varint(selector.length);
    this.copy(selector, 0, selector.length);
    for (let k = 0; k < count; k++) {
      const ms = stamps[k];
      const line = sizes[k];
      const stamp = timestampSize(ms);
      this.byte(0x12); // StreamAdapter.entries
      this.varint(2 + stamp + 1 + varintSize(line) + line);
      this.byte(0x0a); // EntryAdapter.timestamp
      this.varint(stamp);
      const seconds = Math.floor(ms / 1000);
      const nanos = (ms - seconds * 1000) * 1_000_000;
      this.byte(0x08); // Timestamp.seconds
      this.varint(seconds);
      if (nanos > 0) {
        this.byte(0x10); // Timestamp.nanos (0, the default, is not written)
        this.varint(nanos);
      }
      this.byte(0x12); // EntryAdapter.line
      this.varint(line);
      this.length += this.buffer.write(lines[from + k], this.length, "utf8");
    }
    return oldest;
  }
}

/** Bytes of a Timestamp message of Unix ms `ms` (not negative: the emulator's clock starts at the run). */
function timestampSize(ms: number): number {
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  return 1 + varintSize(seconds) + (nanos > 0 ? 1 + varintSize(nanos) : 0);
}

/** One writer for every call: its buffer grows to a batch's size once and is reused (compress copies). */
let writer: PushRequestWriter | undefined;

/** Protobuf push bodies (snappy-compressed PushRequests), cut like encodeLokiJson's. */
export function encodeLokiProtobuf(groups: readonly StreamLines[], maxLines: number, wallMs: (scenarioMs: number) => number): Batch[] {
  writer ??= new PushRequestWriter();
  const out = writer;
  out.reset();
  const batches: Batch[] = [];
  let lines = 0;
  let oldest = Infinity;
  const finish = () => {
    if (lines === 0) return;
    batches.push({ body: compress(out.bytes()), samples: lines, oldestMs: oldest });
    out.reset();
    lines = 0;
    oldest = Infinity;
  };
  for (const group of groups) {
    const selector = selectorOf(group.stream);
    let i = 0;
    while (i < group.lines.length) {
      const take = Math.min(group.lines.length - i, maxLines - lines);
      oldest = Math.min(oldest, out.addStream(selector, group.times, group.lines, i, i + take, wallMs));
      lines += take;
      i += take;
      if (lines >= maxLines) finish();
    }
  }
  finish();
  return batches;
}
