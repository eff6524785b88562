/**
 * The one way the operations CLI starts docker and pulumi: spawn with an argument array (no shell),
 * the context's environment (so PATH decides which binaries run), and every known failure turned into
 * a sentence that says what to do.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import type { OpsContext } from "./context";
import { OpsError, PortInUseError, StackNotFoundError, ToolMissingError } from "./errors";

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

export async function run(ctx: OpsContext, tool: Tool, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const echo = options.stream === true ? { stdout: ctx.stdout, stderr: ctx.stderr } : options.stream || undefined;
  const result = await new Promise<RunResult>((resolve, reject) => {
    const child = spawn(tool, args, {
      cwd: ctx.cwd,
      env: { ...ctx.env, ...options.env },
      stdio: [options.stdinFile ? "pipe" : "ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill("SIGKILL");
        }, options.timeoutMs)
      : undefined;
    const sink = options.stdoutFile ? fs.createWriteStream(options.stdoutFile) : undefined;
    const sinkClosed = sink ? new Promise<void>((done, fail) => sink.once("close", done).once("error", fail)) : Promise.resolve();
    if (sink) child.stdout!.pipe(sink);
    else
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
        child.kill();
        reject(err);
      });
      // The child may exit before reading everything (it failed); its error matters, not EPIPE.
      child.stdin.on("error", () => undefined);
      input.pipe(child.stdin);
    }
    child.once("error", (err: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      reject(err.code === "ENOENT" ? new ToolMissingError(tool, INSTALL_HINTS[tool]) : err);
    });
    child.once("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      sinkClosed.then(
        () => {
          if (timedOut) {
            reject(new OpsError(`${tool} ${args.join(" ")} did not finish within ${Math.round(options.timeoutMs! / 1000)} s`));
          } else {
            resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
          }
        },
        reject,
      );
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
  const port = /Bind for ([\d.:]*?):(\d+) failed: port is already allocated|listen tcp[46]? ([\d.:]*?):(\d+): bind: address already in use/i.exec(output);
  if (port) {
    const address = port[1] ?? port[3] ?? "";
    const number = Number(port[2] ?? port[4]);
    return new PortInUseError(address, number, `host port ${number} (${address || "all interfaces"}) is already in use by another program or stack`);
  }
  const stack = /no stack named '([^']+)' found/i.exec(output);
  if (stack) return new StackNotFoundError(stack[1]);
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
