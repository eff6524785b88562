/** Rendered files written where a real program can read them, in a temp dir removed by `removeAll`. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const dirs: string[] = [];

/** Writes `files` (relative path -> content) under a fresh temp dir and returns the dir. */
export function writeFiles(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-config-"));
  dirs.push(dir);
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(dir, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return dir;
}

export function removeAll(): void {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
