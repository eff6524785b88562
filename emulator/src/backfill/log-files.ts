/**
 * A backfill's logs as the programs write them to disk: one file per stream, `<dir>/<host>/<source>.log`
 * (rsyslog's /var/log/syslog, nginx's access log, PostgreSQL's stderr log, an application's log), the
 * lines in time order, each ending with a newline (a PostgreSQL entry spans its DETAIL/HINT lines, as in
 * the real file). Whole or not at all: everything goes into a staging folder beside `dir`, renamed to
 * `dir` at the end (one rename in one directory: atomic), removed on failure or Ctrl-C.
 */
import * as fs from "fs";
import * as path from "path";
import { Failure } from "../errors";
import type { StreamLines } from "../logs/buffer";
import type { LogStream } from "../logs/types";
import { fsReason } from "../util/files";
import type { LogOutput } from "./logs";

/**
 * Each stream's file, relative to the folder: `<host>/<source>.log`; a host with two sources of a kind
 * (two `events` of different apps) gets `<source>-2.log` for the second. Host names are safe as folder
 * names (the scenario schema allows letters, digits, `_ . -`, starting with a letter or digit).
 */
export function logFileNames(streams: readonly LogStream[]): Map<number, string> {
  const names = new Map<number, string>();
  const taken = new Set<string>();
  for (const stream of streams) {
    let name = path.join(stream.host, `${stream.source}.log`);
    for (let n = 2; taken.has(name); n++) name = path.join(stream.host, `${stream.source}-${n}.log`);
    taken.add(name);
    names.set(stream.index, name);
  }
  return names;
}

/** Text kept per stream before it is appended to its file. */
const STREAM_FLUSH_BYTES = 256 * 1024;
/** Text kept over all streams: a fleet of thousands of streams stays within this. */
const TOTAL_FLUSH_BYTES = 16 * 1024 * 1024;

interface OpenStream {
  readonly file: string;
  text: string;
  /** Bytes of `text`. */
  held: number;
}

export class LogFiles implements LogOutput {
  readonly staging: string;
  private readonly streams = new Map<number, OpenStream>();
  private held = 0;
  /** Bytes and lines written (flushed or not). */
  bytes = 0;
  lines = 0;

  /** Creates the staging folder with every stream's file, empty: a stream that writes nothing still has its file. */
  constructor(
    readonly dir: string,
    streams: readonly LogStream[],
  ) {
    const resolved = path.resolve(dir);
    this.staging = path.join(path.dirname(resolved), `.${path.basename(resolved)}.promemu-${process.pid}.tmp`);
    const names = logFileNames(streams);
    this.guard(this.staging, () => {
      fs.rmSync(this.staging, { recursive: true, force: true });
      fs.mkdirSync(this.staging);
    });
    for (const stream of streams) {
      const file = path.join(this.staging, names.get(stream.index)!);
      this.guard(file, () => {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, "");
      });
      this.streams.set(stream.index, { file, text: "", held: 0 });
    }
  }

  write(groups: readonly StreamLines[]): void {
    for (const group of groups) {
      const open = this.streams.get(group.stream.index)!;
      let text = "";
      for (const line of group.lines) text += line + "\n";
      open.text += text;
      const bytes = Buffer.byteLength(text);
      open.held += bytes;
      this.bytes += bytes;
      this.held += bytes;
      this.lines += group.lines.length;
      if (open.held >= STREAM_FLUSH_BYTES) this.flush(open);
    }
    if (this.held >= TOTAL_FLUSH_BYTES) for (const open of this.streams.values()) this.flush(open);
  }

  /** Writes what is held and puts the folder under its name: `dir` must be absent or empty (checked before the run). */
  commit(): void {
    for (const open of this.streams.values()) this.flush(open);
    this.guard(this.dir, () => {
      // rename(2) replaces an empty directory; rmdir first keeps that true on every platform.
      if (fs.existsSync(this.dir)) fs.rmdirSync(this.dir);
      fs.renameSync(this.staging, this.dir);
    });
  }

  /** Removes the staging folder; `dir` is left as it was. */
  discard(): void {
    fs.rmSync(this.staging, { recursive: true, force: true });
  }

  private flush(open: OpenStream): void {
    if (open.text === "") return;
    // Opened for each flush, not kept open: a fleet of thousands of hosts would run out of descriptors.
    this.guard(open.file, () => fs.appendFileSync(open.file, open.text));
    this.held -= open.held;
    open.text = "";
    open.held = 0;
  }

  /** A file-system error as a Failure naming the file (exit 1, no stack trace). */
  private guard(file: string, work: () => void): void {
    try {
      work();
    } catch (err) {
      const reason = fsReason(err);
      throw reason ? new Failure(`cannot write ${file}: ${reason}`) : err;
    }
  }
}

/** Why `dir` cannot take a backfill's logs (it holds something), or undefined. */
export function logsOutProblem(dir: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  if (!fs.statSync(dir).isDirectory()) return "is not a directory; give a new or empty directory (created when missing)";
  const entries = fs.readdirSync(dir);
  if (entries.length === 0) return undefined;
  return `is not empty (${entries.slice(0, 3).join(", ")}${entries.length > 3 ? ", ..." : ""}: an earlier backfill?); the logs are written whole into a new or empty directory: remove it, or give another --logs-out`;
}
