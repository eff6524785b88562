/**
 * The emulator in this process, as its container serves it: a Runner playing a scenario and its HTTP
 * endpoint (exporter hosts, /sd/<profile>), for the suites that point a real Prometheus at it.
 */
import { startHttpServer, type RunningHttpServer } from "../../emulator/src/http/server";
import { Runner } from "../../emulator/src/runner";
import { loadScenario } from "../../emulator/src/scenario/loader";
import { Telemetry } from "../../emulator/src/telemetry";

export interface ServedScenario {
  readonly runner: Runner;
  readonly server: RunningHttpServer;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Stops the runner, then the endpoint. */
  stop(): Promise<void>;
}

/** Plays a built-in scenario (seed 42, real time, quiet) and serves it on a free loopback port. */
export async function serveScenario(name: string, overrides: string[]): Promise<ServedScenario> {
  const { scenario } = loadScenario(name, overrides);
  const runner = new Runner({ scenario, seed: 42, speed: 1, pushIntervalMs: 1000, telemetry: new Telemetry(), log: () => undefined });
  const server = await startHttpServer(
    { host: "127.0.0.1", port: 0 },
    {
      health: () => ({}),
      ownMetrics: async () => ({ contentType: "text/plain", body: "" }),
      emulated: () => runner.renderAll(),
      exporter: (host) => runner.renderExporter(host),
      targets: (profile, address) => runner.exporterTargets(profile, address),
    },
    () => undefined,
  );
  runner.start();
  return {
    runner,
    server,
    url: server.url,
    stop: async () => {
      await runner.stop();
      await server.close();
    },
  };
}

/**
 * A prometheus.yml that scrapes and evaluates every second, loads `ruleFiles`, and has one job per
 * profile, its targets discovered at the emulator's /sd/<profile>.
 */
export function exporterScrapeConfig(emulatorUrl: string, profiles: string[], ruleFiles: string[]): string {
  return [
    "global: {scrape_interval: 1s, evaluation_interval: 1s}",
    `rule_files: [${ruleFiles.map((f) => JSON.stringify(f)).join(", ")}]`,
    "scrape_configs:",
    ...profiles.flatMap((p) => [`  - job_name: ${p}`, `    http_sd_configs: [{url: "${emulatorUrl}/sd/${p}", refresh_interval: 1s}]`]),
    "",
  ].join("\n");
}
