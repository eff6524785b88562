/**
 * Fake `docker` and `pulumi` executables for the operations tests: small node scripts written into a
 * temporary directory that goes first on PATH, so the CLI's real spawn path runs. Each records its argv
 * and answers from a rules file: canned output, or (docker run/exec with `volumes`) the command itself
 * run on host directories standing in for the Docker volumes, so tar really packs and unpacks data.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export type FakeTool = "docker" | "pulumi";

export interface FakeRule {
  tool: FakeTool;
  /** The call's first arguments; "*" matches any one argument. */
  args: string[];
  /** Only when the call has exactly these arguments. */
  exact?: boolean;
  stdout?: string;
  /** Bytes of this file on standard output. */
  stdoutFile?: string;
  stderr?: string;
  exit?: number;
  /** Used once, then skipped (e.g. `stack ls` before and after `stack init`). */
  once?: boolean;
  /**
   * docker run/exec: run the container's command on the host, with each `-v volume:path` mount (or, for
   * exec, the paths given here) rewritten to the host directory standing in for the volume.
   */
  volumes?: Record<string, string>;
  /** docker exec: container name -> { container path: host directory }. */
  mounts?: Record<string, Record<string, string>>;
  /**
   * Never finish on its own, like a long copy or `pulumi up`: wait for a signal, record it (see
   * signals()), and exit as a process killed by it would (128 + its number).
   */
  block?: boolean;
  /** Send this signal to this process, as `docker pause` (SIGSTOP) and `unpause` (SIGCONT) freeze a container's processes. */
  signal?: { pid: number; name: "SIGSTOP" | "SIGCONT" };
}

/** A signal a blocking fake received. */
export interface FakeSignal {
  tool: FakeTool;
  args: string[];
  signal: string;
}

export interface FakeCall {
  tool: FakeTool;
  args: string[];
  /** PULUMI_* variables the call saw. */
  env: Record<string, string>;
  /** Standard input the call received, when it was given one. */
  stdin?: string;
  /** The fake's process id (to end a blocking one a test left behind). */
  pid: number;
}

const SCRIPT = `
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");
const dir = ${"process.env.PROMEMU_FAKE_DIR"};
const tool = path.basename(process.argv[1]);
const args = process.argv.slice(2);
const rules = JSON.parse(fs.readFileSync(path.join(dir, "rules.json"), "utf8"));
const usedFile = path.join(dir, "used.json");
const used = fs.existsSync(usedFile) ? JSON.parse(fs.readFileSync(usedFile, "utf8")) : [];
const matches = (r) => r.tool === tool && (r.exact ? r.args.length === args.length : r.args.length <= args.length) && r.args.every((a, i) => a === "*" || a === args[i]);
const index = rules.findIndex((r, i) => matches(r) && !(r.once && used.includes(i)));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("PULUMI_")));
const call = { tool, args, env, pid: process.pid };
const record = () => fs.appendFileSync(path.join(dir, "calls.jsonl"), JSON.stringify(call) + "\\n");
if (index < 0) {
  record();
  process.stderr.write("fake " + tool + ": no rule for: " + args.join(" ") + "\\n");
  process.exit(97);
}
const rule = rules[index];
if (rule.once) fs.writeFileSync(usedFile, JSON.stringify([...used, index]));

function emulate() {
  // docker run [--rm] [-i] [--network x] -v vol:path[:ro] ... --entrypoint cmd image args...  |  docker exec name cmd args...
  const map = {};
  let command;
  if (args[0] === "exec") {
    Object.assign(map, (rule.mounts || {})[args[1]] || {});
    command = args.slice(2);
  } else {
    let i = 1;
    let entrypoint;
    for (; i < args.length && args[i].startsWith("-"); i++) {
      const flag = args[i];
      if (flag === "-v") {
        const [volume, target] = args[++i].split(":");
        if (!(volume in rule.volumes)) { process.stderr.write("fake docker: unknown volume " + volume + "\\n"); process.exit(98); }
        map[target] = rule.volumes[volume];
      } else if (flag === "--entrypoint") entrypoint = args[++i];
      // The host cannot switch users; the argv assertions check the flag instead.
      else if (flag === "--network" || flag === "--user" || flag === "--name") i++;
    }
    command = [entrypoint, ...args.slice(i + 1)];
  }
  const rewrite = (a) => { for (const [from, to] of Object.entries(map)) if (a === from || a.startsWith(from + "/")) return to + a.slice(from.length); return a; };
  const [cmd, ...rest] = command.map(rewrite);
  let input;
  if (args.includes("-i")) {
    input = fs.readFileSync(0);
    const file = path.join(dir, "stdin-" + Date.now() + "-" + Math.random().toString(16).slice(2));
    fs.writeFileSync(file, input);
    call.stdin = file;
  }
  record();
  const hostEnv = { ...process.env, PATH: process.env.PROMEMU_FAKE_HOST_PATH };
  const result = spawnSync(cmd, rest, { input, env: hostEnv, stdio: [input ? "pipe" : "ignore", "inherit", "inherit"] });
  process.exit(result.status === null ? 1 : result.status);
}

if (rule.volumes || rule.mounts) emulate();
if (rule.block) {
  // Listening before the call is recorded: a test sends its signal once it sees the call.
  const codes = { SIGINT: 130, SIGTERM: 143 };
  for (const signal of Object.keys(codes)) {
    process.on(signal, () => {
      fs.appendFileSync(path.join(dir, "signals.jsonl"), JSON.stringify({ tool, args, signal }) + "\\n");
      process.exit(codes[signal]);
    });
  }
  // Orphaned (the CLI that started it is gone, e.g. after a second signal): nobody will ever signal it, so it ends itself.
  const parent = process.ppid;
  setInterval(() => {
    try {
      process.kill(parent, 0);
      if (process.ppid !== parent || process.ppid === 1) process.exit(0);
    } catch {
      process.exit(0);
    }
  }, 200);
}
record();
if (rule.signal) process.kill(rule.signal.pid, rule.signal.name);
// A blocking fake stays alive (its interval) until a signal ends it.
if (!rule.block) {
  if (rule.stdoutFile) process.stdout.write(fs.readFileSync(rule.stdoutFile));
  if (rule.stdout) process.stdout.write(rule.stdout);
  if (rule.stderr) process.stderr.write(rule.stderr);
  process.exitCode = rule.exit || 0;
}
`;

export class FakeTools {
  readonly dir: string;
  readonly binDir: string;
  private rulesList: FakeRule[] = [];

  /** Installs the named fakes (both by default); a missing one is "not installed". */
  constructor(tools: FakeTool[] = ["docker", "pulumi"]) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-fake-"));
    this.binDir = path.join(this.dir, "bin");
    fs.mkdirSync(this.binDir);
    for (const tool of tools) {
      const file = path.join(this.binDir, tool);
      fs.writeFileSync(file, `#!${process.execPath}\n${SCRIPT}`);
      fs.chmodSync(file, 0o755);
    }
    this.save();
  }

  private save(): void {
    fs.writeFileSync(path.join(this.dir, "rules.json"), JSON.stringify(this.rulesList));
  }

  /** Adds rules; earlier rules win when several match. */
  on(...rules: FakeRule[]): this {
    this.rulesList.push(...rules);
    this.save();
    return this;
  }

  /**
   * Environment for the CLI: only the fakes on PATH, so a real docker or pulumi (CI runners have docker)
   * is never reached; the emulated container commands (tar, sh, find) find the host's in /usr/bin and /bin.
   */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: this.binDir,
      HOME: this.dir,
      PROMEMU_FAKE_DIR: this.dir,
      PROMEMU_FAKE_HOST_PATH: ["/usr/bin", "/bin"].join(path.delimiter),
      ...extra,
    };
  }

  calls(tool?: FakeTool): FakeCall[] {
    const file = path.join(this.dir, "calls.jsonl");
    if (!fs.existsSync(file)) return [];
    return fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as FakeCall)
      .filter((c) => !tool || c.tool === tool);
  }

  /** The signals blocking fakes received, in order. */
  signals(): FakeSignal[] {
    const file = path.join(this.dir, "signals.jsonl");
    if (!fs.existsSync(file)) return [];
    return fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as FakeSignal);
  }

  /** The argv of every call of a tool, joined by spaces (for readable assertions). */
  commandLines(tool: FakeTool): string[] {
    return this.calls(tool).map((c) => c.args.join(" "));
  }

  /** Ends every fake still running (a blocking one a test left behind), then deletes the directory. */
  remove(): void {
    for (const call of this.calls()) {
      try {
        process.kill(call.pid, "SIGKILL");
      } catch {
        // ended already
      }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
