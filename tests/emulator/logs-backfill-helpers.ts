/** Reading what `promemu backfill --out --logs-out` wrote, for the log backfill tests. */

/** Sum of an OpenMetrics file's samples of `name` whose labels contain every pair of one of `labels`, by timestamp (ms). */
export function sums(om: string, name: string, labels: Record<string, string>[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of om.split("\n")) {
    if (!line.startsWith(name + "{")) continue;
    const m = /^[^{]+\{(.*)\} (\S+) (\S+)$/.exec(line)!;
    const has = (l: Record<string, string>) => Object.entries(l).every(([k, v]) => m[1].includes(`${k}="${v}"`));
    if (!labels.some(has)) continue;
    const t = Math.round(Number(m[3]) * 1000);
    out.set(t, (out.get(t) ?? 0) + Number(m[2]));
  }
  return out;
}

/** The last of those sums minus the first: the increase over the backfilled range. */
export function increase(om: string, name: string, labels: Record<string, string>[]): number {
  const series = [...sums(om, name, labels).entries()].sort((a, b) => a[0] - b[0]);
  if (series.length < 2) throw new Error(`${name}: ${series.length} samples`);
  return series.at(-1)![1] - series[0][1];
}

/** Entries of a log file: its lines, but a PostgreSQL entry's DETAIL/HINT/... lines belong to the entry above. */
export function entries(text: string): number {
  // A report's later lines carry PostgreSQL's prefix too (`<time> UTC [pid] DETAIL:  ...`); continuation lines a tab.
  const partOfReport = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC \[\d+\] )?(DETAIL|HINT|CONTEXT|STATEMENT):/;
  return text.split("\n").filter((l) => l !== "" && !partOfReport.test(l) && !/^\s/.test(l)).length;
}
