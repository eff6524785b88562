/**
 * VictoriaLogs (Apache-2.0, accepts the Loki push API) for the tests of the emulator's logs: built
 * from its Go module by scripts/servers/build-victorialogs.sh (idempotent: under a second once
 * stamped), started on a free loopback port like the other real servers (tests/support/servers.ts).
 * Kept in a file of its own beside servers.ts, so that the two can change apart.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findOnPath } from "../../emulator/src/check/offline";
import { type ManagedProcess, freePort, startProcess, waitForUrl } from "./servers";

let binary: string | undefined | null = null;

/** The victoria-logs binary: $PROMEMU_VICTORIALOGS, else built (or found stamped) by the script when Go is there, else on PATH. */
export function victoriaLogsBinary(): string | undefined {
  if (binary !== null) return binary;
  binary = undefined;
  const given = process.env.PROMEMU_VICTORIALOGS;
  if (given && fs.existsSync(given)) return (binary = given);
  if (findOnPath("go")) {
    const script = path.join(__dirname, "..", "..", "scripts", "servers", "build-victorialogs.sh");
    const result = spawnSync("bash", [script], { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
    const built = /^PROMEMU_VICTORIALOGS=(.*)$/m.exec(result.stdout ?? "")?.[1];
    if (result.status === 0 && built && fs.existsSync(built)) return (binary = built);
  }
  return (binary = findOnPath("victoria-logs", [process.env.PATH ?? "", "/usr/local/bin"].join(path.delimiter)));
}

/** `describe` when VictoriaLogs can be had; otherwise a skipped suite and a notice (a thrown error under CI=true). */
export function describeWithVictoriaLogs(): jest.Describe {
  if (victoriaLogsBinary()) return describe;
  const notice = "VictoriaLogs is missing: install Go (scripts/servers/build-victorialogs.sh builds github.com/VictoriaMetrics/VictoriaLogs@v1.52.2) or set PROMEMU_VICTORIALOGS";
  if (process.env.CI === "true") throw new Error(`${notice}; under CI=true a skipped live test is a failure`);
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED: ${notice}`);
  return describe.skip;
}

export interface RunningVictoriaLogs extends ManagedProcess {
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  /** The Loki push URL. */
  readonly pushUrl: string;
}

/**
 * Starts VictoriaLogs on a free loopback port (or `port`), on `dataDir` (default a new temporary
 * folder, removed on stop unless given), and waits for /health.
 */
export async function startVictoriaLogs(options: { port?: number; dataDir?: string; args?: string[] } = {}): Promise<RunningVictoriaLogs> {
  const bin = victoriaLogsBinary();
  if (!bin) throw new Error("victoria-logs is not available");
  const port = options.port ?? (await freePort());
  const own = options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "promemu-victorialogs-"));
  const child = startProcess(bin, [`-storageDataPath=${dataDir}`, `-httpListenAddr=127.0.0.1:${port}`, "-retentionPeriod=30d", "-loggerLevel=WARN", ...(options.args ?? [])], {
    onStopped: () => {
      if (own) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const server: RunningVictoriaLogs = { ...child, port, url, dataDir, pushUrl: `${url}/insert/loki/api/v1/push` };
  try {
    await waitForUrl(`${url}/health`, 30_000, () => `victoria-logs output:\n${child.output()}`);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** The rows a LogsQL query returns (JSON lines), e.g. `{host="a"} | stats count() n`. */
export async function logsQuery(server: { url: string }, query: string): Promise<Record<string, string>[]> {
  const res = await fetch(`${server.url}/select/logsql/query`, { method: "POST", body: new URLSearchParams({ query }), signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`LogsQL ${query}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, string>);
}

/** The count of a LogsQL filter's lines. */
export async function logsCount(server: { url: string }, filter: string): Promise<number> {
  const rows = await logsQuery(server, `${filter} | stats count() n`);
  return Number(rows[0]?.n ?? 0);
}
