/**
 * Waits until Prometheus scrapes every expected job successfully. `pulumi up` runs it last (components/
 * stack-check.ts), so that an up that succeeds means a living stack: data flowing, not only containers running.
 *
 *   PROMETHEUS_URL=http://127.0.0.1:9090 EXPECTED_JOBS=prometheus,pushgateway TIMEOUT=180s \
 *     [EXPECTED_EXPORTER_JOBS=node] node -r ts-node/register/transpile-only scripts/wait-for-targets.ts
 *
 * EXPECTED_JOBS are the stack's services: every target must be up. EXPECTED_EXPORTER_JOBS are the emulated exporters'
 * jobs (docs/exporter-profiles.md): one healthy target each proves discovery and scraping work, since an emulated
 * host may be down on purpose (a reboot fault).
 */
import { parseDuration } from "../config/settings";
import { ScrapeTarget, scrapeTargets } from "../ops/service-api";

/** One line per expected job that has no healthy target yet, saying why. */
export function unhealthyJobs(targets: ScrapeTarget[], jobs: string[]): string[] {
  return jobs.flatMap((job) => {
    const mine = targets.filter((t) => t.job === job);
    if (mine.length === 0) return [`${job}: no such scrape job in Prometheus' configuration`];
    const down = mine.filter((t) => t.health !== "up");
    if (down.length === 0) return [];
    return down.map((t) => `${job} (${t.instance}): ${t.health}${t.lastError ? `, ${t.lastError}` : ", not scraped yet"}`);
  });
}

/** One line per exporter job that has no healthy target yet: none discovered, or every one down. */
export function unhealthyExporterJobs(targets: ScrapeTarget[], jobs: string[]): string[] {
  return jobs.flatMap((job) => {
    const mine = targets.filter((t) => t.job === job);
    if (mine.length === 0) return [`${job}: no target discovered yet (does the emulator's /sd/${job} list hosts?)`];
    if (mine.some((t) => t.health === "up")) return [];
    const first = mine[0];
    return [`${job}: none of its ${mine.length} targets up yet, e.g. ${first.instance}: ${first.health}${first.lastError ? `, ${first.lastError}` : ", not scraped yet"}`];
  });
}

export interface WaitOptions {
  prometheusUrl: string;
  jobs: string[];
  /** Jobs of emulated exporters: one healthy target each is enough. */
  exporterJobs?: string[];
  timeoutMs: number;
  intervalMs?: number;
  /** Injected for tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Resolves with the targets once every job is up; rejects after the timeout with what is still wrong. */
export async function waitForTargets(options: WaitOptions): Promise<ScrapeTarget[]> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + options.timeoutMs;
  let problems: string[] = ["Prometheus not reached yet"];
  for (;;) {
    try {
      const targets = await scrapeTargets(options.prometheusUrl);
      problems = [...unhealthyJobs(targets, options.jobs), ...unhealthyExporterJobs(targets, options.exporterJobs ?? [])];
      if (problems.length === 0) return targets;
    } catch (err) {
      problems = [`Prometheus not reachable: ${(err as Error).message}`];
    }
    if (now() >= deadline) {
      throw new Error(`scrape targets not healthy after ${options.timeoutMs / 1000}s:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    }
    await sleep(options.intervalMs ?? 2000);
  }
}

async function main(): Promise<void> {
  const url = process.env.PROMETHEUS_URL;
  const jobs = (process.env.EXPECTED_JOBS ?? "").split(",").filter(Boolean);
  const exporterJobs = (process.env.EXPECTED_EXPORTER_JOBS ?? "").split(",").filter(Boolean);
  const timeoutMs = parseDuration(process.env.TIMEOUT ?? "180s");
  if (!url || jobs.length === 0 || timeoutMs === undefined) {
    process.stderr.write("wait-for-targets: set PROMETHEUS_URL, EXPECTED_JOBS (comma-separated) and TIMEOUT (a duration such as 180s)\n");
    process.exit(2);
  }
  try {
    const targets = await waitForTargets({ prometheusUrl: url, jobs, exporterJobs, timeoutMs });
    const up = targets.filter((t) => t.health === "up");
    process.stdout.write(`${up.length} of ${targets.length} scrape targets up: ${[...new Set(up.map((t) => t.job))].sort().join(", ")}\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nSee the containers' logs: npm run logs\n`);
    process.exit(1);
  }
}

if (require.main === module) void main();
