/** Points in time on the command line: RFC 3339, `now`, or a duration before now (`-7d`, `now-7d`). */
import { parseDuration } from "../util/duration";

export const TIME_HINT = "an RFC 3339 time such as 2026-01-05T00:00:00Z, now, or a duration before now such as -7d or now-90m";

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch; undefined when the text is none of the accepted forms. */
export function parseTime(text: string, nowMs: number): number | undefined {
  const value = text.trim();
  if (value === "now") return nowMs;
  const relative = /^(?:now)?-(.+)$/.exec(value);
  if (relative) {
    const ms = parseDuration(relative[1]);
    return ms === undefined ? undefined : nowMs - ms;
  }
  if (!RFC3339.test(value)) return undefined;
  const ms = Date.parse(value.replace(" ", "T"));
  return Number.isFinite(ms) ? ms : undefined;
}
