/**
 * Turns the engine's text exposition into remote-write series: a TextSink that takes the pieces
 * renderHosts writes, and for each sample line `name{a="x",b="y"} value` appends a TimeSeries of
 * `__name__` plus those labels, sorted by name, with the cycle's timestamp. Comment lines (HELP,
 * TYPE) are skipped. Reusing the text path keeps one source of truth for what a host exposes.
 *
 * Reading every line back (and encoding its labels again) was most of a cycle's CPU at 20,000 hosts.
 * But a line comes as the pieces a Series writes (engine/series.ts): `name{`, the host's label text
 * (one string per host, for its whole life), `} ` or `,le="0.5"} `, the value, `\n`. So each distinct
 * piece is read and encoded once, and kept: per host its encoded labels, per metric line its
 * `__name__` (and `le`). A cycle then reads only the value. Anything that does not come in that
 * shape, or whose pieces would not read back the same on their own, goes through parseSampleLine
 * as a whole line: both paths give the same series (tests/emulator/remote-write.test.ts compares
 * them over a whole scenario, byte for byte).
 *
 * Memory: the caches hold one entry per distinct piece: a few per metric, one per host of the
 * scenario (hosts keep their label string across restarts), so they are bounded by the scenario.
 */
import type { TextSink } from "../../exposition/render";
import { EncodedLabels, type LabelPairs, LineLabels } from "./write-request";

export type SeriesHandler = (host: EncodedLabels, line: LineLabels, value: number) => void;

/** Lines read through parseSampleLine carry all their labels as "host" labels, and no line labels. */
const WHOLE_LINE = new LineLabels(undefined, []);

interface MetricLines {
  readonly name: string;
  /** By the piece after the host labels; null: that piece does not read back on its own. */
  readonly lines: Map<string, LineLabels | null>;
}

export class ExpositionSampleSink implements TextSink {
  /** Pieces of the current line taken so far: 0 none, 1 `name{`, 2 host labels, 3 `} `, 4 value. */
  private part = 0;
  private open = "";
  private labels = "";
  private close = "";
  private value = "";
  /** Text being read line by line (the general path); empty while pieces come in the usual shape. */
  private line = "";
  /** null: the piece does not read back on its own. */
  private readonly metrics = new Map<string, MetricLines | null>();
  private readonly hosts = new Map<string, EncodedLabels | null>();
  private lastLabels = "";
  private lastHost: EncodedLabels | null | undefined;

  constructor(private readonly onSeries: SeriesHandler) {}

  write(text: string): void {
    if (this.line === "") {
      switch (this.part) {
        case 0:
          if (text.charCodeAt(text.length - 1) === 123 /* { */ && text.charCodeAt(0) !== 35 /* # */) {
            this.open = text;
            this.part = 1;
            return;
          }
          break;
        case 1:
          this.labels = text;
          this.part = 2;
          return;
        case 2:
          if (text.charCodeAt(text.length - 1) === 32 /* space */ && text.charCodeAt(text.length - 2) === 125 /* } */) {
            this.close = text;
            this.part = 3;
            return;
          }
          break;
        case 3:
          if (text.indexOf(" ") < 0 && text.indexOf("\n") < 0) {
            this.value = text;
            this.part = 4;
            return;
          }
          break;
        case 4:
          if (text === "\n") {
            this.part = 0;
            this.emit();
            return;
          }
          break;
      }
      this.line = this.taken();
      this.part = 0;
    }
    this.line += text;
    if (text.charCodeAt(text.length - 1) !== 10) return;
    const lines = this.line;
    this.line = "";
    this.readLines(lines);
  }

  /** The pieces of the current line taken so far, as text. */
  private taken(): string {
    const pieces = [this.open, this.labels, this.close, this.value];
    return pieces.slice(0, this.part).join("");
  }

  private emit(): void {
    let metric = this.metrics.get(this.open);
    if (metric === undefined) this.metrics.set(this.open, (metric = readOpen(this.open)));
    let line = metric?.lines.get(this.close);
    if (line === undefined && metric) metric.lines.set(this.close, (line = readClose(metric.name, this.close)));
    // Lines come host by host (renderSamples): the last host's labels are nearly always the ones.
    let host = this.labels === this.lastLabels ? this.lastHost : this.hosts.get(this.labels);
    if (host === undefined) this.hosts.set(this.labels, (host = readHostLabels(this.labels)));
    this.lastLabels = this.labels;
    this.lastHost = host;
    if (!line || !host) {
      this.readLines(`${this.open}${this.labels}${this.close}${this.value}\n`);
      return;
    }
    this.onSeries(host, line, parseValue(this.value));
  }

  private readLines(lines: string): void {
    let start = 0;
    while (start < lines.length) {
      let end = lines.indexOf("\n", start);
      if (end < 0) end = lines.length;
      if (end > start && lines.charCodeAt(start) !== 35 /* # */) {
        const sample = parseSampleLine(lines.slice(start, end));
        this.onSeries(new EncodedLabels(sample.labels), WHOLE_LINE, sample.value);
      }
      start = end + 1;
    }
  }
}

/** `name{`: the metric name, if that is all the piece holds. */
function readOpen(open: string): MetricLines | null {
  const name = open.slice(0, -1);
  if (name.includes("{") || name.includes("\n")) return null;
  return { name, lines: new Map() };
}

/** `} ` or `,le="0.5"} `: the labels the line adds after the host's. */
function readClose(name: string, close: string): LineLabels | null {
  if (close.includes("\n")) return null;
  if (close === "} ") return new LineLabels(name, []);
  if (close.charCodeAt(0) !== 44 /* , */) return null;
  const text = `${close.slice(1, -2)}}`;
  const extra: [string, string][] = [];
  if (text.length === 1 || !readsWhole(text, extra)) return null;
  return new LineLabels(name, extra);
}

/** `host="a",role="r"`: the host's labels, encoded. Never empty for a host (host, role, address). */
function readHostLabels(labels: string): EncodedLabels | null {
  if (labels === "" || labels.includes("\n") || labels.charCodeAt(labels.length - 1) === 44 /* , */) return null;
  const text = `${labels}}`;
  const pairs: [string, string][] = [];
  if (!readsWhole(text, pairs)) return null;
  return new EncodedLabels(pairs);
}

/** Whether `text` is label pairs and its closing `}`, nothing else. */
function readsWhole(text: string, labels: [string, string][]): boolean {
  try {
    return readLabels(text, 0, labels) === text.length - 1;
  } catch {
    return false;
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
    readLabels(line, brace + 1, labels);
  }
  if (labels.length > 1) labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { labels, value: parseValue(line.slice(space + 1)) };
}

/** Reads `a="x",b="y"` from `from` up to the next `}` outside a value, escapes undone; returns the index of that `}`. */
function readLabels(line: string, from: number, labels: [string, string][]): number {
  let i = from;
  while (line.charCodeAt(i) !== 125 /* } */) {
    const eq = line.indexOf("=", i);
    if (eq < 0) throw new Error(`not a label: ${line}`);
    const name = line.slice(i, eq);
    i = eq + 2; // past ="
    let value = "";
    let start = i;
    for (;;) {
      const c = line.charCodeAt(i);
      if (c === 34 /* " */) break;
      if (c === 92 /* \ */) {
        value += line.slice(start, i);
        const next = line[i + 1];
        value += next === "n" ? "\n" : next;
        i += 2;
        start = i;
        continue;
      }
      if (Number.isNaN(c)) throw new Error(`unterminated label value: ${line}`);
      i++;
    }
    value += line.slice(start, i);
    labels.push([name, value]);
    i++; // past "
    if (line.charCodeAt(i) === 44 /* , */) i++;
  }
  return i;
}

function parseValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  return Number(text);
}
