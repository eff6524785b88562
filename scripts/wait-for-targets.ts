/**
 * Waits until Prometheus scrapes every expected job successfully. `pulumi up` runs it last (components/
 * stack-check.ts), so that an up that succeeds means a living stack: data flowing, not only containers running.
 *
 *   PROMETHEUS_URL=http://127.0.0.1:9090 EXPECTED_JOBS=prometheus,pushgateway TIMEOUT=180s \
 *     node -r ts-node/register/transpile-only scripts/wait-for-targets.ts
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

export interface WaitOptions {
  prometheusUrl: string;
  jobs: string[];
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
      problems = unhealthyJobs(targets, options.jobs);
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
  const timeoutMs = parseDuration(process.env.TIMEOUT ?? "180s");
  if (!url || jobs.length === 0 || timeoutMs === undefined) {
    process.stderr.write("wait-for-targets: set PROMETHEUS_URL, EXPECTED_JOBS (comma-separated) and TIMEOUT (a duration such as 180s)\n");
    process.exit(2);
  }
  try {
    const targets = await waitForTargets({ prometheusUrl: url, jobs, timeoutMs });
    process.stdout.write(`all ${targets.length} scrape targets up: ${[...new Set(targets.map((t) => t.job))].sort().join(", ")}\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nSee the containers' logs: npm run logs\n`);
    process.exit(1);
  }
}

if (require.main === module) void main();
