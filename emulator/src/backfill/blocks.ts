/** TSDB blocks from an OpenMetrics file, by `promtool tsdb create-blocks-from openmetrics`. */
import { spawnSync } from "child_process";
import { ToolMissing, findOnPath } from "../check/offline";

export function findPromtool(): string {
  const promtool = findOnPath("promtool");
  if (!promtool) {
    throw new ToolMissing(
      "--format blocks needs promtool on PATH (it turns the OpenMetrics the backfill writes into TSDB blocks): install it " +
        "(Debian/Ubuntu: apt-get install prometheus; or the release archive from prometheus.io/download), or write --format openmetrics and run `promtool tsdb create-blocks-from openmetrics` elsewhere",
    );
  }
  return promtool;
}

/**
 * Runs promtool on one file, writing its blocks into `outDir`; throws with promtool's output when it
 * fails. Synchronous: the writer's `split.next()` calls it on each finished file, so that one file at
 * a time is on disk however long the range.
 */
export function createBlocksSync(promtool: string, file: string, outDir: string): void {
  const r = spawnSync(promtool, ["tsdb", "create-blocks-from", "openmetrics", "--quiet", file, outDir], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  if (r.error) throw new Error(`could not run ${promtool}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`promtool tsdb create-blocks-from openmetrics failed (${r.signal ?? `exit ${r.status}`}):\n${(r.stdout + r.stderr).trim().slice(-4000)}`);
}
