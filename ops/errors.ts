import { FS_REASONS } from "../emulator/src/index";

/** Names `stack:new` accepts (they become part of Docker names). */
export const DEVELOPER_STACK = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$/;

/**
 * Errors the operations CLI prints as one paragraph (no stack trace). Anything else that escapes a
 * command is a bug and keeps its stack trace.
 */

/** A failure the user can act on; `exitCode` 2 means the command line or the configuration was wrong. */
export class OpsError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "OpsError";
  }
}

/** Bad command line or configuration (exit code 2). */
export class UsageError extends OpsError {
  constructor(message: string) {
    super(message, 2);
    this.name = "UsageError";
  }
}

/** A host port some other program holds; the caller knows which configuration key owns it. */
export class PortInUseError extends OpsError {
  constructor(
    readonly address: string,
    readonly port: number,
    message: string,
  ) {
    super(message);
    this.name = "PortInUseError";
  }
}

/** docker or pulumi is not installed (commands that can work offline fall back instead): exit 3, a missing dependency. */
export class ToolMissingError extends OpsError {
  constructor(
    readonly tool: string,
    message: string,
  ) {
    super(message, 3);
    this.name = "ToolMissingError";
  }
}

/** Pulumi has no stack of that name in the backend. */
export class StackNotFoundError extends OpsError {
  constructor(readonly stack: string) {
    // stack:new makes only names it can put into Docker names: advise it only for such a name.
    super(
      DEVELOPER_STACK.test(stack)
        ? `no stack ${stack}: create it with npm run stack:new -- ${stack}`
        : `no stack ${stack}; npm run stack:new creates stacks named with 1-32 lower-case letters, digits and dashes, starting with a letter (e.g. ${stack.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^[^a-z]+|-+$/g, "").slice(0, 32) || "alice"})`,
    );
    this.name = "StackNotFoundError";
  }
}

const FS_VERBS: Readonly<Record<string, string>> = {
  mkdir: "cannot create the directory",
  open: "cannot open",
  read: "cannot read",
  write: "cannot write",
  scandir: "cannot list the directory",
  rmdir: "cannot remove",
  rm: "cannot remove",
  unlink: "cannot remove",
  rename: "cannot rename",
  stat: "cannot read",
  lstat: "cannot read",
  copyfile: "cannot copy",
};

/**
 * A file-system error (a backup directory under a file, a full disk, no permission) as the plain message
 * it deserves: the path, what went wrong, no stack trace. Undefined for anything else (a bug stays a bug).
 */
export function fileSystemError(err: unknown, path?: string): OpsError | undefined {
  // Shape, not instanceof: errors from Node's own modules may come from another realm (jest's sandbox).
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as NodeJS.ErrnoException;
  if (typeof e.code !== "string" || !Object.hasOwn(FS_REASONS, e.code)) return undefined;
  const where = path ?? e.path;
  if (!where && !e.syscall) return undefined;
  const verb = (e.syscall && Object.hasOwn(FS_VERBS, e.syscall) ? FS_VERBS[e.syscall] : undefined) ?? "cannot use";
  return new OpsError(`${verb} ${where ?? "a file"}: ${FS_REASONS[e.code]} (${e.code})`);
}
