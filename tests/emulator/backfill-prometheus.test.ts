/**
 * `promemu backfill --format blocks` with the real promtool, opened by the real Prometheus: every
 * sample of the range is there, at every step (no gap, also where one day's file for promtool ends
 * and the next begins), with the engine's value at its timestamp.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Engine } from "../../emulator/src/engine/engine";
import { renderText } from "../../emulator/src/exposition/render";
import { loadScenario } from "../../emulator/src/scenario/loader";
import { type RunningServer, describeWith, startPrometheusOnData, stopAllServers } from "../support/servers";
import { EMULATOR_BIN } from "./helpers";

const SEED = 11;
const STEP = 15_000;
const HOURS = 3;

describeWith(["prometheus", "promtool"])("backfilled blocks in the real Prometheus", () => {
  let dir: string;
  let prometheus: RunningServer;
  // Across a UTC midnight at least 1.5 h back (clear of the head block of the Prometheus started
  // below): --format blocks writes a file per day for promtool, so the seam between two is queried too.
  const midnight = Math.floor((Date.now() - 3 * 3_600_000) / 86_400_000) * 86_400_000;
  const from = midnight - (HOURS / 2) * 3_600_000;
  const to = midnight + (HOURS / 2) * 3_600_000;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "promemu-backfill-prom-"));
    const data = path.join(dir, "data");
    const r = spawnSync(
      process.execPath,
      [EMULATOR_BIN, "backfill", "--from", new Date(from).toISOString(), "--to", new Date(to).toISOString(), "--out", data, "--format", "blocks", "--seed", String(SEED), "--owner", "t"],
      { encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`backfill failed (${r.status}): ${r.stderr}`);
    expect(fs.readdirSync(data).some((f) => f.endsWith(".om"))).toBe(false);
    const config = path.join(dir, "prometheus.yml");
    fs.writeFileSync(config, "global: {scrape_interval: 1m}\n");
    prometheus = await startPrometheusOnData({ configFile: config, storagePath: data, args: ["--storage.tsdb.retention.time=30d"] });
  }, 120_000);

  afterAll(async () => {
    await stopAllServers();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Raw samples of one series over the whole range: [ms, value][]. */
  async function raw(selector: string): Promise<Array<[number, number]>> {
    const query = `${selector}[${HOURS * 3600 + 60}s]`;
    const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${(to - 1) / 1000}`);
    const body = (await res.json()) as { status: string; data: { result: Array<{ values: Array<[number, string]> }> } };
    expect(body.status).toBe("success");
    expect(body.data.result).toHaveLength(1);
    return body.data.result[0].values.map(([t, v]) => [Math.round(t * 1000), Number(v)]);
  }

  it("has every sample of the range, a step apart, with the engine's values: a gauge, a counter, a toggle", async () => {
    const scenario = loadScenario("default").scenario;
    const engine = new Engine(scenario, { seed: SEED, epochMs: from });
    const series = {
      cpu: { selector: 'cpu_usage_percent{job="promemu",promemu_owner="t",host="worker-02"}', line: /^cpu_usage_percent\{host="worker-02",[^}]*\} (\S+)$/m },
      requests: { selector: 'http_requests_total{host="balancer-01"}', line: /^http_requests_total\{host="balancer-01",[^}]*\} (\S+)$/m },
      heavy: { selector: 'heavy_task_active{host="balancer-01"}', line: /^heavy_task_active\{host="balancer-01",[^}]*\} (\S+)$/m },
    };
    const stored = {
      cpu: await raw(series.cpu.selector),
      requests: await raw(series.requests.selector),
      heavy: await raw(series.heavy.selector),
    };
    const steps = (HOURS * 3_600_000) / STEP;
    for (const values of Object.values(stored)) {
      expect(values.map(([t]) => t)).toEqual(Array.from({ length: steps }, (_, i) => from + i * STEP));
    }
    for (let i = 0; i < steps; i++) {
      engine.advanceTo(i * STEP);
      const text = renderText(engine.headers, engine.hosts).text;
      for (const name of ["cpu", "requests", "heavy"] as const) {
        expect([name, i, stored[name][i][1]]).toEqual([name, i, Number(series[name].line.exec(text)![1])]);
      }
    }
    // The toggle went on and off, and the counter only went up.
    expect(new Set(stored.heavy.map(([, v]) => v))).toEqual(new Set([0, 1]));
    for (let i = 1; i < steps; i++) expect(stored.requests[i][1]).toBeGreaterThanOrEqual(stored.requests[i - 1][1]);
  });
});
