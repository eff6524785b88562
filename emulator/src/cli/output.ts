/**
 * stdout and stderr that fail. A reader that went away (`promemu list | head -1` closes the pipe after
 * one line) is no error: the next write fails with EPIPE and the command ends quietly (see ExitState
 * in cli.ts). Any other failure (a full disk under `> file`, `> /dev/full`) loses output: the
 * command says so, naming the stream, and exits 1, never 0 with a truncated file.
 */
import { fsReason } from "../util/files";

export interface OutputHandlers {
  /** The reader went away. */
  closed: () => void;
  /** Anything else: `message` names the stream and the reason. */
  failed: (message: string) => void;
}

export function guardOutput(stream: NodeJS.WritableStream, name: string, handlers: OutputHandlers): void {
  let done = false;
  stream.on("error", (err: NodeJS.ErrnoException) => {
    // Whatever follows the first failure (writes to the closed stream) adds nothing.
    if (done) return;
    done = true;
    if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED") handlers.closed();
    else handlers.failed(`cannot write to ${name}: ${fsReason(err) ?? err.message}`);
  });
}
