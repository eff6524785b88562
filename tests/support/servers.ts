/**
 * The real server programs at the versions the stack pins (Prometheus + promtool, Alertmanager + amtool, the
 * Pushgateway), built from their Go modules by scripts/servers/build.sh into the cache folder it prints
 * (`PROMEMU_SERVERS_BIN`), and started on free loopback ports for the tests that prove configuration and
 * protocol on them. jest's global setup (tests/support/global-setup.ts) builds them when Go is there and puts
 * their folder first on PATH, so the emulator's own promtool lookups find the same programs.
 *
 * A suite calls `describeWith(["pushgateway"])` instead of `describe`: when a program is missing the suite is
 * skipped with a printed notice, except under CI=true where that is a failure.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { freePort } from "../../emulator/src/check/offline";
import { findOnPath } from "../../emulator/src/util/programs";

export { freePort };

/** The programs scripts/servers/build.sh builds, named as in the upstream images. */
export const SERVER_PROGRAMS = ["prometheus", "promtool", "pushgateway", "alertmanager", "amtool"] as const;
export type ServerBinary = (typeof SERVER_PROGRAMS)[number];

/** Where scripts/servers/build.sh puts the programs: `PROMEMU_SERVERS_BIN`, else its default cache folder. */
export function serversBin(): string {
  const cache = process.env.PROMEMU_CACHE_DIR || path.join(os.homedir(), ".cache", "promemu");
  return process.env.PROMEMU_SERVERS_BIN || path.join(cache, "servers", "bin");
}

/**
 * Absolute path of a program, undefined when it is not there. The server programs are taken only from
 * `serversBin()`: a Prometheus of another version on PATH (a distribution's package) must not stand in for
 * the pinned one. Other programs are looked up on PATH.
 */
export function findBinary(name: ServerBinary | string): string | undefined {
  if ((SERVER_PROGRAMS as readonly string[]).includes(name)) return findOnPath(name, serversBin());
  return findOnPath(name, [process.env.PATH ?? "", "/usr/bin", "/usr/local/bin"].join(path.delimiter));
}

/** `describe` when every binary is installed; otherwise a skipped suite and a notice (a thrown error under CI=true). */
export function describeWith(binaries: ServerBinary[]): jest.Describe {
  const missing = binaries.filter((b) => !findBinary(b));
  return describeIf(
    missing.length === 0,
    `missing server programs in ${serversBin()}: ${missing.join(", ")} ` +
      "(build them with `bash scripts/servers/build.sh`, which needs Go; `npm test` does so by itself when Go is on PATH)",
  );
}

/** `describe` when what a suite needs is there; otherwise a skipped suite and `notice` printed (a thrown error under CI=true). */
export function describeIf(available: boolean, notice: string): jest.Describe {
  if (available) return describe;
  if (process.env.CI === "true") throw new Error(`${notice}; under CI=true a skipped live test is a failure`);
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED: ${notice}`);
  return describe.skip;
}

/** A server program beside the pinned ones (victoria-logs, thanos): the file `$<variable>` names, else scripts/servers/build.sh's. */
export function extraServerBinary(name: string, variable: string): string | undefined {
  const given = process.env[variable];
  if (given && fs.existsSync(given)) return given;
  return findOnPath(name, serversBin());
}

export async function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `probe` until it returns a value (not undefined), every `intervalMs`; a thrown error counts as "not
 * yet". After `timeoutMs` it throws with `describe()` and the last error.
 */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, describe: () => string, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(intervalMs);
  }
  throw new Error(`not within ${timeoutMs} ms: ${describe()}${lastError ? ` (last error: ${lastError})` : ""}`);
}

/** Polls a URL until it answers 2xx; throws with the server's output when it never does. */
export async function waitForUrl(url: string, timeoutMs = 20000, describeFailure: () => string = () => ""): Promise<void> {
  let status = "";
  await eventually(
    async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      status = `HTTP ${res.status}`;
      return res.ok ? true : undefined;
    },
    timeoutMs,
    () => `${url} did not become ready${status ? ` (${status})` : ""}\n${describeFailure()}`,
    100,
  );
}

/** A child process the tests started: its output kept for failure messages, stopped for sure. */
export interface ManagedProcess {
  readonly process: ChildProcess;
  /** The last 20,000 characters the process printed. */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. Idempotent. */
  stop(): Promise<void>;
}

export interface RunningServer extends ManagedProcess {
  readonly name: string;
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly dataDir: string;
}

const running = new Set<ManagedProcess>();

/** Stops every process this test file started (call from afterAll as a safety net). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}

/** Spawns a process that `stopAllServers` will stop; `onStopped` runs once it has exited. */
export function startProcess(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; onStopped?: () => void } = {},
): ManagedProcess {
  const child = spawn(command, args, { env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stopping: Promise<void> | undefined;
  const managed: ManagedProcess = {
    process: child,
    output: () => log,
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
          await exited;
          clearTimeout(timer);
        }
        running.delete(managed);
        options.onStopped?.();
      })();
      return stopping;
    },
  };
  running.add(managed);
  return managed;
}

async function startServer(
  name: ServerBinary,
  args: (port: number, dataDir: string) => string[],
  readyPath: string,
  port?: number,
): Promise<RunningServer> {
  const binary = findBinary(name);
  if (!binary) throw new Error(`${name} is not installed`);
  const chosenPort = port ?? (await freePort());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `promemu-${name}-`));
  const child = startProcess(binary, args(chosenPort, dataDir), { onStopped: () => fs.rmSync(dataDir, { recursive: true, force: true }) });
  const server: RunningServer = { ...child, name, port: chosenPort, url: `http://127.0.0.1:${chosenPort}`, dataDir };
  try {
    await waitForUrl(`${server.url}${readyPath}`, 30000, () => `${name} output:\n${child.output()}`);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

export interface PushgatewayOptions {
  port?: number;
  /** Extra flags, e.g. --push.disable-consistency-check. */
  args?: string[];
  /** Keep metrics across restarts in this file. */
  persistenceFile?: string;
}

export function startPushgateway(options: PushgatewayOptions = {}): Promise<RunningServer> {
  return startServer(
    "pushgateway",
    (port) => [
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-admin-api",
      // Without a file of its own a test gateway keeps memory only (the upstream default).
      ...(options.persistenceFile ? [`--persistence.file=${options.persistenceFile}`, "--persistence.interval=1s"] : []),
      ...(options.args ?? []),
    ],
    "/-/ready",
    options.port,
  );
}

export interface PrometheusOptions {
  port?: number;
  /** Path of prometheus.yml; rule files it names are resolved as written. */
  configFile: string;
  args?: string[];
}

export function startPrometheus(options: PrometheusOptions): Promise<RunningServer> {
  return startServer(
    "prometheus",
    (port, dataDir) => [
      `--config.file=${options.configFile}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${dataDir}`,
      "--web.enable-lifecycle",
      "--web.enable-admin-api",
      ...(options.args ?? []),
    ],
    "/-/ready",
    options.port,
  );
}

export interface AlertmanagerOptions {
  port?: number;
  configFile: string;
  args?: string[];
}

export function startAlertmanager(options: AlertmanagerOptions): Promise<RunningServer> {
  return startServer(
    "alertmanager",
    (port, dataDir) => [
      `--config.file=${options.configFile}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.path=${dataDir}`,
      // Otherwise it gossips on 0.0.0.0:9094 (cluster mode) and collides between suites.
      "--cluster.listen-address=",
      ...(options.args ?? []),
    ],
    "/-/ready",
    options.port,
  );
}

/** Waits until an instant query's first sample has the value `expected`, e.g. count(up == 1) reaching the number of targets. */
export async function waitForQueryValue(server: RunningServer, expr: string, expected: string, timeoutMs = 30_000): Promise<void> {
  await eventually(
    async () => {
      const res = await fetch(`${server.url}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(5000) });
      const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
      return body.data?.result?.[0]?.value[1] === expected ? true : undefined;
    },
    timeoutMs,
    () => `${expr} did not reach ${expected}\n${server.name} output:\n${server.output()}`,
  );
}

/** Runs promtool or amtool; returns exit status and combined output. */
export function runTool(name: "promtool" | "amtool", args: string[], cwd?: string): { status: number; output: string } {
  const binary = findBinary(name);
  if (!binary) throw new Error(`${name} is not installed`);
  const result = spawnSync(binary, args, { cwd, encoding: "utf8", timeout: 60000 });
  return { status: result.status ?? -1, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

/**
 * Prometheus on an existing TSDB directory, e.g. one a restore has just filled: proves the data is
 * readable. The directory is the caller's (left in place on stop).
 */
export function startPrometheusOnData(options: PrometheusOptions & { storagePath: string }): Promise<RunningServer> {
  return startServer(
    "prometheus",
    (port) => [
      `--config.file=${options.configFile}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${options.storagePath}`,
      ...(options.args ?? []),
    ],
    "/-/ready",
    options.port,
  );
}
