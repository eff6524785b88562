/**
 * The history promemu writes into a Prometheus data directory (`promemu history`), and the record it
 * keeps there. The record, `promemu-history.json`, makes writing idempotent: the history is written
 * once per data directory, whatever the number of `pulumi up`s, container replacements or restarts
 * of Prometheus that follow. Blocks are made in a staging folder of the same directory and then
 * renamed into place (a rename on one file system: Prometheus never sees half a block); the record
 * lists them before the renames, so a run cut short between the two finishes them the next time.
 */
import * as fs from "fs";
import * as path from "path";
import { UsageError } from "../errors";
import { writeFileWhole } from "../util/files";

export const MARKER_FILE = "promemu-history.json";
export const STAGING_DIR = ".promemu-history-staging";

/** What the history was played from: a second run with the same identity has nothing to do. */
export interface HistoryIdentity {
  scenario: string;
  /** The --set overrides, as given (key=value). */
  set: string[];
  seed: number;
  /** Wall time of scenario time 0 (RFC 3339): the live emulator's --start-at. */
  startAt: string;
  stepSeconds: number;
  sink: "pushgateway" | "remote-write";
  job: string;
  owner: string;
  replicas: number;
}

export interface RulesRecord {
  /** `record` name and expression of each recording rule evaluated over the history. */
  evaluated: string[];
  blocks: string[];
  evaluatedAt: string;
}

export interface HistoryRecord {
  version: 1;
  identity: HistoryIdentity;
  /** The range written, [from, to). */
  from: string;
  to: string;
  samples: number;
  blocks: string[];
  writtenAt: string;
  rules?: RulesRecord;
}

/** The record in `dir`, undefined when there is none; a record it cannot read is refused by name. */
export function readRecord(dir: string): HistoryRecord | undefined {
  const file = path.join(dir, MARKER_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new UsageError(`${file}: cannot be read (${(err as Error).message})`);
  }
  try {
    const record = JSON.parse(text) as HistoryRecord;
    if (record.version !== 1 || typeof record.identity !== "object" || !Array.isArray(record.blocks)) throw new Error("not a version 1 record");
    return record;
  } catch (err) {
    throw new UsageError(`${file}: is not a promemu history record (${(err as Error).message}); move it away if it is not promemu's`);
  }
}

/** Writes the record whole or not at all (a new file renamed over the old). */
export function writeRecord(dir: string, record: HistoryRecord): void {
  writeFileWhole(path.join(dir, MARKER_FILE), JSON.stringify(record, null, 2) + "\n");
}

/** True when both identities would write the same history. */
export function sameIdentity(a: HistoryIdentity, b: HistoryIdentity): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(identity: HistoryIdentity): HistoryIdentity {
  return { ...identity, set: [...identity.set].sort() };
}

/**
 * What `dir` holds besides promemu's own files: Prometheus' blocks, WAL, lock file. A history is written only into
 * a directory without any, so that its samples never interleave with samples scraped before it.
 */
export function foreignEntries(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const ours = new Set([MARKER_FILE, STAGING_DIR, "lost+found"]);
  return fs
    .readdirSync(dir)
    .filter((entry) => !ours.has(entry) && !entry.startsWith(`${MARKER_FILE}.`) && !entry.startsWith(`.${MARKER_FILE}.`))
    .sort();
}

/** The TSDB blocks (folders with a meta.json) promtool left in `dir`, by name. */
export function blocksIn(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((entry) => fs.existsSync(path.join(dir, entry, "meta.json")))
    .sort();
}

/** Renames the named blocks of `from` into `to`; a block already in `to` (a run cut short) is left as it is. */
export function moveBlocks(from: string, to: string, blocks: readonly string[]): void {
  for (const block of blocks) {
    const source = path.join(from, block);
    if (!fs.existsSync(source)) continue;
    if (fs.existsSync(path.join(to, block))) {
      fs.rmSync(source, { recursive: true, force: true });
      continue;
    }
    fs.renameSync(source, path.join(to, block));
  }
}

/** Finishes the renames a run that was cut short after writing the record left undone; then removes the staging folder. */
export function finishMoves(dir: string, record: HistoryRecord): number {
  const staging = path.join(dir, STAGING_DIR);
  const pending = [...record.blocks, ...(record.rules?.blocks ?? [])].filter((block) => fs.existsSync(path.join(staging, block)));
  moveBlocks(staging, dir, pending);
  fs.rmSync(staging, { recursive: true, force: true });
  return pending.length;
}

/** Bytes under `dir` (the disk a history adds). */
export function sizeOf(dir: string): number {
  const stat = fs.statSync(dir);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(dir).reduce((sum, entry) => sum + sizeOf(path.join(dir, entry)), 0);
}

export interface BlockRange {
  block: string;
  fromMs: number;
  toMs: number;
}

/**
 * The blocks of `dir` whose time range meets [fromMs, toMs): Prometheus would merge their samples with new
 * ones of the same series into one mixed history. A block whose meta.json cannot be read counts as meeting it.
 */
export function overlappingBlocks(dir: string, fromMs: number, toMs: number): BlockRange[] {
  const found: BlockRange[] = [];
  for (const block of blocksIn(dir)) {
    let meta: { minTime?: unknown; maxTime?: unknown } = {};
    try {
      meta = JSON.parse(fs.readFileSync(path.join(dir, block, "meta.json"), "utf8"));
    } catch {
      // unreadable: assume the worst
    }
    const min = typeof meta.minTime === "number" ? meta.minTime : -Infinity;
    const max = typeof meta.maxTime === "number" ? meta.maxTime : Infinity;
    if (min < toMs && max > fromMs) found.push({ block, fromMs: min, toMs: max });
  }
  return found;
}
