/**
 * What a backfill (or a history) will cost before it starts: samples, disk and time, from the figures
 * measured in docs/emulator.md ("Measured: a week of default"). Above --max-samples it is refused with
 * those figures and the flag that raises the limit, as --max-series does for memory: `--from -10y`
 * or a date typed wrong should not find out by filling the disk.
 */
import { formatBytes } from "../scenario/capacity";
import { formatDuration } from "../util/duration";

/** 100 million samples: a day of 1,000 hosts (93 million, measured) fits; a year of `default` (219 million) does not. */
export const DEFAULT_MAX_SAMPLES = 100_000_000;
export const MAX_SAMPLES_LIMIT = 1_000_000_000_000;
/** OpenMetrics text per sample: 766 MB for the 4,193,280 samples of a week of `default`. */
const OPENMETRICS_BYTES_PER_SAMPLE = 183;
/** TSDB blocks per sample as promtool writes them (before Prometheus compacts them): 22.4 MB for that week. */
const BLOCK_BYTES_PER_SAMPLE = 5.4;
/** The lower end of the writing rates measured (320,000-1,260,000 samples/s). */
const WRITTEN_PER_SECOND = 320_000;
/** promtool's rate: that week's 4,193,280 samples in 26.7 s. */
const CONVERTED_PER_SECOND = 150_000;
const TWO_HOURS_MS = 2 * 3_600_000;

export interface BackfillEstimate {
  samples: number;
  /** The disk it takes at its largest. */
  bytes: number;
  seconds: number;
}

/** `samplesPerStep` samples every `stepMs` over `rangeMs`; blocks keep at most one 2 h OpenMetrics file on disk at a time. */
export function estimateBackfill(samplesPerStep: number, rangeMs: number, stepMs: number, format: "openmetrics" | "blocks"): BackfillEstimate {
  const samples = samplesPerStep * Math.ceil(rangeMs / stepMs);
  if (format === "openmetrics") return { samples, bytes: samples * OPENMETRICS_BYTES_PER_SAMPLE, seconds: samples / WRITTEN_PER_SECOND };
  const perFile = Math.min(samples, samplesPerStep * Math.ceil(TWO_HOURS_MS / stepMs));
  return {
    samples,
    bytes: samples * BLOCK_BYTES_PER_SAMPLE + perFile * OPENMETRICS_BYTES_PER_SAMPLE,
    seconds: samples / WRITTEN_PER_SECOND + samples / CONVERTED_PER_SECOND,
  };
}

const count = (n: number) => Math.round(n).toLocaleString("en-US");

/** `about 4,193,280 samples, 23 MB of disk and 41s` */
export function describeEstimate(estimate: BackfillEstimate): string {
  return `about ${count(estimate.samples)} samples, ${formatBytes(estimate.bytes)} of disk and ${formatDuration(Math.ceil(estimate.seconds) * 1000)}`;
}

/** Undefined when the estimate fits `maxSamples`; otherwise the message, naming `override`, the flag that raises the limit. */
export function estimateProblem(what: string, estimate: BackfillEstimate, maxSamples: number, override: string): string | undefined {
  if (estimate.samples <= maxSamples) return undefined;
  return (
    `${what} would be ${describeEstimate(estimate)} (figures measured on 2 cores): more than the limit of ${count(maxSamples)} samples. ` +
    `Check the range and --step, or raise the limit with ${override} if that is what you want`
  );
}

/** Undefined when `freeBytes` hold the estimate; otherwise the message naming the folder and its flag. */
export function diskProblem(estimate: BackfillEstimate, freeBytes: number, flag: string, dir: string): string | undefined {
  if (estimate.bytes <= freeBytes) return undefined;
  return `${flag} "${dir}": needs about ${formatBytes(estimate.bytes)} (${count(estimate.samples)} samples) and the file system has ${formatBytes(freeBytes)} free`;
}

/** A backfill's logs: lines, bytes of files, and time. */
export interface LogEstimate {
  lines: number;
  bytes: number;
  seconds: number;
}

/**
 * Writing the files (or encoding the push) on top of playing the engine with logs: the sample times the engine
 * alone. With it, a week of `default` was estimated at 10-12 min against 15 min measured on a loaded machine
 * (docs/logs.md "Costs, measured"): an estimate, on the low side.
 */
const LOG_WRITE_FACTOR = 1.5;

/** The sample (backfill/logs.ts sampleLogs: the range's first minutes) scaled to the range. */
export function estimateLogs(sample: { playedMs: number; lines: number; bytes: number; seconds: number }, rangeMs: number): LogEstimate {
  if (sample.playedMs <= 0) return { lines: 0, bytes: 0, seconds: 0 };
  const scale = rangeMs / sample.playedMs;
  return { lines: sample.lines * scale, bytes: sample.bytes * scale, seconds: sample.seconds * scale * LOG_WRITE_FACTOR };
}

/** `about 209,000,000 lines, 52 GB of files and 16m` (no disk without files: a push). */
export function describeLogEstimate(estimate: LogEstimate, files: boolean): string {
  return `about ${count(estimate.lines)} lines${files ? `, ${formatBytes(estimate.bytes)} of files` : ""} and ${formatDuration(Math.ceil(estimate.seconds) * 1000)}`;
}

/** Undefined when `freeBytes` hold the log files; otherwise the message naming the folder and its flag. */
export function logDiskProblem(estimate: LogEstimate, freeBytes: number, flag: string, dir: string): string | undefined {
  if (estimate.bytes <= freeBytes) return undefined;
  return (
    `${flag} "${dir}": the logs need about ${formatBytes(estimate.bytes)} (${count(estimate.lines)} lines, estimated from the range's first minutes) and the file system has ${formatBytes(freeBytes)} free; ` +
    "give a shorter range, or lower the busiest logs' rate (an access log writes a line per request: the service's peakRps)"
  );
}
