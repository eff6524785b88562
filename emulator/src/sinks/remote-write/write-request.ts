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

/** Labels of one series, `__name__` included, sorted by name (the specification requires it). */
export type LabelPairs = ReadonlyArray<readonly [string, string]>;

export class WriteRequestWriter {
  private buffer: Buffer;
  private length = 0;
  /** TimeSeries written since the last reset. */
  series = 0;
  /** Byte lengths of the current series' label names and values, reused. */
  private sizes = new Int32Array(64);

  constructor(initialBytes = 256 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

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

  /** The encoded request so far (a view: valid until the next write or reset). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  get byteLength(): number {
    return this.length;
  }

  reset(): void {
    this.length = 0;
    this.series = 0;
  }

  /** Label names and values are short and nearly always ASCII: copied by hand, which beats a native call per string. */
  private text(value: string, bytes: number): void {
    if (bytes !== value.length) {
      this.length += this.buffer.write(value, this.length, "utf8");
      return;
    }
    const buffer = this.buffer;
    let at = this.length;
    for (let i = 0; i < value.length; i++) buffer[at++] = value.charCodeAt(i);
    this.length = at;
  }

  private byte(b: number): void {
    this.buffer[this.length++] = b;
  }

  /** Non-negative integers up to 2^53 (timestamps do not fit in 32 bits: no bitwise operators). */
  private varint(value: number): void {
    while (value >= 0x80) {
      this.buffer[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.length++] = value;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.length + bytes, this.buffer.length * 2));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}

/** UTF-8 byte length; the string's length when it is ASCII (no native call then). */
function utf8Length(value: string): number {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) >= 0x80) return Buffer.byteLength(value, "utf8");
  return value.length;
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}
