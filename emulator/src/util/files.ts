/**
 * Files promemu writes, and what goes wrong with them. Output is written whole or not at all: into a
 * temporary name beside the file, renamed over it once complete (a rename within one directory is
 * atomic), so a full disk, a crash or Ctrl-C never leaves a truncated file under the real name. The
 * reasons are shared with the operations CLI (ops/errors.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { UsageError } from "../errors";

/** What each file-system error means for the person who has to fix it. */
export const FS_REASONS: Readonly<Record<string, string>> = {
  ENOTDIR: "a part of the path is a file, not a directory",
  EISDIR: "it is a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  EEXIST: "it exists already",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "the file is larger than allowed (ulimit -f)",
  EROFS: "the file system is read-only",
  ENAMETOOLONG: "the name is too long",
  ELOOP: "too many symbolic links",
  EMFILE: "too many open files",
  EBUSY: "the file is busy",
  EIO: "input/output error",
};

/** `no space left on the device (ENOSPC)`; undefined for an error that is not a file-system error. */
export function fsReason(err: unknown): string | undefined {
  // Shape, not instanceof: errors from Node's own modules may come from another realm (jest's sandbox).
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === "string" && Object.hasOwn(FS_REASONS, code) ? `${FS_REASONS[code]} (${code})` : undefined;
}

/** A file written whole or not at all: chunks go to a temporary name beside it, which commit() renames over it. */
export class WholeFile {
  readonly temporary: string;
  private fd: number | undefined;

  constructor(readonly file: string) {
    this.temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
    this.fd = fs.openSync(this.temporary, "w");
  }

  /** Bytes written. */
  write(chunk: string): number {
    return fs.writeSync(this.fd!, chunk);
  }

  /** Closes the file (once) and puts it under its name. */
  commit(): void {
    this.close();
    fs.renameSync(this.temporary, this.file);
  }

  /** Closes and removes the temporary file; nothing under the real name changes. */
  discard(): void {
    try {
      this.close();
    } finally {
      fs.rmSync(this.temporary, { force: true });
    }
  }

  private close(): void {
    const fd = this.fd;
    // Closed once: a second close would fail with EBADF and hide the error that led here.
    this.fd = undefined;
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** `text` into `file`, whole or not at all. */
export function writeFileWhole(file: string, text: string): void {
  const out = new WholeFile(file);
  try {
    out.write(text);
    out.commit();
  } catch (err) {
    out.discard();
    throw err;
  }
}

/**
 * Creates `dir` when missing and checks that it can be written to: a UsageError naming `flag` otherwise
 * (a read-only mount, a file somewhere in the path, no permission), before any work starts.
 */
export function ensureWritableDirectory(dir: string, flag: string): void {
  const refuse = (problem: string) => new UsageError(`${flag} "${dir}": ${problem}`);
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw refuse("is not a directory; give a directory (created when missing)");
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    const reason = fsReason(err);
    if (!reason) throw err;
    throw refuse(`cannot write there: ${reason}`);
  }
}
