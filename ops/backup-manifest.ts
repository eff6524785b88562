/**
 * The manifest written beside a backup's archives: what was copied from where, with which image and
 * version, and each archive's size and sha256. Restore refuses a backup whose archives do not match it.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { SERVICES } from "../config/settings";
import { fileSystemError, OpsError, UsageError } from "./errors";

export const MANIFEST_FILE = "manifest.json";
export const MANIFEST_FORMAT = "promemu-backup/1";

export const ManifestEntrySchema = z.object({
  service: z.enum(SERVICES),
  volume: z.string(),
  container: z.string(),
  /** The image for people: its reference, e.g. prom/prometheus:v3.5.0 (the id when Docker had no name for it). */
  image: z.string(),
  /** The image's id (sha256:...): what restore compares, since a tag can move. */
  imageId: z.string(),
  /** Version the service reported over HTTP (absent when it did not answer). */
  version: z.string().optional(),
  /** Where the volume is mounted in the container. */
  dataPath: z.string(),
  /**
   * paused-copy: the volume copied while the container was paused (every backup since the stack's
   * Prometheus lost its admin API). tsdb-snapshot: older backups of Prometheus, copied from a snapshot;
   * still restorable, the archive is a TSDB directory as well.
   */
  method: z.enum(["tsdb-snapshot", "paused-copy"]),
  archive: z.string().regex(/^[a-z0-9.-]+\.tar$/, "must be a plain file name ending in .tar"),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[a-f0-9]{64}$/),
});

export const ManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  project: z.string(),
  stack: z.string(),
  createdAt: z.string(),
  /** Version of this CLI (package.json) that wrote the backup. */
  promemu: z.string(),
  services: z
    .array(ManifestEntrySchema)
    .min(1)
    .refine((entries) => new Set(entries.map((e) => e.service)).size === entries.length, "each service may appear only once"),
});

export type Manifest = z.infer<typeof ManifestSchema>;
export type ManifestEntry = z.infer<typeof ManifestEntrySchema>;

/** Size and sha256 of a file, read as a stream (archives can be large). */
export async function fileDigest(file: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest("hex") };
}

/** Written last: a backup directory without it is incomplete. */
export function writeManifest(dir: string, manifest: Manifest): void {
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), `${JSON.stringify(ManifestSchema.parse(manifest), null, 2)}\n`);
}

/** Reads and validates a backup's manifest (not yet its archives). */
export function readManifest(dir: string): Manifest {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) {
    throw new UsageError(`${dir} is not a backup: it has no ${MANIFEST_FILE} (backups are in backups/<stack>/<timestamp>/)`);
  }
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw fileSystemError(err, file) ?? err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const result = ManifestSchema.safeParse(value);
  if (!result.success) {
    throw new UsageError(`${file} is not a promemu backup manifest: ${z.prettifyError(result.error).replace(/\n/g, " ")}`);
  }
  return result.data;
}

/** Checks every archive against the manifest; throws listing each mismatch. */
export async function verifyArchives(dir: string, manifest: Manifest): Promise<void> {
  const problems: string[] = [];
  for (const entry of manifest.services) {
    const file = path.join(dir, entry.archive);
    if (!fs.existsSync(file)) {
      problems.push(`${entry.archive} is missing`);
      continue;
    }
    const actual = await fileDigest(file).catch((err: unknown) => {
      throw fileSystemError(err, file) ?? err;
    });
    if (actual.bytes !== entry.bytes) problems.push(`${entry.archive} has ${actual.bytes} bytes, the manifest says ${entry.bytes}`);
    else if (actual.sha256 !== entry.sha256) problems.push(`${entry.archive} has sha256 ${actual.sha256}, the manifest says ${entry.sha256}`);
  }
  if (problems.length) throw new OpsError(`backup ${dir} is damaged, nothing was restored:\n  - ${problems.join("\n  - ")}`);
}
