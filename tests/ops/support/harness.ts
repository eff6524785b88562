/**
 * Runs the operations CLI in-process against a temporary project directory and the fake docker/pulumi,
 * and builds the JSON those tools print (stack outputs, docker inspect).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough } from "stream";
import { main } from "../../../ops/cli";
import type { OpsContext } from "../../../ops/context";
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

/** Stack outputs as `pulumi stack output --json` prints them for the stack, with the given URLs. */
export function stackOutputs(stack: string, urls: Record<string, string>): Record<string, unknown> {
  const services = ["pushgateway", "prometheus", "alertmanager", "grafana", "emulator"];
  return {
    project: "promemu",
    stack,
    urls: { ...urls, dashboard: `${urls.grafana}/d/promemu-overview` },
    grafanaAdminUser: "admin",
    grafanaAdminPassword: "[secret]",
    containers: Object.fromEntries(services.map((s) => [s, `promemu-${stack}-${s}`])),
    volumes: Object.fromEntries(SERVICES_WITH_DATA.map((s) => [s, `promemu-${stack}-${s}-data`])),
    network: `promemu-${stack}`,
  };
}

export interface ContainerState {
  state?: string;
  health?: string | null;
}

/** `docker container inspect` output for the stack's containers (state per service, default running/healthy). */
export function inspectJson(stack: string, states: Record<string, ContainerState> = {}, services = Object.keys(DATA_PATHS).concat("emulator")): string {
  return JSON.stringify(
    services.map((s) => {
      const { state = "running", health = "healthy" } = states[s] ?? {};
      return {
        Name: `/promemu-${stack}-${s}`,
        Image: `sha256:${s.padEnd(64, "0").slice(0, 64)}`,
        State: { Status: state, Running: state === "running", ...(health ? { Health: { Status: health } } : {}) },
        // Grafana's container overrides the image's user, as a stack could; helpers must run as that user too.
        Config: { Image: s === "grafana" ? "grafana/grafana:12.1.0" : `prom/${s}:test`, User: s === "grafana" ? "472:0" : "" },
        Mounts: DATA_PATHS[s] ? [{ Type: "volume", Name: `promemu-${stack}-${s}-data`, Destination: DATA_PATHS[s] }] : [],
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
