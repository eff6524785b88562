/**
 * The hosts' log lines of a backfill: the same engine run as the metrics (one play for both), its
 * LogBuffer drained into the outputs (files, a Loki push) every few thousand lines, so that memory
 * holds a chunk of lines and never the range's. docs/logs.md "Backfilling logs".
 */
import { Engine } from "../engine/engine";
import { LogBuffer, type StreamLines } from "../logs/buffer";
import { hostStreams } from "../logs/host-logs";
import type { LogSink, LogStream } from "../logs/types";
import type { CompiledScenario } from "../model/types";

/** Where a backfill's lines go. A stream's lines arrive in time order, over successive calls. */
export interface LogOutput {
  /** May wait (a push queue that is full): the engine waits with it. */
  write(groups: readonly StreamLines[]): void | Promise<void>;
}

/** What the writer (openmetrics.ts) calls while it plays: the engine is built with `sink`, `played` drains it. */
export interface BackfillLogs {
  readonly sink: LogSink;
  /** `job` of plain hosts' streams (the Pushgateway job), as `run --loki-url` labels them. */
  readonly job: string;
  /** After each step played (engine at `t`); with `end`, once the engine has played the whole range. */
  played(t: number, end: boolean): void | Promise<void>;
}

/** Lines drained at a time: a few hundred KB of text, and a Loki batch or more. */
export const DRAIN_LINES = 20_000;

/**
 * Drains `buffer` into the outputs once it holds `drainLines` lines, and at the end. Lines at or after
 * `endMs` (scenario time) are not written: the engine plays up to the range's end so that the last
 * tick's lines, spread over (previous tick, end], are there, and the end itself is excluded.
 */
export class LogDrain implements BackfillLogs {
  readonly buffer = new LogBuffer();
  /** Lines handed to the outputs. */
  lines = 0;

  constructor(
    readonly job: string,
    private readonly outputs: readonly LogOutput[],
    private readonly endMs: number,
    private readonly drainLines = DRAIN_LINES,
  ) {}

  get sink(): LogSink {
    return this.buffer;
  }

  async played(_t: number, end: boolean): Promise<void> {
    if (!end && this.buffer.size < this.drainLines) return;
    let groups = this.buffer.take();
    if (end) groups = groups.map((group) => before(group, this.endMs)).filter((group) => group.lines.length > 0);
    if (groups.length === 0) return;
    for (const group of groups) this.lines += group.lines.length;
    for (const output of this.outputs) await output.write(groups);
  }
}

/** A stream's lines before `endMs` (its times ascend). */
function before(group: StreamLines, endMs: number): StreamLines {
  let n = group.times.length;
  while (n > 0 && group.times[n - 1] >= endMs) n--;
  return n === group.times.length ? group : { stream: group.stream, times: group.times.slice(0, n), lines: group.lines.slice(0, n) };
}

/** The streams the scenario's hosts write (empty: no host has a `logs` key). */
export function scenarioLogStreams(scenario: CompiledScenario, job: string): LogStream[] {
  // Numbered as the engine numbers them (engine.ts), without building one.
  const streams: LogStream[] = [];
  for (const host of scenario.hosts) streams.push(...hostStreams(host, job, streams.length));
  return streams;
}

export interface LogSample {
  /** Scenario time played. */
  playedMs: number;
  lines: number;
  /** Bytes of the lines as files hold them (a newline each). */
  bytes: number;
  /** Wall time it took, engine included: the rate of this machine. */
  seconds: number;
}

/**
 * The lines of the range's beginning, counted and thrown away: what the estimate scales up. Plays
 * at most `maxPlayedMs` of scenario time (a few cycles of a scenario's peaks) and stops sooner once
 * `budgetMs` of wall time are spent (a large fleet), so that the estimate costs a second or two.
 */
export function sampleLogs(scenario: CompiledScenario, seed: number, epochMs: number, job: string, maxPlayedMs: number, budgetMs = 1_500): LogSample {
  let lines = 0;
  let bytes = 0;
  const sink: LogSink = {
    write: (_stream, _t, line) => {
      lines++;
      bytes += Buffer.byteLength(line) + 1;
    },
  };
  const engine = new Engine(scenario, { seed, epochMs, logs: { sink, job } });
  const began = Date.now();
  let t = 0;
  while (t < maxPlayedMs && Date.now() - began < budgetMs) {
    t = Math.min(maxPlayedMs, t + 60_000);
    engine.advanceTo(t);
  }
  return { playedMs: t, lines, bytes, seconds: (Date.now() - began) / 1000 };
}
