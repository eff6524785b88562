/**
 * What the community suites (community-node, community-postgres) share: the fixtures read from
 * ../shared/community, the live set-up (fleet-calm served by the emulator and scraped by a real
 * Prometheus that loads a community rule file), the offline one (a scenario played on the injected
 * clock and backfilled, as `promemu check --offline` does it), and the comparison of the alerts that
 * fired on each host with those the scenario's faults are annotated with.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startOffline, type OfflineOptions, type OfflineServer } from "../../emulator/src/check/offline";
import { exporterScrapeConfig, serveScenario, type ServedScenario } from "../support/emulator-server";
import { describeIf, describeWith, sleep, startPrometheus, waitForQueryValue, type RunningServer } from "../support/servers";
import type { CompiledScenario } from "../../emulator/src/model/types";

export const COMMUNITY = path.resolve(__dirname, "../../../shared/community");

/** describeWith(prometheus, promtool) when the fixtures are there; otherwise skipped with a notice (a failure under CI=true). */
export function describeWithCommunity(fixtures: string[]): jest.Describe {
  if (fixtures.every((f) => fs.existsSync(f))) return describeWith(["prometheus", "promtool"]);
  return describeIf(false, `community fixtures not found in ${COMMUNITY}`);
}

export interface LiveFleet {
  readonly emulator: ServedScenario;
  readonly prometheus: RunningServer;
}

/**
 * fleet-calm served with a 1 s scrape interval (the exporters' values move at it, as a real exporter's
 * do), scraped as one job per profile by a Prometheus that loads `ruleFile`; resolves once `upQuery`
 * reaches `targets` and 8 s more have given enough samples for 4 s rate windows.
 */
export async function startLiveFleet(profiles: string[], ruleFile: string, upQuery: string, targets: number): Promise<LiveFleet> {
  const emulator = await serveScenario("fleet-calm", ["scrape.interval=1s"]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-community-"));
  const config = path.join(dir, "prometheus.yml");
  fs.writeFileSync(config, exporterScrapeConfig(emulator.url, profiles, [ruleFile]));
  const prometheus = await startPrometheus({ configFile: config });
  await waitForQueryValue(prometheus, upQuery, String(targets));
  await sleep(8_000);
  return { emulator, prometheus };
}

/** A scenario played, backfilled and served by a temporary Prometheus (seed 42); close() it after. */
export function backfilled(scenario: CompiledScenario, options: Omit<OfflineOptions, "scenario" | "seed" | "log">): Promise<OfflineServer> {
  return startOffline({ scenario, seed: 42, log: () => undefined, ...options });
}

/** Logs expected against fired alerts per host; returns the expected ones that did not fire and those that fired unexpected. */
export function compareFired(title: string, expected: Map<string, Set<string>>, fired: Map<string, Set<string>>): { missing: string[]; unexpected: string[] } {
  const report = [...expected].map(([host, want]) => `${host}: expected [${[...want].join(", ")}], fired [${[...(fired.get(host) ?? [])].join(", ")}]`);
  console.log(`${title}:\n${report.join("\n")}`);
  const missing = [...expected].flatMap(([host, want]) => [...want].filter((a) => !fired.get(host)?.has(a)).map((a) => `${host}: ${a}`));
  const unexpected = [...fired].flatMap(([host, got]) => [...got].filter((a) => !expected.get(host)?.has(a)).map((a) => `${host}: ${a}`));
  return { missing, unexpected };
}

/** Per host of a profile, the alerts its faults are annotated with. */
export function annotatedAlerts(scenario: CompiledScenario, profile: string): Map<string, Set<string>> {
  const hosts = scenario.hosts.filter((h) => h.shape.exporter?.profile === profile);
  return new Map(hosts.map((h) => [h.name, new Set<string>(h.shape.exporter!.faults.flatMap((f) => f.alerts))]));
}
