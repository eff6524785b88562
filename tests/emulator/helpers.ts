/** Shared helpers of the emulator suites: scenarios from inline YAML, engines, and a generator test bench. */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { RawRunOptions } from "../../emulator/src/cli/options";
import { Engine } from "../../emulator/src/engine/engine";
import type { HostRuntime } from "../../emulator/src/engine/host";
import { Scheduler } from "../../emulator/src/engine/scheduler";
import { type EmulatorEvent, EventBus } from "../../emulator/src/events/bus";
import { buildGenerator } from "../../emulator/src/generators/build";
import type { BuildEnv, Generator, TickContext } from "../../emulator/src/generators/types";
import type { CompiledScenario } from "../../emulator/src/model/types";
import type { ExporterRuntime } from "../../emulator/src/profiles/types";
import { parseScenario } from "../../emulator/src/scenario/loader";
import type { SetEntry } from "../../emulator/src/scenario/params";
import type { GeneratorSpec } from "../../emulator/src/model/specs";
import { generator as generatorSchema } from "../../emulator/src/scenario/schema";
import { Random } from "../../emulator/src/util/random";

/** The built CLI; TEST_EMULATOR_BIN runs the suites against another build (e.g. a copy from before a change). */
export const EMULATOR_BIN = process.env.TEST_EMULATOR_BIN ?? path.resolve(__dirname, "../../emulator/bin/promemu.js");

export function compile(yaml: string, overrides: SetEntry[] = [], source = "test.yaml"): CompiledScenario {
  return parseScenario(yaml, source, "test", overrides).scenario;
}

/** The message of the UsageError a scenario raises (fails the test when it is valid). */
export function scenarioError(yaml: string, overrides: string[] = [], source = "bad.yaml"): string {
  try {
    parseScenario(yaml, source, "bad", overrides);
  } catch (err) {
    expect((err as Error).name).toBe("UsageError");
    return (err as Error).message;
  }
  throw new Error("the scenario was accepted");
}

export function engineFor(yaml: string, seed = 7, overrides: SetEntry[] = []): Engine {
  return new Engine(compile(yaml, overrides), { seed });
}

export function host(engine: Engine, name: string): HostRuntime {
  const found = engine.hosts.find((h) => h.name === name);
  if (!found) throw new Error(`no host ${name}`);
  return found;
}

/** Current value of a gauge or counter of a running host. */
export function valueOf(engine: Engine, hostName: string, metric: string): number {
  const series = host(engine, hostName).series.find((s) => s.def.name === metric);
  if (!series) throw new Error(`${hostName} has no running ${metric}`);
  return series.value;
}

/** A generator spec as a scenario would spell it (durations as text), validated by the real schema. */
export function spec(input: unknown): GeneratorSpec {
  return generatorSchema.parse(input);
}

/** Builds generators outside any host: its own scheduler and event bus, host started at `now`. */
export class GeneratorBench {
  readonly scheduler = new Scheduler();
  readonly bus = new EventBus();
  readonly emitted: EmulatorEvent[] = [];
  readonly ctx: TickContext;

  constructor(
    private readonly options: { now?: number; timeOfDay?: number; values?: number[]; load?: number } = {},
  ) {
    this.ctx = { startedAt: options.now ?? 0, load: options.load ?? 0, values: [...(options.values ?? [])] };
    this.scheduler.advanceTo(options.now ?? 0);
  }

  build(input: unknown, key = "g"): Generator {
    const env: BuildEnv = {
      now: this.options.now ?? 0,
      timeOfDay: this.options.timeOfDay ?? 0,
      seed: (k) => Random.seed(1, "bench-host", k),
      subscribe: (filter, listener, tag) => void this.bus.subscribe(filter, listener, tag),
      schedule: (at, action) => this.scheduler.schedule(at, action),
      emit: (name, at) => {
        const event = { name, source: "bench-host", role: "bench", time: at };
        this.emitted.push(event);
        this.bus.emit(event);
      },
      metricIndex: (name) => Number(name.replace(/^m/, "")),
      shared: new Map(),
    };
    return buildGenerator(spec(input), env, key);
  }

  emit(name: string, time: number, source = "other", role = "other"): void {
    this.scheduler.advanceTo(time);
    this.bus.emit({ name, source, role, time });
  }

  /** Values of a generator at each time, advancing the scheduler to each first. */
  series(generator: Generator, times: number[]): number[] {
    return times.map((t) => {
      this.scheduler.advanceTo(t);
      return generator.value(t, this.ctx);
    });
  }
}

export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export function stddev(values: number[]): number {
  const m = mean(values);
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length);
}

export function tempFile(name: string, content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-test-"));
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

export const MINUTE = 60_000;

/** The exporter a host of the engine runs now (default: the first host); fails the test when it runs none. */
export function exporterOf(engine: Engine, name?: string): ExporterRuntime {
  const found = name === undefined ? engine.hosts[0] : engine.hosts.find((h) => h.name === name);
  if (!found?.exporter) throw new Error(`${name ?? "the first host"} runs no exporter now`);
  return found.exporter;
}

/** The text exposition an exporter serves at its scrape. */
export function exposition(e: ExporterRuntime): string {
  const parts: string[] = [];
  e.renderTo({ write: (t) => parts.push(t) });
  return parts.join("");
}

/** Every sample of a family in a text exposition: label text -> value. */
export function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(\{.*\})? (\S+)$/.exec(line);
    if (match && match[1] === name) out.set(match[2] ?? "", Number(match[3]));
  }
  return out;
}

/** The current value of one series of an exporter; fails the test when there is none. */
export function exporterValue(e: ExporterRuntime, name: string, labels?: Record<string, string>): number {
  const value = e.valueOf(name, labels);
  if (value === undefined) throw new Error(`no ${name} ${JSON.stringify(labels ?? {})}`);
  return value;
}

/** `promemu run`'s options as the command line hands them over with no flag given, but `overrides`. */
export function rawRunOptions(overrides: Partial<RawRunOptions> = {}): RawRunOptions {
  return {
    scenario: "default",
    pushInterval: "15s",
    pushTimeout: "10s",
    seed: "42",
    set: [],
    speed: "1",
    job: "promemu",
    shards: "auto",
    statusInterval: "60s",
    listen: ":9464",
    ...overrides,
  };
}

/** The names of the labels in a sample's label text ({a="1", b="2"} -> [a, b]). */
export function labelNames(key: string): string[] {
  return [...key.matchAll(/(\w+)="/g)].map((m) => m[1]);
}

/** Every sample of the family has exactly these label names, in this order (and it has samples). */
export function expectLabelNames(text: string, name: string, labels: string[]): void {
  const found = samples(text, name);
  expect(found.size).toBeGreaterThan(0);
  for (const key of found.keys()) expect(labelNames(key)).toEqual(labels);
}

/** The environment without PROMEMU_* variables (a test's CLI reads only what it is given). */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PROMEMU_")));
}

/**
 * Starts the CLI, sends `signal` once `ready(output)` holds (and `afterMs` more), and gives it 10 s to exit: its exit
 * code (or "still running 10 s after the signal"), its output, and how long it took to exit after the signal. The
 * process is killed in the end whatever happened.
 */
export async function interruptCli(
  args: string[],
  signal: NodeJS.Signals,
  ready: (output: string) => boolean,
  options: { env?: NodeJS.ProcessEnv; afterMs?: number } = {},
): Promise<{ code: number | null | string; output: string; stopMs: number }> {
  const child = spawn(process.execPath, [EMULATOR_BIN, ...args], { env: options.env ?? cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = Date.now() + 30_000;
    while (!ready(output)) {
      if (Date.now() > deadline) throw new Error(`never ready: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (options.afterMs) await new Promise((resolve) => setTimeout(resolve, options.afterMs));
    const sent = Date.now();
    child.kill(signal);
    // Bounded: a command that does not hear the signal fails here, and is killed below.
    const code = await Promise.race([exited, new Promise<string>((resolve) => (timer = setTimeout(() => resolve("still running 10 s after the signal"), 10_000)))]);
    return { code, output, stopMs: Date.now() - sent };
  } finally {
    clearTimeout(timer);
    child.kill("SIGKILL");
  }
}

/** The CLI without blocking this process (the tests' own servers must answer it): its exit status and output. */
export function promemuAsync(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<{ status: number | null; stdout: string; stderr: string; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [EMULATOR_BIN, ...args], { env: options.env ?? cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.once("close", (status) => resolve({ status, stdout, stderr, out: stdout + stderr }));
  });
}
