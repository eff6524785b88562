/**
 * The one way the operations CLI starts docker and pulumi: spawn with an argument array (no shell),
 * the context's environment (so PATH decides which binaries run), and every known failure turned into
 * a sentence that says what to do.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import type { OpsContext } from "./context";
import { note } from "./context";
import { fileSystemError, OpsError, PortInUseError, StackNotFoundError, ToolMissingError } from "./errors";
import { InterruptedError } from "./interrupt";

export type Tool = "docker" | "pulumi";

export interface RunOptions {
  /** Copy the child's output as it arrives: to ours (pulumi up shows its own progress) or to given streams. */
  stream?: boolean | { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
  /** Send this file to the child's standard input. */
  stdinFile?: string;
  /** Write the child's standard output to this file instead of keeping it (archives). */
  stdoutFile?: string;
  /** Extra environment on top of the context's. */
  env?: Record<string, string>;
  /** Return a failed result instead of throwing (the caller reads the exit code). */
  allowFailure?: boolean;
  /** Kill the child after this long and fail. */
  timeoutMs?: number;
  /**
   * A clean-up call (unpause, start again, remove a helper): it still runs after an interruption, which
   * it does not stop. Every other call is refused once interrupted, and stopped when one comes.
   */
  cleanup?: boolean;
  /**
   * Arguments of a second call of the same tool that stops what this one started, run when it is
   * interrupted: `docker rm -f <helper>` (the CLI of `docker run` passes the signal on to the
   * container's PID 1, which ignores it).
   */
  stopWith?: string[];
}

export interface RunResult {
  code: number;
  /** Standard output (empty when it went to stdoutFile). */
  stdout: string;
  stderr: string;
}

const INSTALL_HINTS: Record<Tool, string> = {
  docker: "Docker CLI not found: install Docker (https://docs.docker.com/get-docker/) and make sure `docker` is on PATH",
  pulumi:
    "Pulumi CLI not found: install it (https://www.pulumi.com/docs/iac/download-install/, e.g. `curl -fsSL https://get.pulumi.com | sh`) and make sure `pulumi` is on PATH",
};

/** Output kept for error messages: the end is where the reason is. */
const TAIL_BYTES = 64 * 1024;

function appendTail(current: string, chunk: Buffer): string {
  const next = current + chunk.toString("utf8");
  return next.length > TAIL_BYTES ? next.slice(-TAIL_BYTES) : next;
}

/**
 * How each tool is asked to stop on an interruption: pulumi with SIGINT, its documented graceful cancel
 * (a second one forces it), so the state stays consistent; docker's CLI with SIGTERM.
 */
const STOP_SIGNALS: Record<Tool, NodeJS.Signals> = { docker: "SIGTERM", pulumi: "SIGINT" };

export async function run(ctx: OpsContext, tool: Tool, args: string[], options: RunOptions = {}): Promise<RunResult> {
  // After Ctrl-C or SIGTERM only the clean-up calls start; the step that was about to begin fails here.
  if (!options.cleanup) ctx.interrupt.check(`${tool} ${args[0] ?? ""} was not started`);
  const echo = options.stream === true ? { stdout: ctx.stdout, stderr: ctx.stderr } : options.stream || undefined;
  const result = await new Promise<RunResult>((resolve, reject) => {
    const child = spawn(tool, args, {
      cwd: ctx.cwd,
      env: { ...ctx.env, ...options.env },
      stdio: [options.stdinFile ? "pipe" : "ignore", "pipe", "pipe"],
      // Its own process group: Ctrl-C in the terminal reaches this CLI only, which stops each child the
      // way that child needs (below) instead of every one at once in the middle of its work.
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let failure: Error | undefined;
    let interrupted = false;
    let undo: Promise<unknown> = Promise.resolve();
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill("SIGKILL");
        }, options.timeoutMs)
      : undefined;
    const stopOnInterrupt = options.cleanup
      ? () => undefined
      : ctx.interrupt.onInterrupt((_signal, repeated) => {
          if (repeated) {
            child.kill(tool === "pulumi" ? STOP_SIGNALS.pulumi : "SIGKILL");
            return;
          }
          interrupted = true;
          child.kill(STOP_SIGNALS[tool]);
          if (options.stopWith) {
            const stopWith = options.stopWith;
            undo = run(ctx, tool, stopWith, { cleanup: true, allowFailure: true, timeoutMs: 60_000 }).catch((err: Error) =>
              note(ctx, `warning: ${tool} ${stopWith.join(" ")} failed: ${err.message}`),
            );
          }
        });
    const sink = options.stdoutFile ? fs.createWriteStream(options.stdoutFile) : undefined;
    const sinkClosed = sink ? new Promise<void>((done) => sink.once("close", done)) : Promise.resolve();
    if (sink) {
      // A full disk or a path that cannot be written: stop the child, which would otherwise block on a
      // pipe nobody reads any more, and report the file.
      sink.once("error", (err) => {
        failure ??= fileSystemError(err, options.stdoutFile) ?? err;
        child.kill("SIGKILL");
        // Drained, so that the pipe closes and the child's close event comes.
        child.stdout!.resume();
      });
      child.stdout!.pipe(sink);
    } else
      child.stdout!.on("data", (chunk: Buffer) => {
        stdout = echo ? appendTail(stdout, chunk) : stdout + chunk.toString("utf8");
        echo?.stdout.write(chunk);
      });
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr = appendTail(stderr, chunk);
      echo?.stderr.write(chunk);
    });
    if (options.stdinFile && child.stdin) {
      const input = fs.createReadStream(options.stdinFile);
      input.on("error", (err) => {
        failure ??= fileSystemError(err, options.stdinFile) ?? err;
        child.kill("SIGKILL");
      });
      // The child may exit before reading everything (it failed); its error matters, not EPIPE.
      child.stdin.on("error", () => undefined);
      input.pipe(child.stdin);
    }
    child.once("error", (err: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      stopOnInterrupt();
      reject(err.code === "ENOENT" ? new ToolMissingError(tool, INSTALL_HINTS[tool]) : err);
    });
    child.once("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      stopOnInterrupt();
      Promise.all([sinkClosed, undo]).then(() => {
        const exit = code ?? (signal ? 128 : 1);
        if (failure) reject(failure);
        else if (interrupted && exit !== 0) {
          reject(new InterruptedError(ctx.interrupt.signal!, `${tool} ${args[0]} was stopped${options.stopWith ? ` (${tool} ${options.stopWith.join(" ")})` : ""}`));
        } else if (timedOut) {
          reject(new OpsError(`${tool} ${args.join(" ")} did not finish within ${Math.round(options.timeoutMs! / 1000)} s`));
        } else resolve({ code: exit, stdout, stderr });
      }, reject);
    });
  });
  if (result.code !== 0 && !options.allowFailure) throw explainFailure(tool, args, result);
  return result;
}

/** Turns a failed docker or pulumi run into an error that says what to do. */
export function explainFailure(tool: Tool, args: string[], result: RunResult): OpsError {
  const output = `${result.stderr}\n${result.stdout}`;
  if (/permission denied while trying to connect to the Docker daemon/i.test(output)) {
    return new OpsError(
      "Docker refused access to its socket: add your user to the docker group (`sudo usermod -aG docker $USER`, then log in again) or run Docker Desktop",
    );
  }
  if (/Cannot connect to the Docker daemon|Is the docker daemon running|error during connect/i.test(output)) {
    return new OpsError("Docker is not running: start it (Docker Desktop, or `sudo systemctl start docker`) and try again");
  }
  const port = /Bind for ([\d.:]*?):(\d+) failed: port is already allocated|listen (?:tcp|udp)[46]? ([\d.:]*?):(\d+): bind: address already in use/i.exec(output);
  if (port) {
    const address = port[1] ?? port[3] ?? "";
    const number = Number(port[2] ?? port[4]);
    return new PortInUseError(address, number, `host port ${number} (${address || "all interfaces"}) is already in use by another program or stack`);
  }
  const stack = /no stack named '([^']+)' found/i.exec(output);
  if (stack) return new StackNotFoundError(stack[1]);
  const helper = /container name "\/?([^"]+)" is already in use/i.exec(output);
  if (helper) {
    return new OpsError(
      `a container named ${helper[1]} exists already: another backup or restore of this stack is running, or an interrupted one left it behind (if none is running, remove it with docker rm -f ${helper[1]})`,
    );
  }
  const exists = /stack '([^']+)' already exists/i.exec(output);
  if (exists) {
    return new OpsError(`stack ${exists[1]} exists already in the Pulumi backend: pick another name, or remove it with pulumi stack rm ${exists[1]}`);
  }
  if (/incorrect passphrase|passphrase must be set|unable to find either `?PULUMI_CONFIG_PASSPHRASE/i.test(output)) {
    return new OpsError(
      "the stack's secrets are locked with a passphrase: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the one it was created with",
    );
  }
  const reason = lastLines(result.stderr.trim() || result.stdout.trim(), 6);
  return new OpsError(`${tool} ${args.join(" ")} failed (exit code ${result.code})${reason ? `:\n${reason}` : ""}`);
}

function lastLines(text: string, count: number): string {
  return text.split("\n").slice(-count).join("\n");
}
