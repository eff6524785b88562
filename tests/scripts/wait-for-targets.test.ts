/** The post-deploy check `pulumi up` runs last, against a real Prometheus scraping a real Pushgateway. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { unhealthyExporterJobs, unhealthyJobs, waitForTargets } from "../../scripts/wait-for-targets";
import { describeWith, freePort, RunningServer, startPrometheus, startPushgateway, stopAllServers } from "../support/servers";

describe("unhealthyJobs", () => {
  const targets = [
    { job: "pushgateway", instance: "pg:9091", url: "http://pg:9091/metrics", health: "up" as const, lastError: "" },
    { job: "emulator", instance: "emu:9464", url: "http://emu:9464/metrics", health: "down" as const, lastError: "connection refused" },
    { job: "grafana", instance: "g:3000", url: "http://g:3000/metrics", health: "unknown" as const, lastError: "" },
  ];
  it("names each job without a healthy target and why", () => {
    expect(unhealthyJobs(targets, ["pushgateway", "emulator", "grafana", "alertmanager"])).toEqual([
      "emulator (emu:9464): down, connection refused",
      "grafana (g:3000): unknown, not scraped yet",
      "alertmanager: no such scrape job in Prometheus' configuration",
    ]);
    expect(unhealthyJobs(targets, ["pushgateway"])).toEqual([]);
  });

  it("is content with one healthy target per exporter job (an emulated host may be down on purpose), else says why", () => {
    const exporters = [
      { job: "node", instance: "web-01:9100", url: "http://emulator:9464/hosts/web-01/metrics", health: "down" as const, lastError: "server returned HTTP status 503" },
      { job: "node", instance: "web-02:9100", url: "http://emulator:9464/hosts/web-02/metrics", health: "up" as const, lastError: "" },
      { job: "postgres", instance: "db-01:9187", url: "http://emulator:9464/hosts/db-01/metrics", health: "unknown" as const, lastError: "" },
    ];
    expect(unhealthyExporterJobs(exporters, ["node"])).toEqual([]);
    expect(unhealthyExporterJobs(exporters, ["postgres", "http"])).toEqual([
      "postgres: none of its 1 targets up yet, e.g. db-01:9187: unknown, not scraped yet",
      "http: no target discovered yet (does the emulator's /sd/http list hosts?)",
    ]);
  });

  it("gives up after the timeout with the last problem, on an injected clock", async () => {
    let clock = 0;
    const sleeps: number[] = [];
    const port = await freePort(); // nothing listens there
    await expect(
      waitForTargets({
        prometheusUrl: `http://127.0.0.1:${port}`,
        jobs: ["prometheus"],
        timeoutMs: 10_000,
        intervalMs: 2_000,
        now: () => clock,
        sleep: async (ms) => {
          sleeps.push(ms);
          clock += ms;
        },
      }),
    ).rejects.toThrow(/scrape targets not healthy after 10s:\n {2}- Prometheus not reachable: GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/targets\?state=active: connection refused/);
    expect(sleeps).toEqual([2000, 2000, 2000, 2000, 2000]);
  });
});

describeWith(["prometheus", "pushgateway"])("waitForTargets on a real Prometheus", () => {
  let prometheus: RunningServer;
  beforeAll(async () => {
    const pushgateway = await startPushgateway();
    const dead = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-targets-"));
    const config = path.join(dir, "prometheus.yml");
    fs.writeFileSync(
      config,
      [
        "global: {scrape_interval: 1s, evaluation_interval: 1s}",
        "scrape_configs:",
        `  - {job_name: pushgateway, honor_labels: true, static_configs: [{targets: ["127.0.0.1:${pushgateway.port}"]}]}`,
        `  - {job_name: emulator, static_configs: [{targets: ["127.0.0.1:${dead}"]}]}`,
        "",
      ].join("\n"),
    );
    prometheus = await startPrometheus({ configFile: config });
  });
  afterAll(stopAllServers);

  it("resolves once the expected jobs are scraped successfully", async () => {
    const targets = await waitForTargets({ prometheusUrl: prometheus.url, jobs: ["pushgateway"], timeoutMs: 20_000, intervalMs: 250 });
    expect(targets.find((t) => t.job === "pushgateway")?.health).toBe("up");
  });

  it("fails naming the target that is down and the scrape error", async () => {
    await expect(waitForTargets({ prometheusUrl: prometheus.url, jobs: ["pushgateway", "emulator"], timeoutMs: 4_000, intervalMs: 250 })).rejects.toThrow(
      /emulator \(127\.0\.0\.1:\d+\): (down, .*connection refused|unknown, not scraped yet)/,
    );
  });
});
