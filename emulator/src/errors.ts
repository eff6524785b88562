/**
 * The errors the CLI prints as one paragraph, never with a stack trace, and the exit code of each
 * (one convention for every command, docs/emulator.md "Exit codes"):
 * - 2, UsageError: bad input (an option, a variable, a scenario, a rule file, a dashboard), named with
 *   the flag, the file and the path inside it, and what is allowed;
 * - 3, Unavailable: a dependency missing or unreachable (promtool, prometheus, the Prometheus asked),
 *   or an answer that is not Prometheus';
 * - 1, Failure: the work itself failed for a reason the message says (promtool failed, a full disk);
 * - 130/143: interrupted by SIGINT/SIGTERM (cli/interrupt.ts).
 * Anything else is a bug: exit 1 with its message (its stack with PROMEMU_DEBUG=1).
 */
export class UsageError extends Error {
  readonly exitCode: number = 2;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export class Unavailable extends Error {
  readonly exitCode: number = 3;
  constructor(message: string) {
    super(message);
    this.name = "Unavailable";
  }
}

export class Failure extends Error {
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = "Failure";
  }
}

/** `hosts[1].metrics.cpu_usage_percent.generator.min`: the path of a value inside a document. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(String(key))) out += out ? `.${String(key)}` : String(key);
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || "(top level)";
}

/** The value at `path` inside `doc` (undefined when there is none), for messages that show it. */
export function valueAt(doc: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value = doc;
  for (const key of path) value = typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}
