/**
 * promtool, which turns OpenMetrics (and recording rules) into TSDB blocks: found on PATH, and run as
 * a child process that the command's AbortSignal stops (a signal must not wait for a 2 h block).
 */
import { spawn } from "child_process";
import { ToolMissing, findOnPath } from "../util/programs";
import { Failure } from "../errors";

/** promtool ran and failed: exit 1 with its last output. */
export class PromtoolFailed extends Failure {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
    this.name = "PromtoolFailed";
  }
}

export function findPromtool(): string {
  const promtool = findOnPath("promtool");
  if (!promtool) {
    throw new ToolMissing(
      "--format blocks needs promtool on PATH (it turns the OpenMetrics the backfill writes into TSDB blocks): install it " +
        "(Debian/Ubuntu: apt-get install prometheus; or the release archive from prometheus.io/download), or write --format openmetrics and run `promtool tsdb create-blocks-from openmetrics` elsewhere",
    );
  }
  return promtool;
}

/** Output kept of a failed run: its last lines say why. */
const OUTPUT_KEPT = 4000;

/**
 * Runs promtool with `args`; resolves when it exits 0, rejects with its last output when it fails. An
 * abort stops it (SIGTERM) and rejects with the signal's reason once it has exited, so that the caller
 * removes its output only after promtool stopped writing.
 */
export function runPromtool(promtool: string, args: string[], signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const child = spawn(promtool, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_KEPT));
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    const stop = () => child.kill("SIGTERM");
    signal?.addEventListener("abort", stop, { once: true });
    let failed: Error | undefined;
    child.once("error", (err) => (failed = new Failure(`could not run ${promtool}: ${err.message}`)));
    child.once("close", (code, killedBy) => {
      signal?.removeEventListener("abort", stop);
      if (signal?.aborted) reject(signal.reason);
      else if (failed) reject(failed);
      else if (code !== 0) reject(new PromtoolFailed(`promtool ${args.slice(0, 3).join(" ")} failed (${killedBy ?? `exit ${code}`}):\n${output.trim()}`, output));
      else resolve();
    });
  });
}

/** The blocks of one OpenMetrics file, written into `outDir`. */
export function createBlocks(promtool: string, file: string, outDir: string, signal?: AbortSignal): Promise<void> {
  return runPromtool(promtool, ["tsdb", "create-blocks-from", "openmetrics", "--quiet", file, outDir], signal);
}
