/**
 * Turns the engine's text exposition into remote-write series: a TextSink that takes the pieces
 * renderHosts writes, and for each sample line `name{a="x",b="y"} value` appends a TimeSeries of
 * `__name__` plus those labels, sorted by name, with the cycle's timestamp. Comment lines (HELP,
 * TYPE) are skipped. Reusing the text path keeps one source of truth for what a host exposes.
 */
import type { TextSink } from "../../exposition/render";
import type { LabelPairs } from "./write-request";

export type SampleHandler = (labels: LabelPairs, value: number) => void;

export class ExpositionSampleSink implements TextSink {
  private line = "";

  constructor(private readonly onSample: SampleHandler) {}

  write(text: string): void {
    this.line += text;
    if (text.charCodeAt(text.length - 1) !== 10) return;
    const lines = this.line;
    this.line = "";
    let start = 0;
    while (start < lines.length) {
      let end = lines.indexOf("\n", start);
      if (end < 0) end = lines.length;
      if (end > start && lines.charCodeAt(start) !== 35 /* # */) {
        const sample = parseSampleLine(lines.slice(start, end));
        this.onSample(sample.labels, sample.value);
      }
      start = end + 1;
    }
  }
}

export interface ParsedSample {
  labels: LabelPairs;
  value: number;
}

/** One line of the text format as the emulator writes it (no timestamp). Throws on a line it cannot read. */
export function parseSampleLine(line: string): ParsedSample {
  const brace = line.indexOf("{");
  const space = line.lastIndexOf(" ");
  if (space < 0) throw new Error(`not a sample line: ${line}`);
  const labels: [string, string][] = [];
  if (brace < 0 || brace > space) {
    labels.push(["__name__", line.slice(0, space)]);
  } else {
    labels.push(["__name__", line.slice(0, brace)]);
    let i = brace + 1;
    while (line.charCodeAt(i) !== 125 /* } */) {
      const eq = line.indexOf("=", i);
      const name = line.slice(i, eq);
      i = eq + 2; // past ="
      let value = "";
      let from = i;
      for (;;) {
        const c = line.charCodeAt(i);
        if (c === 34 /* " */) break;
        if (c === 92 /* \ */) {
          value += line.slice(from, i);
          const next = line[i + 1];
          value += next === "n" ? "\n" : next;
          i += 2;
          from = i;
          continue;
        }
        if (Number.isNaN(c)) throw new Error(`unterminated label value: ${line}`);
        i++;
      }
      value += line.slice(from, i);
      labels.push([name, value]);
      i++; // past "
      if (line.charCodeAt(i) === 44 /* , */) i++;
    }
  }
  if (labels.length > 1) labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { labels, value: parseValue(line.slice(space + 1)) };
}

function parseValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  return Number(text);
}
