/**
 * The real engine, as a user meets it: the Pulumi CLI and the real provider plugins built from Go sources
 * (scripts/offline-toolchain), a Docker daemon (the one reachable, or a private one that
 * scripts/local-images/dockerd.sh starts and this harness stops), the local images of the pinned programs
 * (scripts/local-images/build.sh), and a copy of the project in a temporary folder whose HOME holds the
 * file backend (`file://~` in Pulumi.yaml), so nothing the suite does lands in the checkout or in the
 * developer's own ~/.pulumi.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { LABEL_KEYS } from "../../config/labels";
import { buildLeftoverPrunes } from "../../ops/docker";
import { isPortFree } from "../../ops/ports";
import { emulatorImageName } from "../../ops/stack";

export const ROOT = path.resolve(__dirname, "../..");

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr, for failure messages. */
  output: string;
}

/** Runs a command to its end (no shell), with a time limit; never throws for a non-zero exit. */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let output = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
      output += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
      output += c.toString();
    });
    // A child that exits before reading its input (a fast failure) must not turn into an EPIPE thrown here.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 600_000);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, output });
    });
  });
}

/** `KEY=value` lines of a script's standard output. */
export function keyValues(stdout: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) found[match[1]] = match[2];
  }
  return found;
}

/** What the suite needs, or why it cannot run. */
export type Engine =
  | { ready: true; env: NodeJS.ProcessEnv; images: Record<string, string>; startedDaemon: boolean }
  | { ready: false; reason: string };

function dockerAnswers(env: NodeJS.ProcessEnv): boolean {
  return spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { env, stdio: "ignore", timeout: 20_000 }).status === 0;
}

/**
 * Brings the toolchain, a daemon and the images. The scripts are idempotent: in CI `.ci/run` has run
 * them already and they take seconds here; on a developer's machine the first call builds.
 */
export async function prepareEngine(): Promise<Engine> {
  const toolchain = await runCommand("bash", [path.join(ROOT, "scripts/offline-toolchain/build.sh")], { timeoutMs: 3_600_000 });
  const bin = keyValues(toolchain.stdout).PULUMI_TOOLCHAIN_BIN;
  if (toolchain.code !== 0 || !bin) return { ready: false, reason: `the Pulumi toolchain could not be built:\n${toolchain.output.slice(-3000)}` };

  const daemon = await startDaemon();
  if (!daemon.ready) return daemon;
  let env = daemon.env;
  const built = await runCommand("bash", [path.join(ROOT, "scripts/local-images/build.sh")], { env, timeoutMs: 1_800_000 });
  if (built.code !== 0) return { ready: false, reason: `the local images could not be built:\n${built.output.slice(-3000)}` };
  const images = keyValues(built.stdout);

  env = {
    ...env,
    PATH: `${bin}${path.delimiter}${env.PATH}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_CONFIG_PASSPHRASE: "engine-suite-passphrase",
    // No colours or progress animations in what the tests read.
    PULUMI_SKIP_CONFIRMATIONS: "true",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
  delete env.PULUMI_BACKEND_URL;
  delete env.PULUMI_ACCESS_TOKEN;
  return { ready: true, env, images, startedDaemon: daemon.startedDaemon };
}

/** A Docker daemon: the one that answers, else a private one started by scripts/local-images/dockerd.sh (stopped by stopEngine). */
export async function startDaemon(): Promise<{ ready: true; env: NodeJS.ProcessEnv; startedDaemon: boolean } | { ready: false; reason: string }> {
  let env: NodeJS.ProcessEnv = { ...process.env };
  if (dockerAnswers(env)) return { ready: true, env, startedDaemon: false };
  if (spawnSync("which", ["docker"]).status !== 0) return { ready: false, reason: "the docker command is not installed (apt-get install docker.io)" };
  // A private daemon that an earlier run (or .ci/run) left answering.
  const vars = () => runCommand("bash", [path.join(ROOT, "scripts/local-images/dockerd.sh"), "env"]).then((r) => keyValues(r.stdout.replace(/^export /gm, "")));
  const existing = { ...env, ...(await vars()) };
  if (existing.DOCKER_HOST && dockerAnswers(existing)) return { ready: true, env: existing, startedDaemon: false };
  if (spawnSync("which", ["dockerd"]).status !== 0) return { ready: false, reason: "no Docker daemon answers and dockerd is not installed (apt-get install docker.io)" };
  const started = await runCommand("bash", [path.join(ROOT, "scripts/local-images/dockerd.sh"), "start"], { timeoutMs: 120_000 });
  if (started.code !== 0) return { ready: false, reason: `dockerd could not be started:\n${started.output.slice(-3000)}` };
  env = { ...env, ...(await vars()) };
  if (!dockerAnswers(env)) return { ready: false, reason: `dockerd started but does not answer at ${env.DOCKER_HOST}` };
  return { ready: true, env, startedDaemon: !/already running/i.test(started.output) };
}

export async function stopEngine(engine: Engine): Promise<void> {
  if (engine.ready && engine.startedDaemon) await stopDaemon(engine.env);
}

/** An `it` that gets the project copy and the local images, and runs only when the engine is there. */
export type LiveTest = (name: string, fn: (p: Project, images: Record<string, string>) => Promise<void>, timeout?: number) => void;

/**
 * The engine for one test file: prepared in beforeAll (when it cannot be, a skip is announced, or under CI=true the
 * suite fails), a project copy made; in afterAll the given stacks are purged, the copy removed and a daemon the
 * harness started stopped. Returns the file's `live` test function. Call it at the top level of the file.
 */
export function useEngine(stacks: readonly string[]): LiveTest {
  let engine: Engine | undefined;
  let project: Project | undefined;
  beforeAll(async () => {
    engine = await prepareEngine();
    if (!engine.ready) {
      const notice = `real-engine suite cannot run: ${engine.reason}`;
      if (process.env.CI === "true") throw new Error(notice);
      console.warn(`SKIPPED: ${notice}`);
      return;
    }
    project = copyProject(engine.env);
  }, 3_600_000);
  afterAll(async () => {
    if (engine?.ready) {
      for (const stack of stacks) await purgeStack(engine.env, stack);
    }
    project?.remove();
    if (engine) await stopEngine(engine);
  }, 300_000);
  return (name, fn, timeout = 900_000) =>
    it(
      name,
      async () => {
        if (!engine?.ready || !project) return;
        await fn(project, engine.images);
      },
      timeout,
    );
}

/** Stops the private daemon that startDaemon started. */
export async function stopDaemon(env: NodeJS.ProcessEnv): Promise<void> {
  await runCommand("bash", [path.join(ROOT, "scripts/local-images/dockerd.sh"), "stop"], { env, timeoutMs: 120_000 });
}

/** Files a user's checkout has: tracked and not ignored, less what the program never reads. */
function projectFiles(): string[] {
  const listed = spawnSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  const skip = /^(tests|docs|\.github|\.ci)\//;
  return listed.stdout
    .split("\n")
    .filter((f) => f && !skip.test(f) && !/^Pulumi\.(?!yaml$).+\.yaml$/.test(f))
    // Regular files only: a linked node_modules (a worktree's) is linked again below, not copied.
    .filter((f) => fs.lstatSync(path.join(ROOT, f), { throwIfNoEntry: false })?.isFile());
}

export interface Project {
  dir: string;
  home: string;
  env: NodeJS.ProcessEnv;
  writeStack(stack: string, config: Record<string, unknown>): string;
  /** `npm run --silent <script> -- <args>` in the project, as a user types it. */
  npm(script: string, args?: string[], timeoutMs?: number): Promise<CommandResult>;
  pulumi(args: string[], timeoutMs?: number): Promise<CommandResult>;
  remove(): void;
}

/**
 * A copy of the checkout in a temporary folder. node_modules is linked; the emulator's is copied, because
 * it is part of the emulator image's build context and a link would reach outside it.
 */
export function copyProject(engineEnv: NodeJS.ProcessEnv): Project {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-engine-"));
  const dir = path.join(base, "promemu");
  const home = path.join(base, "home");
  fs.mkdirSync(home, { recursive: true });
  for (const file of projectFiles()) {
    const target = path.join(dir, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), target);
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  fs.cpSync(path.join(ROOT, "emulator/node_modules"), path.join(dir, "emulator/node_modules"), { recursive: true, verbatimSymlinks: true });
  const env: NodeJS.ProcessEnv = { ...engineEnv, HOME: home };
  return {
    dir,
    home,
    env,
    writeStack(stack, config) {
      const file = path.join(dir, `Pulumi.${stack}.yaml`);
      const entries = Object.fromEntries(Object.entries(config).map(([k, v]) => [`promemu:${k}`, v]));
      // Keep what Pulumi wrote beside the configuration (the passphrase provider's encryptionsalt).
      const existing = fs.existsSync(file) ? ((yaml.load(fs.readFileSync(file, "utf8")) as Record<string, unknown>) ?? {}) : {};
      fs.writeFileSync(file, yaml.dump({ ...existing, config: entries }));
      return file;
    },
    npm(script, args = [], timeoutMs = 900_000) {
      return runCommand("npm", ["run", "--silent", script, "--", ...args], { cwd: dir, env, timeoutMs });
    },
    pulumi(args, timeoutMs = 900_000) {
      return runCommand("pulumi", [...args, "--non-interactive"], { cwd: dir, env, timeoutMs });
    },
    remove() {
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

/** `docker` with the engine's environment; throws with its output on failure. */
export async function docker(env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  const result = await runCommand("docker", args, { env, timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`docker ${args.join(" ")} failed (${result.code}):\n${result.output}`);
  return result.stdout.trim();
}

/** Names of the Docker objects of one stack, by kind. */
export async function stackObjects(env: NodeJS.ProcessEnv, stack: string): Promise<{ containers: string[]; volumes: string[]; networks: string[] }> {
  const filter = ["--filter", `label=${LABEL_KEYS.stack}=${stack}`];
  const lines = (text: string) => text.split("\n").filter(Boolean).sort();
  return {
    containers: lines(await docker(env, ["ps", "-a", ...filter, "--format", "{{.Names}}"])),
    volumes: lines(await docker(env, ["volume", "ls", ...filter, "--format", "{{.Name}}"])),
    networks: lines(await docker(env, ["network", "ls", ...filter, "--format", "{{.Name}}"])),
  };
}

/**
 * Removes whatever a run left of a stack (containers, then networks and volumes), its emulator image, and the
 * emulator builds' leftovers: with the vfs storage driver each is a full copy, and suites that left them filled the
 * CI machine's disk. The suite runs one file at a time, so no build is running: every stopped build container goes.
 * The classic builder's cache is the images themselves, so the last build stays tagged ENGINE_BUILD_CACHE for the
 * next file, and unused images go only when older than a run of the suite (each run rebuilds at most once).
 */
export async function purgeStack(env: NodeJS.ProcessEnv, stack: string): Promise<void> {
  const objects = await stackObjects(env, stack).catch(() => ({ containers: [], volumes: [], networks: [] }));
  if (objects.containers.length) await runCommand("docker", ["rm", "-f", "-v", ...objects.containers], { env });
  if (objects.networks.length) await runCommand("docker", ["network", "rm", ...objects.networks], { env });
  if (objects.volumes.length) await runCommand("docker", ["volume", "rm", "-f", ...objects.volumes], { env });
  const image = emulatorImageName({ project: PROJECT, stack });
  await runCommand("docker", ["tag", image, ENGINE_BUILD_CACHE], { env });
  await runCommand("docker", ["image", "rm", image], { env });
  const [containers] = buildLeftoverPrunes();
  const [, images] = buildLeftoverPrunes("60m");
  for (const args of [containers, images]) await runCommand("docker", args, { env, timeoutMs: 300_000 });
}

/** The tag that keeps the last emulator build (and so the classic builder's cache) between the suite's files. */
const ENGINE_BUILD_CACHE = "promemu-engine/emulator-build-cache:latest";

/** The project's name (Pulumi.yaml): the prefix of its Docker objects' names. */
const PROJECT = (yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { name: string }).name;

/** Docker's health status of each container, by name. */
export async function healthOf(env: NodeJS.ProcessEnv, containers: string[]): Promise<Record<string, string>> {
  const statuses: Record<string, string> = {};
  for (const name of containers) {
    statuses[name] = await docker(env, ["inspect", "--format", "{{if .State.Health}}{{.State.Health.Status}}{{else}}no-healthcheck{{end}}", name]);
  }
  return statuses;
}

/** A portOffset (a multiple of 100) at which every one of `ports` is free on loopback, other than `taken`. */
export async function freeOffset(ports: number[], taken: Set<number> = new Set()): Promise<number> {
  // Start from the process id: runs side by side try different offsets first, and a rerun is reproducible.
  for (let offset = 20000 + (process.pid % 200) * 100; offset < 45000; offset += 100) {
    if (taken.has(offset)) continue;
    const all = await Promise.all(ports.map((p) => isPortFree("127.0.0.1", p + offset)));
    if (all.every(Boolean)) return offset;
  }
  throw new Error("no free port offset found");
}

/** Asserts that a command succeeded, showing its output when it did not. */
export function expectSuccess(result: CommandResult, what = ""): void {
  expect({ what, code: result.code, output: result.code === 0 ? "" : result.output }).toEqual({ what, code: 0, output: "" });
}
