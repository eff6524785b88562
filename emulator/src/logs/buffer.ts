/**
 * The lines the engine wrote since the last take, per stream: the sink a live run or a backfill
 * injects into the engine, drained by the I/O edge (a Loki push, a file).
 */
import type { LogSink, LogStream } from "./types";

export interface StreamLines {
  readonly stream: LogStream;
  /** Scenario times (ms), ascending. */
  readonly times: number[];
  readonly lines: string[];
}

export class LogBuffer implements LogSink {
  private byStream = new Map<number, StreamLines>();
  private count = 0;
  /** Lines written since the start (dropped by clear() included). */
  written = 0;

  write(stream: LogStream, t: number, line: string): void {
    let entry = this.byStream.get(stream.index);
    if (!entry) this.byStream.set(stream.index, (entry = { stream, times: [], lines: [] }));
    entry.times.push(t);
    entry.lines.push(line);
    this.count++;
    this.written++;
  }

  /** Lines waiting. */
  get size(): number {
    return this.count;
  }

  /** Everything written since the last take, by stream (in the order streams first wrote). */
  take(): StreamLines[] {
    const out = [...this.byStream.values()];
    this.byStream = new Map();
    this.count = 0;
    return out;
  }

  clear(): void {
    this.take();
  }
}
