/**
 * Runs the operations CLI in-process against a temporary project directory and the fake docker/pulumi,
 * and builds the JSON those tools print (stack outputs, docker inspect).
 */
import { ChildProcess, spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough } from "stream";
import { main } from "../../../ops/cli";
import type { OpsContext } from "../../../ops/context";
import { Interruption } from "../../../ops/interrupt";
import { FakeTool, FakeTools } from "./fake-tools";

export interface OpsRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  fakes: FakeTools;
  cwd: string;
  interactive?: boolean;
  /** Answers to the prompts, in order. */
  answers?: string[];
  env?: Record<string, string>;
  now?: Date;
  /** To interrupt the command from the test (the real signals are tested on the spawned CLI). */
  interrupt?: Interruption;
}

function collector(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

export async function runOps(argv: string[], options: RunOptions): Promise<OpsRun & { questions: string[] }> {
  const out = collector();
  const err = collector();
  const answers = [...(options.answers ?? [])];
  const questions: string[] = [];
  const ctx: OpsContext = {
    cwd: options.cwd,
    env: options.fakes.env(options.env),
    stdout: out.stream,
    stderr: err.stream,
    now: () => options.now ?? new Date("2025-01-31T12:05:01.250Z"),
    interactive: options.interactive ?? false,
    ask: async (q) => {
      questions.push(q);
      return answers.shift() ?? "";
    },
    pollMs: 50,
    interrupt: options.interrupt ?? new Interruption(),
  };
  const code = await main(argv, ctx);
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: out.text(), stderr: err.text(), questions };
}

/** A project directory with Pulumi.yaml (project promemu) and the given extra files. */
export function makeProject(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-project-"));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: promemu\nruntime: nodejs\nbackend:\n  url: file://~\n");
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

export const SERVICES_WITH_DATA = ["pushgateway", "prometheus", "alertmanager", "grafana"] as const;
export const DATA_PATHS: Record<string, string> = {
  pushgateway: "/data",
  prometheus: "/prometheus",
  alertmanager: "/alertmanager",
  grafana: "/var/lib/grafana",
};

/** The reference each service's image is pulled by in these tests. */
export function imageRef(service: string): string {
  return service === "grafana" ? "grafana/grafana:12.1.0" : `prom/${service}:test`;
}

/** The id Docker gives that image: what `docker inspect` shows as `.Image`, and as `Config.Image` for the stack's containers. */
export function imageId(service: string): string {
  return `sha256:${createHash("sha256").update(service).digest("hex")}`;
}

/** Stack outputs as `pulumi stack output --json` prints them for the stack, with the given URLs. */
export function stackOutputs(
  stack: string,
  urls: Record<string, string>,
  options: { services?: string[]; images?: boolean } = {},
): Record<string, unknown> {
  const services = options.services ?? ["pushgateway", "prometheus", "alertmanager", "grafana", "emulator"];
  const withData = SERVICES_WITH_DATA.filter((s) => services.includes(s));
  return {
    project: "promemu",
    stack,
    urls: { ...urls, ...(urls.grafana ? { dashboard: `${urls.grafana}/d/promemu-overview` } : {}) },
    ...(services.includes("grafana") ? { grafanaAdminUser: "admin", grafanaAdminPassword: "[secret]" } : {}),
    containers: Object.fromEntries(services.map((s) => [s, `promemu-${stack}-${s}`])),
    volumes: Object.fromEntries(withData.map((s) => [s, `promemu-${stack}-${s}-data`])),
    network: `promemu-${stack}`,
    ...(options.images ? { images: Object.fromEntries(withData.map((s) => [s, { ref: imageRef(s), id: imageId(s) }])) } : {}),
  };
}

/** `docker image inspect` output naming the services' images (the stack outputs may lack the references). */
export function imageInspectJson(services: readonly string[] = SERVICES_WITH_DATA): string {
  return JSON.stringify(services.map((s) => ({ Id: imageId(s), RepoTags: [imageRef(s)], RepoDigests: [] })));
}

export interface ContainerState {
  state?: string;
  health?: string | null;
}

const CONTAINER_PORTS: Record<string, number> = { pushgateway: 9091, prometheus: 9090, alertmanager: 9093, grafana: 3000, emulator: 9464 };

/**
 * `docker container inspect` output for the stack's containers (state per service, default
 * running/healthy), as a real engine shows containers Pulumi created from RemoteImage.imageId: `Image`
 * and `Config.Image` are both the id. Ports are published on `bindAddress` (default 127.0.0.1).
 */
export function inspectJson(
  stack: string,
  states: Record<string, ContainerState> = {},
  services = Object.keys(DATA_PATHS).concat("emulator"),
  options: { bindAddress?: string } = {},
): string {
  return JSON.stringify(
    services.map((s) => {
      const { state = "running", health = "healthy" } = states[s] ?? {};
      const port = `${CONTAINER_PORTS[s]}/tcp`;
      return {
        Name: `/promemu-${stack}-${s}`,
        Image: imageId(s),
        State: { Status: state, Running: state === "running", ...(health ? { Health: { Status: health } } : {}) },
        // Grafana's container overrides the image's user, as a stack could; helpers must run as that user too.
        Config: { Image: imageId(s), User: s === "grafana" ? "472:0" : "" },
        Mounts: DATA_PATHS[s] ? [{ Type: "volume", Name: `promemu-${stack}-${s}-data`, Destination: DATA_PATHS[s] }] : [],
        HostConfig: { PortBindings: { [port]: [{ HostIp: options.bindAddress ?? "127.0.0.1", HostPort: String(CONTAINER_PORTS[s]) }] } },
      };
    }),
  );
}

export interface Sandbox {
  fakes: FakeTools;
  /** The project directory (what the CLI runs in). */
  cwd: string;
}

/**
 * Fresh fake tools and a fresh project directory (with `files`) for every test of the enclosing describe
 * block, removed afterwards. Pass it straight to runOps: `runOps(argv, sandbox)`.
 */
export function useSandbox(files: Record<string, string> = {}, tools?: FakeTool[]): Sandbox {
  const sandbox = {} as Sandbox;
  beforeEach(() => {
    sandbox.fakes = new FakeTools(tools);
    sandbox.cwd = makeProject(files);
  });
  afterEach(() => {
    sandbox.fakes.remove();
    fs.rmSync(sandbox.cwd, { recursive: true, force: true });
  });
  return sandbox;
}

const ROOT = path.resolve(__dirname, "../../..");

/** How people start the CLI (ts-node on ops/cli.ts, what `npm run ops` does): node's arguments. */
export const OPS_ENTRY = [require.resolve("ts-node/dist/bin"), "--transpile-only", "-P", path.join(ROOT, "tsconfig.json"), path.join(ROOT, "ops/cli.ts")];

/** A CLI started as its own process, for what only a real process has: signals, a closed stdout. */
export interface SpawnedOps {
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) and everything printed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export function spawnOps(argv: string[], sandbox: Sandbox, options: { closeStdout?: boolean } = {}): SpawnedOps {
  const child = spawn(process.execPath, [...OPS_ENTRY, ...argv], { cwd: sandbox.cwd, env: sandbox.fakes.env(), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  // Closed before the CLI writes anything: its first write meets a pipe nobody reads (EPIPE).
  if (options.closeStdout) child.stdout!.destroy();
  else child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, exited };
}

/** Waits until a fake tool has been called with arguments starting with `prefix` (a blocking one is then running). */
export async function calledWith(fakes: FakeTools, tool: FakeTool, prefix: string, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fakes.commandLines(tool).some((l) => l.startsWith(prefix))) {
    if (Date.now() > deadline) throw new Error(`${tool} ${prefix} was not called; calls: ${JSON.stringify(fakes.calls())}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
