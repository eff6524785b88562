/**
 * The protobuf encoding of Prometheus' remote-write 1.0 WriteRequest, the part the emulator sends:
 *
 *   message WriteRequest { repeated TimeSeries timeseries = 1; }
 *   message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   message Label        { string name = 1; string value = 2; }
 *   message Sample       { double value = 1; int64 timestamp = 2; }   // ms since the Unix epoch
 *
 * Written by hand, straight into one growable buffer: four field types, no schema to load and no
 * object per sample (a protobuf runtime would want a message object per series and per label).
 * A WriteRequest is nothing but its TimeSeries fields one after another, so batches are built by
 * appending series and are complete at any point.
 */
import { ProtobufWriter, utf8Length, varintSize } from "../protobuf";

/** Labels of one series, `__name__` included, sorted by name (the specification requires it). */
export type LabelPairs = ReadonlyArray<readonly [string, string]>;

export class WriteRequestWriter extends ProtobufWriter {
  /** TimeSeries written since the last reset. */
  series = 0;
  /** Byte lengths of the current series' label names and values, reused. */
  private sizes = new Int32Array(64);

  /** Appends a TimeSeries of one sample. */
  addSeries(labels: LabelPairs, value: number, timestampMs: number): void {
    let labelsSize = 0;
    if (this.sizes.length < labels.length * 3) this.sizes = new Int32Array(labels.length * 6);
    const sizes = this.sizes;
    let j = 0;
    for (const [name, val] of labels) {
      const n = utf8Length(name);
      const v = utf8Length(val);
      const label = 1 + varintSize(n) + n + 1 + varintSize(v) + v;
      sizes[j++] = n;
      sizes[j++] = v;
      sizes[j++] = label;
      labelsSize += 1 + varintSize(label) + label;
    }
    const sample = 1 + 8 + 1 + varintSize(timestampMs);
    const series = labelsSize + 1 + varintSize(sample) + sample;
    this.reserve(1 + varintSize(series) + series);
    this.byte(0x0a); // WriteRequest.timeseries
    this.varint(series);
    let i = 0;
    for (const [name, val] of labels) {
      const n = sizes[i];
      const v = sizes[i + 1];
      const label = sizes[i + 2];
      i += 3;
      this.byte(0x0a); // TimeSeries.labels
      this.varint(label);
      this.byte(0x0a); // Label.name
      this.varint(n);
      this.text(name, n);
      this.byte(0x12); // Label.value
      this.varint(v);
      this.text(val, v);
    }
    this.byte(0x12); // TimeSeries.samples
    this.varint(sample);
    this.byte(0x09); // Sample.value, fixed64
    this.buffer.writeDoubleLE(value, this.length);
    this.length += 8;
    this.byte(0x10); // Sample.timestamp, varint
    this.varint(timestampMs);
    this.series++;
  }

  /**
   * Appends a TimeSeries of one sample whose labels were encoded beforehand: the host's, with the
   * line's own (`__name__`, a bucket's `le`) slotted in where the sort order puts them. The same
   * bytes as addSeries with the merged labels (a TimeSeries' labels are nothing but their Label
   * fields one after another), without encoding a label name or value again.
   */
  addEncodedSeries(host: EncodedLabels, line: LineLabels, value: number, timestampMs: number): void {
    const sample = 1 + 8 + 1 + varintSize(timestampMs);
    const bytes = host.bytes;
    const series = bytes.length + line.byteLength + 1 + varintSize(sample) + sample;
    this.reserve(1 + varintSize(series) + series);
    this.byte(0x0a); // WriteRequest.timeseries
    this.varint(series);
    const cuts = line.cutsFor(host);
    const own = line.labels;
    let from = 0;
    for (let j = 0; j < own.length; j++) {
      const to = cuts[j];
      if (to > from) this.copy(bytes, from, to);
      this.copy(own[j], 0, own[j].length);
      from = to;
    }
    if (bytes.length > from) this.copy(bytes, from, bytes.length);
    this.byte(0x12); // TimeSeries.samples
    this.varint(sample);
    this.byte(0x09); // Sample.value, fixed64
    this.buffer.writeDoubleLE(value, this.length);
    this.length += 8;
    // Every series of a batch has the same timestamp: its varint is written once, then copied.
    if (timestampMs !== this.stampMs) this.encodeStamp(timestampMs);
    this.copy(this.stamp, 0, this.stamp.length);
    this.series++;
  }

  private stampMs = -1;
  private stamp: Uint8Array = new Uint8Array(0);

  private encodeStamp(timestampMs: number): void {
    const bytes = [0x10]; // Sample.timestamp, varint
    for (let value = timestampMs; ; value = Math.floor(value / 0x80)) {
      if (value < 0x80) {
        bytes.push(value);
        break;
      }
      bytes.push((value % 0x80) | 0x80);
    }
    this.stamp = Uint8Array.from(bytes);
    this.stampMs = timestampMs;
  }

  reset(): void {
    super.reset();
    this.series = 0;
  }
}

/** One label as the bytes of its TimeSeries.labels field (key, length, Label message). */
export function encodeLabel(name: string, value: string): Uint8Array {
  const n = Buffer.byteLength(name, "utf8");
  const v = Buffer.byteLength(value, "utf8");
  const label = 1 + varintSize(n) + n + 1 + varintSize(v) + v;
  const out = Buffer.allocUnsafe(1 + varintSize(label) + label);
  let at = 0;
  const varint = (x: number) => {
    while (x >= 0x80) {
      out[at++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    out[at++] = x;
  };
  out[at++] = 0x0a; // TimeSeries.labels
  varint(label);
  out[at++] = 0x0a; // Label.name
  varint(n);
  at += out.write(name, at, "utf8");
  out[at++] = 0x12; // Label.value
  varint(v);
  out.write(value, at, "utf8");
  return out;
}

/** Same order as sorting by name with `<` (what parseSampleLine does). */
function byName(a: readonly [string, string], b: readonly [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** The label names of a set of hosts' labels; one object per distinct list, so that a cut list is cached per shape. */
class LabelShape {
  private static readonly shapes = new Map<string, LabelShape>();
  private constructor(readonly names: readonly string[]) {}
  static of(names: readonly string[]): LabelShape {
    const key = JSON.stringify(names);
    let shape = LabelShape.shapes.get(key);
    if (!shape) LabelShape.shapes.set(key, (shape = new LabelShape(names)));
    return shape;
  }
}

/**
 * A host's labels, sorted by name and encoded once: they never change while the host lives, so a
 * cycle only encodes values and timestamps. One per host, not one per series: at 100,000 hosts
 * (1.6 M series) some 40 MB of heap and 19 MB of buffers in all, measured.
 */
export class EncodedLabels {
  /** Their TimeSeries.labels fields, one after another. */
  readonly bytes: Uint8Array;
  /** Byte offset of label i in `bytes`; one more entry: the end. */
  readonly offsets: readonly number[];
  readonly shape: LabelShape;

  constructor(labels: LabelPairs) {
    const sorted = [...labels].sort(byName);
    const fields = sorted.map(([name, value]) => encodeLabel(name, value));
    this.bytes = Buffer.concat(fields);
    const offsets = [0];
    for (const field of fields) offsets.push(offsets[offsets.length - 1] + field.length);
    this.offsets = offsets;
    this.shape = LabelShape.of(sorted.map(([name]) => name));
  }
}

/**
 * The labels a line adds to its host's: `__name__` and, for a bucket, `le`; encoded once per metric
 * line. Where they go among a host's labels depends only on the host's label names: computed once
 * per shape (the hosts of a scenario nearly always share one).
 */
export class LineLabels {
  readonly labels: readonly Uint8Array[];
  readonly byteLength: number;
  private readonly names: readonly string[];
  /** On a tie with a host label of the same name, whether this one goes first (`__name__` does: it is read first). */
  private readonly first: readonly boolean[];
  private lastShape: LabelShape | undefined;
  private lastCuts: readonly number[] = [];
  private readonly cuts = new Map<LabelShape, readonly number[]>();

  /** `name`: the metric name; `extra`: the labels after the host's (a bucket's `le`), as written. */
  constructor(name: string | undefined, extra: LabelPairs) {
    const own: { label: readonly [string, string]; first: boolean }[] = [];
    if (name !== undefined) own.push({ label: ["__name__", name], first: true });
    for (const label of extra) own.push({ label, first: false });
    own.sort((a, b) => byName(a.label, b.label));
    this.labels = own.map(({ label }) => encodeLabel(label[0], label[1]));
    this.names = own.map(({ label }) => label[0]);
    this.first = own.map(({ first }) => first);
    this.byteLength = this.labels.reduce((sum, field) => sum + field.length, 0);
  }

  /** Byte offsets in `host.bytes` before which each of this line's labels goes. */
  cutsFor(host: EncodedLabels): readonly number[] {
    if (host.shape === this.lastShape) return this.offsetsOf(host, this.lastCuts);
    let at = this.cuts.get(host.shape);
    if (!at) {
      const hostNames = host.shape.names;
      at = this.names.map((name, j) => hostNames.filter((other) => other < name || (other === name && !this.first[j])).length);
      this.cuts.set(host.shape, at);
    }
    this.lastShape = host.shape;
    this.lastCuts = at;
    return this.offsetsOf(host, at);
  }

  private readonly scratch: number[] = [];
  private offsetsOf(host: EncodedLabels, at: readonly number[]): readonly number[] {
    const out = this.scratch;
    for (let j = 0; j < at.length; j++) out[j] = host.offsets[at[j]];
    return out;
  }
}
