/**
 * A growable byte buffer that rendered text is encoded into directly. A push body of 20,000 lines
 * then costs no 2 MB string per group and cycle (large strings go straight to V8's old space and
 * pile up there between major collections, which is what drove the RSS at 10,000 hosts), and the
 * HTTP client sends the bytes as they are. One writer is reused for every body its worker renders.
 */
import type { TextSink } from "./render";

const PENDING_CHARS = 16 * 1024;

export class BufferWriter implements TextSink {
  private buffer: Buffer;
  private length = 0;
  /** Small pieces are gathered into a short string first: one encode per ~16 kB, not per piece. */
  private pending = "";

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  write(text: string): void {
    this.pending += text;
    if (this.pending.length >= PENDING_CHARS) this.flush();
  }

  /** The bytes written since the last reset (a view: valid until the next write). */
  bytes(): Buffer {
    this.flush();
    return this.buffer.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
    this.pending = "";
  }

  private flush(): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const needed = this.length + this.pending.length * 3;
    if (needed > this.buffer.length) this.grow(needed);
    this.length += this.buffer.write(this.pending, this.length, "utf8");
    this.pending = "";
  }

  private grow(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}
