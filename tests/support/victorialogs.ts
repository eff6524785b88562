/**
 * VictoriaLogs (Apache-2.0, accepts the Loki push API) for the tests of the emulator's logs: built from its Go module
 * at the stack's pin (config/settings.ts LOG_STORE_IMAGES) by scripts/servers/build.sh with the other servers (jest's
 * global setup runs it), taken from the same bin folder (`serversBin()`), and started on a free loopback port like the
 * other real servers (tests/support/servers.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type ManagedProcess, describeIf, extraServerBinary, freePort, serversBin, startProcess, waitForUrl } from "./servers";

/** The victoria-logs binary: $PROMEMU_VICTORIALOGS, else the one scripts/servers/build.sh put in `serversBin()`. */
export function victoriaLogsBinary(): string | undefined {
  return extraServerBinary("victoria-logs", "PROMEMU_VICTORIALOGS");
}

/** `describe` when VictoriaLogs can be had; otherwise a skipped suite and a notice (a thrown error under CI=true). */
export function describeWithVictoriaLogs(): jest.Describe {
  return describeIf(
    victoriaLogsBinary() !== undefined,
    `VictoriaLogs is missing in ${serversBin()}: build it with \`bash scripts/servers/build.sh victorialogs\` (needs Go; \`npm test\` does so by itself when Go is on PATH) or set PROMEMU_VICTORIALOGS`,
  );
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
