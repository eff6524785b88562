/** Timestamps as the real programs write them, all in UTC (the emulated hosts' time zone). */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number, w = 2) => String(n).padStart(w, "0");

function parts(ms: number) {
  const d = new Date(ms);
  return {
    y: d.getUTCFullYear(),
    mo: d.getUTCMonth(),
    d: pad(d.getUTCDate()),
    h: pad(d.getUTCHours()),
    mi: pad(d.getUTCMinutes()),
    s: pad(d.getUTCSeconds()),
    ms: pad(d.getUTCMilliseconds(), 3),
  };
}

/** nginx `$time_local`: `05/Jan/2026:09:00:00 +0000`. */
export function nginxTimeLocal(ms: number): string {
  const p = parts(ms);
  return `${p.d}/${MONTHS[p.mo]}/${p.y}:${p.h}:${p.mi}:${p.s} +0000`;
}

/** nginx `$time_iso8601`: `2026-01-05T09:00:00+00:00`. */
export function isoSeconds(ms: number): string {
  const p = parts(ms);
  return `${p.y}-${pad(p.mo + 1)}-${p.d}T${p.h}:${p.mi}:${p.s}+00:00`;
}

/** rsyslog's default file format on Debian 12 (RFC 3339, microseconds): `2026-01-05T09:00:00.123000+00:00`. */
export function syslogTime(ms: number): string {
  const p = parts(ms);
  return `${p.y}-${pad(p.mo + 1)}-${p.d}T${p.h}:${p.mi}:${p.s}.${p.ms}000+00:00`;
}

/** PostgreSQL's `%m` (time stamp with milliseconds, log_timezone UTC): `2026-01-05 09:00:00.123 UTC`. */
export function postgresTime(ms: number): string {
  const p = parts(ms);
  return `${p.y}-${pad(p.mo + 1)}-${p.d} ${p.h}:${p.mi}:${p.s}.${p.ms} UTC`;
}

/** RFC 3339 with milliseconds and Z, as Go and Node programs log: `2026-01-05T09:00:00.123Z`. */
export function rfc3339Millis(ms: number): string {
  return new Date(ms).toISOString();
}
