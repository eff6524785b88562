/** The emulator run as its container runs it: `promemu run`, configured only through its PROMEMU_* environment. */
import * as fs from "fs";
import * as path from "path";
import { ManagedProcess, startProcess } from "../support/servers";

export const EMULATOR_ENTRY = path.resolve(__dirname, "../../emulator/bin/promemu.js");

export function startEmulator(environment: Record<string, string>): ManagedProcess {
  if (!fs.existsSync(EMULATOR_ENTRY)) {
    throw new Error(`${EMULATOR_ENTRY} is missing: the emulator package is not there yet (npm run build --prefix emulator)`);
  }
  // The container's environment is the image's plus ours; here: this process' minus any PROMEMU_* it happens to have.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("PROMEMU_")));
  return startProcess(process.execPath, [EMULATOR_ENTRY, "run"], { env: { ...inherited, ...environment } });
}
