/**
 * What a scenario will cost before it is expanded: hosts, series and an estimate of the memory the
 * process will need, from figures measured with bench/live.js (docs/emulator.md, "Memory per
 * series"). A scenario above the series limit is refused with those figures and the option that
 * raises the limit, rather than run until the machine runs out of memory (`--set hosts.count=1e9`).
 * Pure: no I/O, so that the stack's configuration check can use it too.
 */

/**
 * Resident memory of the process besides its series (Node, code, push buffers, young generation)
 * and per series: a line above the peaks measured at 15,000, 75,000 and 225,000 series
 * (110, 145 and 223 MB; a line fitted through them gives 103 MB + 535 bytes per series).
 */
export const BASE_BYTES = 110e6;
export const BYTES_PER_SERIES = 650;
/**
 * The default series limit: 1,000,000 series is about 760 MB by the figures above, four times the
 * largest size measured live (225,000 series, see docs/emulator.md) and well past what one
 * Pushgateway keeps up with (beyond some 30,000 hosts no grouping fits a 15 s interval).
 */
export const DEFAULT_MAX_SERIES = 1_000_000;
/** The most --max-series accepts. */
export const MAX_SERIES_LIMIT = 100_000_000;

/** The size of a scenario with every host up. */
export interface ScenarioSize {
  readonly hosts: number;
  /** Sample lines with every host up (a histogram counts buckets + 3). */
  readonly series: number;
}

/** Estimated resident memory in bytes. */
export function estimateMemory(series: number): number {
  return BASE_BYTES + series * BYTES_PER_SERIES;
}

const count = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 0 });

export function formatBytes(bytes: number): string {
  const units = ["bytes", "kB", "MB", "GB", "TB", "PB"];
  let unit = 0;
  while (bytes >= 1000 && unit < units.length - 1) {
    bytes /= 1000;
    unit++;
  }
  return `${bytes >= 100 || unit === 0 ? Math.round(bytes) : bytes.toFixed(1)} ${units[unit]}`;
}

/**
 * Undefined when the scenario fits the limit; otherwise the message: the scenario, its estimated
 * hosts, series and memory, the limit, and `override`, the option (or configuration key) that raises it.
 */
export function capacityProblem(scenario: string, size: ScenarioSize, maxSeries: number, override: string): string | undefined {
  if (size.series <= maxSeries) return undefined;
  return (
    `scenario ${scenario} expands to ${count(size.hosts)} hosts and ${count(size.series)} series, which would need about ` +
    `${formatBytes(estimateMemory(size.series))} of memory (${BYTES_PER_SERIES} bytes per series measured): more than the limit of ` +
    `${count(maxSeries)} series (about ${formatBytes(estimateMemory(maxSeries))}). Lower the host counts, or raise the limit with ${override} ` +
    `if the machine has the memory`
  );
}
