/**
 * Programs the emulator runs (promtool, prometheus), found on PATH the way a shell would. Here, below
 * the commands that need them (check, backfill, history), so that each finds them without importing
 * another; the stack finds promtool with it too.
 */
import * as fs from "fs";
import * as path from "path";
import { Unavailable } from "../errors";

/** A program the command needs is not on PATH: exit 3, with how to install it in the message. */
export class ToolMissing extends Unavailable {
  constructor(message: string) {
    super(message);
    this.name = "ToolMissing";
  }
}

/** Absolute path of a program on PATH, undefined when it is not there. */
export function findOnPath(name: string, pathVariable = process.env.PATH ?? ""): string | undefined {
  for (const dir of pathVariable.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
