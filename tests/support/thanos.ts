/**
 * Thanos (Apache-2.0) for the distributed-receive tests and bench: `thanos receive` in a hash ring and `thanos query`
 * over it, built from its Go module by `bash scripts/servers/build.sh thanos` (jest's global setup asks for it) into
 * the same bin folder as the pinned servers, started on free loopback ports like them (tests/support/servers.ts).
 * A receiver can be killed (SIGKILL) and started again on its data and ports, as a crashed pod would be.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type ManagedProcess, describeIf, extraServerBinary, freePort, serversBin, startProcess, waitForUrl } from "./servers";

/** The thanos binary: $PROMEMU_THANOS, else the one scripts/servers/build.sh put in `serversBin()`. */
export const thanosBinary = (): string | undefined => extraServerBinary("thanos", "PROMEMU_THANOS");

/** `describe` when Thanos can be had; otherwise a skipped suite and a notice (a thrown error under CI=true). */
export function describeWithThanos(): jest.Describe {
  return describeIf(
    thanosBinary() !== undefined,
    `thanos is missing in ${serversBin()}: build it with \`bash scripts/servers/build.sh thanos\` (needs Go; \`npm test\` does so by itself when Go is on PATH) or set PROMEMU_THANOS`,
  );
}

export interface Receiver {
  readonly name: string;
  /** The `replica` external label. */
  readonly replica: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly writePort: number;
  /** http://127.0.0.1:<writePort>/api/v1/receive */
  readonly writeUrl: string;
  readonly httpUrl: string;
  readonly dataDir: string;
  process(): ManagedProcess | undefined;
  /** Starts it (again) on its data and ports; resolves once /-/ready answers. */
  start(): Promise<void>;
  /** SIGKILL: no shutdown, what a crash leaves. */
  kill(): Promise<void>;
  stop(): Promise<void>;
  output(): string;
}

export interface Ring {
  readonly receivers: Receiver[];
  readonly hashringFile: string;
  /** Stops every receiver and removes the data. */
  close(): Promise<void>;
}

/** Twice the default --tsdb.max-block-duration (2 h), in minutes: how often Thanos Receive prunes its tenants. */
const THANOS_PRUNE_EVERY_MINUTES = 240;

/**
 * Waits while a ring started now would live through a Thanos Receive prune minute. v0.42.4 prunes its tenants when the
 * minute of the (local) day is a multiple of twice the max block duration (00:00, 04:00, 08:00, ...), checked at its
 * start and once a minute (cmd/thanos/receive.go), and the prune dereferences a tenant whose TSDB is not open yet
 * (pkg/receive/multitsdb.go, shouldBeMarkedInactive): a receiver started in that minute can die of a nil pointer
 * (seen in CI, at 08:00:11). A ring file of this suite lives about a minute: none starts in the three minutes before
 * such a minute nor in it (at most 4 minutes of wait, in about one run in 60).
 */
async function outsidePruneMinutes(now = new Date()): Promise<void> {
  const minuteOfDay = now.getHours() * 60 + now.getMinutes();
  const minutesUntil = (THANOS_PRUNE_EVERY_MINUTES - (minuteOfDay % THANOS_PRUNE_EVERY_MINUTES)) % THANOS_PRUNE_EVERY_MINUTES;
  if (minutesUntil > 3) return;
  const waitMs = ((minutesUntil + 1) * 60 - now.getSeconds()) * 1000 + 2_000;
  console.warn(`Thanos Receive prunes its tenants in minute ${Math.floor((minuteOfDay + minutesUntil) / 60) % 24}:00 (a known crash at start); starting the ring in ${Math.round(waitMs / 1000)} s`);
  await new Promise((resolve) => setTimeout(resolve, waitMs));
}

/**
 * `count` receivers in one hash ring (hashmod, the default) with `replicationFactor` (quorum: floor(rf/2)+1), each with
 * its TSDB, its remote-write, HTTP and gRPC ports, `--label=replica="rN"` and `--receive.local-endpoint`.
 */
export async function startRing(count = 3, replicationFactor = 3, extraArgs: string[] = []): Promise<Ring> {
  const bin = thanosBinary();
  if (!bin) throw new Error("thanos is not available");
  await outsidePruneMinutes();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-thanos-ring-"));
  const ports: { http: number; grpc: number; write: number; capnp: number }[] = [];
  const taken = new Set<number>();
  const pick = async () => {
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) {
        taken.add(p);
        return p;
      }
    }
  };
  for (let i = 0; i < count; i++) ports.push({ http: await pick(), grpc: await pick(), write: await pick(), capnp: await pick() });
  const hashringFile = path.join(root, "hashring.json");
  fs.writeFileSync(hashringFile, JSON.stringify([{ hashring: "default", endpoints: ports.map((p) => `127.0.0.1:${p.grpc}`) }]));
  const receivers: Receiver[] = ports.map((p, i) => {
    const name = `receive-${i + 1}`;
    const dataDir = path.join(root, name);
    fs.mkdirSync(dataDir);
    let proc: ManagedProcess | undefined;
    let lastOutput = "";
    const httpUrl = `http://127.0.0.1:${p.http}`;
    const receiver: Receiver = {
      name,
      replica: `r${i + 1}`,
      httpPort: p.http,
      grpcPort: p.grpc,
      writePort: p.write,
      writeUrl: `http://127.0.0.1:${p.write}/api/v1/receive`,
      httpUrl,
      dataDir,
      process: () => proc,
      output: () => proc?.output() ?? lastOutput,
      start: async () => {
        proc = startProcess(bin, [
          "receive",
          `--tsdb.path=${dataDir}`,
          `--http-address=127.0.0.1:${p.http}`,
          `--grpc-address=127.0.0.1:${p.grpc}`,
          `--remote-write.address=127.0.0.1:${p.write}`,
          // The Cap'n Proto replication server listens too (0.0.0.0:19391 by default), though the ring replicates by protobuf.
          `--receive.capnproto-address=127.0.0.1:${p.capnp}`,
          `--receive.hashrings-file=${hashringFile}`,
          `--receive.local-endpoint=127.0.0.1:${p.grpc}`,
          `--receive.replication-factor=${replicationFactor}`,
          `--label=replica="r${i + 1}"`,
          "--tsdb.retention=1d",
          "--http-grace-period=0s",
          "--grpc-grace-period=0s",
          "--log.level=warn",
          ...extraArgs,
        ]);
        await waitForUrl(`${httpUrl}/-/ready`, 60_000, () => `${name} output:\n${proc?.output()}`);
      },
      kill: async () => {
        const child = proc;
        if (!child) return;
        lastOutput = child.output();
        const exited = new Promise<void>((resolve) => (child.process.exitCode !== null || child.process.signalCode !== null ? resolve() : child.process.once("exit", () => resolve())));
        child.process.kill("SIGKILL");
        await exited;
        await child.stop();
        proc = undefined;
      },
      stop: async () => {
        if (proc) lastOutput = proc.output();
        await proc?.stop();
        proc = undefined;
      },
    };
    return receiver;
  });
  try {
    await Promise.all(receivers.map((r) => r.start()));
  } catch (err) {
    await Promise.all(receivers.map((r) => r.stop()));
    fs.rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return {
    receivers,
    hashringFile,
    close: async () => {
      await Promise.all(receivers.map((r) => r.stop()));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface Querier extends ManagedProcess {
  readonly url: string;
}

/** `thanos query` over the receivers' gRPC (Store API), deduplicating by `replica`; resolves once it sees them all. */
export async function startQuerier(receivers: readonly Receiver[], extraArgs: string[] = []): Promise<Querier> {
  const bin = thanosBinary();
  if (!bin) throw new Error("thanos is not available");
  const http = await freePort();
  let grpc = await freePort();
  while (grpc === http) grpc = await freePort();
  const child = startProcess(bin, [
    "query",
    `--http-address=127.0.0.1:${http}`,
    `--grpc-address=127.0.0.1:${grpc}`,
    ...receivers.map((r) => `--endpoint=127.0.0.1:${r.grpcPort}`),
    "--query.replica-label=replica",
    "--store.sd-dns-interval=1s",
    "--query.lookback-delta=5m",
    "--log.level=warn",
    ...extraArgs,
  ]);
  const url = `http://127.0.0.1:${http}`;
  const querier: Querier = { ...child, url };
  try {
    await waitForUrl(`${url}/-/ready`, 60_000, () => `thanos query output:\n${child.output()}`);
    await waitForStores(querier, receivers.length);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return querier;
}

/** Waits until the querier lists `count` healthy stores (receivers). */
export async function waitForStores(querier: { url: string; output(): string }, count: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < deadline) {
    try {
      const body = (await (await fetch(`${querier.url}/api/v1/stores`, { signal: AbortSignal.timeout(2000) })).json()) as { data?: Record<string, { lastError?: string | null }[]> };
      seen = Object.values(body.data ?? {})
        .flat()
        .filter((s) => !s.lastError).length;
      if (seen >= count) return;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`thanos query sees ${seen} of ${count} stores after ${timeoutMs} ms\n${querier.output()}`);
}
