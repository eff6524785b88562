/** The http profile: requests by method, route and code, a latency histogram the SLO rules can read, and its faults. */
import { spawnSync } from "child_process";
import { Engine } from "../../emulator/src/engine/engine";
import type { ExporterRuntime } from "../../emulator/src/profiles/types";
import { describeWith, findBinary } from "../support/servers";
import { MINUTE, engineFor, exporterOf, exposition, samples, scenarioError } from "./helpers";

const API = (faults = "") => `
timeOfDay: "15:00"
hosts:
  - name: api-01
    role: api
    exporter:
      profile: http
${faults}
`;
const start = (yaml: string, seed = 3): Engine => engineFor(yaml, seed);
const exporter = (engine: Engine): ExporterRuntime => exporterOf(engine);
const ROUTES = ["GET /api/orders", "GET /api/orders/:id", "POST /api/orders", "GET /api/products", "GET /healthz"].map((r) => r.split(" "));
const of = (m: Map<string, number>, method: string, route: string) => [...m].filter(([k]) => k.includes(`method="${method}"`) && k.includes(`route="${route}"`));

/** Share of requests that failed (5xx), and of those slower than 0.25 s, since `from`. */
function ratios(now: string, from: string) {
  const d = (name: string, filter: (k: string) => boolean) =>
    [...samples(now, name)].filter(([k]) => filter(k)).reduce((a, [k, x]) => a + x - (samples(from, name).get(k) ?? 0), 0);
  const total = d("http_requests_total", () => true);
  const errors = d("http_requests_total", (k) => k.startsWith('{code="5'));
  const fast = d("http_request_duration_seconds_bucket", (k) => k.includes('le="0.25"'));
  const count = d("http_request_duration_seconds_count", () => true);
  return { total, errors: errors / total, slow: 1 - fast / count };
}

describe("http profile", () => {
  it("exposes counters by code, method and route, and a histogram whose buckets are cumulative and end at _count", () => {
    const engine = start(API());
    let previous: string | undefined;
    for (let m = 1; m <= 20; m++) {
      engine.advanceTo(m * MINUTE);
      const text = exposition(exporter(engine));
      expect(text).toMatch(/^# TYPE http_requests_total counter$/m);
      expect(text).toMatch(/^# TYPE http_request_duration_seconds histogram$/m);
      const requests = samples(text, "http_requests_total");
      const buckets = samples(text, "http_request_duration_seconds_bucket");
      const counts = samples(text, "http_request_duration_seconds_count");
      const sums = samples(text, "http_request_duration_seconds_sum");
      for (const [method, route] of ROUTES) {
        const b = of(buckets, method, route);
        expect(b.length).toBe(12);
        expect(b[11][0]).toContain('le="+Inf"');
        for (let i = 1; i < b.length; i++) expect(b[i][1]).toBeGreaterThanOrEqual(b[i - 1][1]);
        const [[, count]] = of(counts, method, route);
        const [[, total]] = of(sums, method, route);
        expect(b[11][1]).toBe(count);
        // _count is the requests of that method and route, whatever their code.
        expect(of(requests, method, route).reduce((a, [, x]) => a + x, 0)).toBe(count);
        if (count > 0) {
          // The mean lies within the buckets that hold the requests.
          expect(total / count).toBeGreaterThan(0);
          expect(total / count).toBeLessThan(1);
        }
      }
      if (previous) {
        for (const name of ["http_requests_total", "http_request_duration_seconds_bucket", "http_request_duration_seconds_count", "http_request_duration_seconds_sum"]) {
          const before = samples(previous, name);
          for (const [k, x] of samples(text, name)) expect(x).toBeGreaterThanOrEqual(before.get(k)!);
        }
      }
      previous = text;
    }
    const text = exposition(exporter(engine));
    expect([...samples(text, "http_requests_total").keys()][0]).toBe('{code="200",method="GET",route="/api/orders"}');
    expect([...samples(text, "http_request_duration_seconds_sum").keys()][0]).toBe('{method="GET",route="/api/orders"}');
  });

  it("a degraded service fails more and answers slower; when it is back from down its counters start again", () => {
    const engine = start(API(`      faults:\n        - {fault: degraded, at: 20m, for: 10m}\n        - {fault: down, at: 40m, for: 2m}`));
    engine.advanceTo(10 * MINUTE);
    const a = exposition(exporter(engine));
    engine.advanceTo(20 * MINUTE);
    const b = exposition(exporter(engine));
    engine.advanceTo(30 * MINUTE);
    const c = exposition(exporter(engine));
    const calm = ratios(b, a);
    const degraded = ratios(c, b);
    expect(calm.total / 600).toBeGreaterThan(100);
    expect(calm.errors).toBeLessThan(0.001);
    expect(calm.slow).toBeLessThan(0.01);
    expect(degraded.errors).toBeGreaterThan(0.08);
    expect(degraded.slow).toBeGreaterThan(0.3);
    engine.advanceTo(41 * MINUTE);
    expect(exporter(engine).up).toBe(false);
    expect(exposition(exporter(engine))).toBe("");
    engine.advanceTo(43 * MINUTE);
    const total = [...samples(exposition(exporter(engine)), "http_requests_total").values()].reduce((x, y) => x + y, 0);
    expect(total).toBeLessThan(calm.total);
  });

  it("refuses duplicate routes and bad buckets", () => {
    expect(scenarioError(`hosts: [{name: a, role: r, exporter: {profile: http, layout: {routes: [{route: /a}, {route: /a}]}}}]`)).toMatch(/hosts\[0\]\.exporter\.layout\.routes\[1\]: GET \/a is listed twice/);
    expect(scenarioError(`hosts: [{name: a, role: r, exporter: {profile: http, layout: {buckets: [1, 0.5]}}}]`)).toMatch(/layout\.buckets: must be increasing/);
  });
});

describeWith(["promtool"])("http profile: promtool check metrics", () => {
  it("finds nothing to complain about", () => {
    const engine = start(API());
    engine.advanceTo(5 * MINUTE);
    const result = spawnSync(findBinary("promtool")!, ["check", "metrics"], { input: exposition(exporter(engine)), encoding: "utf8" });
    expect({ status: result.status, output: `${result.stdout}${result.stderr}` }).toEqual({ status: 0, output: "" });
  });
});
