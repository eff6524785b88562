/** The emulator run as its container runs it: `promemu run`, configured only through its PROMEMU_* environment. */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const EMULATOR_ENTRY = path.resolve(__dirname, "../../emulator/bin/promemu.js");

export interface EmulatorProcess {
  readonly process: ChildProcess;
  output(): string;
  /** SIGTERM, SIGKILL after 5 s; resolves once it exited. Idempotent. */
  stop(): Promise<void>;
}

export function startEmulator(environment: Record<string, string>): EmulatorProcess {
  if (!fs.existsSync(EMULATOR_ENTRY)) {
    throw new Error(`${EMULATOR_ENTRY} is missing: the emulator package is not there yet (npm run build --prefix emulator)`);
  }
  // The container's environment is the image's plus ours; here: this process' minus any PROMEMU_* it happens to have.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("PROMEMU_")));
  const child = spawn(process.execPath, [EMULATOR_ENTRY, "run"], { env: { ...inherited, ...environment }, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stopping: Promise<void> | undefined;
  return {
    process: child,
    output: () => log,
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
