/**
 * What a running emulator tells the person watching it, on stderr: log lines, a status line every
 * status interval, and, on a terminal with a bounded --duration, a progress bar kept on the last line.
 */
import type { RunnerStatus } from "../runner";
import { formatDuration } from "../util/duration";

export function formatStatus(status: RunnerStatus): string {
  const time = formatDuration(Math.floor(status.scenarioTimeMs / 1000) * 1000) + (status.durationMs !== undefined ? ` of ${formatDuration(status.durationMs)}` : "");
  const parts = [`t=${time}`, `hosts ${status.hostsActive}/${status.hostsTotal} active`, `${status.series} series`];
  if (status.pushgateway !== "disabled") {
    parts.push(`pushes ${status.pushesOk} ok / ${status.pushesFailed} failed`);
    parts.push(`last push ${status.lastPushMs === undefined ? "-" : `${Math.round(status.lastPushMs)} ms`}`);
    parts.push(`pushgateway ${status.pushgateway}`);
  }
  const rw = status.remoteWrite;
  if (rw) {
    parts.push(`remote write ${rw.state}: ${rw.sent} sent, ${rw.pending} pending, ${rw.retried} retried, ${rw.failed} failed, ${rw.dropped} dropped`);
  }
  return `status: ${parts.join(", ")}`;
}

export function formatProgress(elapsedMs: number, totalMs: number, width = 30): string {
  const fraction = totalMs > 0 ? Math.min(1, Math.max(0, elapsedMs / totalMs)) : 1;
  const filled = Math.round(fraction * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${formatDuration(Math.floor(elapsedMs / 1000) * 1000)} / ${formatDuration(totalMs)}`;
}

/** Log lines with a timestamp; when a progress bar is shown, lines are written above it. */
export class Terminal {
  private progress: string | undefined;
  private muted = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  get interactive(): boolean {
    return this.stream.isTTY === true;
  }

  /** Writes nothing more (its reader has gone). */
  mute(): void {
    this.muted = true;
  }

  log(line: string): void {
    const stamp = this.clock().toISOString().replace(/\.\d{3}Z$/, "Z");
    this.write(`${stamp} promemu: ${line}\n`);
  }

  showProgress(text: string): void {
    if (this.muted) return;
    this.progress = text;
    this.stream.write(`\r\x1b[2K${text}`);
  }

  clearProgress(): void {
    if (this.progress === undefined || this.muted) return;
    this.progress = undefined;
    this.stream.write("\r\x1b[2K");
  }

  private write(text: string): void {
    if (this.muted) return;
    if (this.progress === undefined) {
      this.stream.write(text);
      return;
    }
    this.stream.write(`\r\x1b[2K${text}${this.progress}`);
  }
}
