/**
 * stdout and stderr whose reader went away: `promemu list | head -1` closes the pipe after one line,
 * and the next write fails with EPIPE. Without a listener that error is thrown as an uncaught
 * exception (a stack trace); with this one the command ends quietly (see ExitState in cli.ts).
 */
export function guardOutput(stream: NodeJS.WritableStream, onClosed: () => void): void {
  let closed = false;
  stream.on("error", () => {
    // EPIPE, and whatever follows a write to the closed stream: there is no one left to tell.
    if (closed) return;
    closed = true;
    onClosed();
  });
}
