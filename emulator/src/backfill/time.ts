/** Points in time on the command line: RFC 3339, `now`, or a duration before now (`-7d`, `now-7d`). */
import { parseDuration } from "../util/duration";

export const TIME_HINT = "an RFC 3339 time such as 2026-01-05T00:00:00Z, now, or a duration before now such as -7d or now-90m";

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * An RFC 3339 time (seconds may be left out) in ms since the epoch; undefined when it is not one or names
 * a time that does not exist: JavaScript's Date rolls 2026-02-30 over into 2 March, and 24:00 into the next
 * day, so every field is checked against the calendar first.
 */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? "0"].map(Number);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  if (day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  if (m[9] && (Number(m[10]) > 23 || Number(m[11]) > 59)) return undefined;
  const ms = Date.parse(text.trim().replace(" ", "T"));
  return Number.isFinite(ms) ? ms : undefined;
}

/** Milliseconds since the epoch; undefined when the text is none of the accepted forms. */
export function parseTime(text: string, nowMs: number): number | undefined {
  const value = text.trim();
  if (value === "now") return nowMs;
  const relative = /^(?:now)?-(.+)$/.exec(value);
  if (relative) {
    const ms = parseDuration(relative[1]);
    return ms === undefined ? undefined : nowMs - ms;
  }
  return parseRfc3339(value);
}
