/**
 * Durations as Prometheus writes them (`15s`, `1m30s`, `500ms`, units largest first), plus decimal
 * amounts (`14.5s`) so that a tick interval can sit between whole seconds.
 */
const UNITS: ReadonlyArray<[string, number]> = [
  ["y", 365 * 86_400_000],
  ["w", 7 * 86_400_000],
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
  ["ms", 1],
];
const AMOUNT = "(\\d+(?:\\.\\d+)?)";
const DURATION = new RegExp(`^${UNITS.map(([unit]) => `(?:${AMOUNT}${unit})?`).join("")}$`);

/**
 * The longest wall-clock interval a timer is given (push interval and timeout, status interval): a
 * day. Node's timers hold at most 2^31-1 ms (24.8 days) and fire at once beyond that, which would
 * push or log in a busy loop.
 */
export const MAX_TIMER_MS = 86_400_000;

export const DURATION_HINT = "a duration such as 500ms, 15s, 4m, 1h30m or 14.5s (units y, w, d, h, m, s, ms, largest first)";

/** Milliseconds of a duration; undefined when the text is not one. `0` alone means zero. */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  const match = DURATION.exec(text);
  if (!match || text === "") return undefined;
  let total = 0;
  UNITS.forEach(([, ms], i) => {
    const amount = match[i + 1];
    if (amount !== undefined) total += Number(amount) * ms;
  });
  return total;
}

/** `1h2m3s`, `4m`, `250ms`: the shortest exact spelling of whole milliseconds. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = Math.round(ms);
  let out = "";
  for (const [unit, size] of UNITS) {
    if (unit === "y" || unit === "w") continue;
    const amount = Math.floor(rest / size);
    if (amount > 0) {
      out += `${amount}${unit}`;
      rest -= amount * size;
    }
  }
  return out;
}
