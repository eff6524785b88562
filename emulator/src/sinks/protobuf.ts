/**
 * What the hand-written protobuf encoders (remote write's WriteRequest, Loki's PushRequest) share:
 * one growable buffer written field by field, and the sizes a length-delimited field needs before
 * its bytes are written. Only the wire types these two messages use: varints and length-delimited
 * bytes (remote write writes its one fixed64 double itself).
 */

/** Bytes of a non-negative integer up to 2^53 as a varint. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** UTF-8 byte length; the string's length when it is ASCII (no native call then: labels are short). */
export function utf8Length(value: string): number {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) >= 0x80) return Buffer.byteLength(value, "utf8");
  return value.length;
}

/**
 * The buffer a message is written into. The encoders extend it (their writes are the hot loop:
 * a method of their own class, not a call through a field); `reserve` before writing, as the
 * writes do not check the bounds.
 */
export class ProtobufWriter {
  protected buffer: Buffer;
  protected length = 0;

  constructor(initialBytes = 256 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** The encoded message so far (a view: valid until the next write or reset). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  get byteLength(): number {
    return this.length;
  }

  reset(): void {
    this.length = 0;
  }

  /** Short strings (label names and values), nearly always ASCII: copied by hand, which beats a native call per string. */
  protected text(value: string, bytes: number): void {
    if (bytes !== value.length) {
      this.length += this.buffer.write(value, this.length, "utf8");
      return;
    }
    const buffer = this.buffer;
    let at = this.length;
    for (let i = 0; i < value.length; i++) buffer[at++] = value.charCodeAt(i);
    this.length = at;
  }

  /** Runs of encoded bytes are some 10 to 100 bytes: a loop beats a native copy per run. */
  protected copy(source: Uint8Array, from: number, to: number): void {
    const buffer = this.buffer;
    let at = this.length;
    for (let i = from; i < to; i++) buffer[at++] = source[i];
    this.length = at;
  }

  protected byte(b: number): void {
    this.buffer[this.length++] = b;
  }

  /** Non-negative integers up to 2^53 (timestamps do not fit in 32 bits: no bitwise operators). */
  protected varint(value: number): void {
    if (value < 0x4000) {
      // Lengths of fields: one or two bytes.
      if (value < 0x80) {
        this.buffer[this.length++] = value;
      } else {
        this.buffer[this.length++] = (value & 0x7f) | 0x80;
        this.buffer[this.length++] = value >>> 7;
      }
      return;
    }
    while (value >= 0x80) {
      this.buffer[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.length++] = value;
  }

  protected reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.length + bytes, this.buffer.length * 2));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}
