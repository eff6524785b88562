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

/** docker or pulumi is not installed (commands that can work offline fall back instead). */
export class ToolMissingError extends OpsError {
  constructor(
    readonly tool: string,
    message: string,
  ) {
    super(message);
    this.name = "ToolMissingError";
  }
}

/** Pulumi has no stack of that name in the backend. */
export class StackNotFoundError extends OpsError {
  constructor(readonly stack: string) {
    super(`no stack ${stack}: create it with npm run stack:new -- ${stack}`);
    this.name = "StackNotFoundError";
  }
}
