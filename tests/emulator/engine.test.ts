import { SettingsSchema, parseDuration } from "../../config/settings";
import { Engine } from "../../emulator/src/engine/engine";
import { MAX_DRAWS } from "../../emulator/src/engine/series";
import { renderText } from "../../emulator/src/exposition/render";
import { loadScenario } from "../../emulator/src/scenario/loader";
import { MINUTE, engineFor, host, valueOf } from "./helpers";

/** Renders of every active host at each time: the series as Prometheus would see them. */
function play(engine: Engine, times: number[]): string[] {
  return times.map((t) => {
    engine.advanceTo(t);
    return renderText(engine.headers, engine.hosts).text;
  });
}

const every15s = (minutes: number) => Array.from({ length: (minutes * 60) / 15 + 1 }, (_, i) => i * 15_000);

describe("determinism", () => {
  const scenario = loadScenario("default").scenario;

  it("the same seed plays the same 30 minutes, whatever the steps the clock takes", () => {
    const coarse = play(new Engine(scenario, { seed: 42 }), every15s(30));
    const fine = new Engine(scenario, { seed: 42 });
    // Advancing in uneven small steps must not change what is seen at the 15 s marks.
    const sampled: string[] = [];
    for (let t = 0, next = 0; next <= 30 * MINUTE; t += 1_337) {
      while (next <= t && next <= 30 * MINUTE) {
        fine.advanceTo(next);
        sampled.push(renderText(fine.headers, fine.hosts).text);
        next += 15_000;
      }
      fine.advanceTo(t);
    }
    expect(sampled).toEqual(coarse);
    expect(new Set(coarse).size).toBeGreaterThan(100);
  });

  it("another seed plays other values", () => {
    const [a, b] = [1, 2].map((seed) => play(new Engine(scenario, { seed }), [10 * MINUTE])[0]);
    expect(a).not.toEqual(b);
    expect(a.split("\n").length).toBe(b.split("\n").length);
  });

  it("adding a host does not change any other host's series", () => {
    const onlyWorkers = (text: string, names: string[]) =>
      text
        .split("\n")
        .filter((line) => names.some((n) => line.includes(`host="${n}"`)))
        .join("\n");
    const four = play(new Engine(loadScenario("default", ["hosts.count=4"]).scenario, { seed: 9 }), every15s(20));
    const five = play(new Engine(loadScenario("default", ["hosts.count=5"]).scenario, { seed: 9 }), every15s(20));
    const names = ["balancer-01", "worker-01", "worker-02", "worker-03", "worker-04", "db-01"];
    expect(five.map((t) => onlyWorkers(t, names))).toEqual(four.map((t) => onlyWorkers(t, names)));
    expect(five[10]).toContain('host="worker-05"');
  });
});

describe("hosts", () => {
  it("tick at interval +- jitter, the first tick at their start", () => {
    const engine = engineFor(`
tick: {interval: 10s, jitter: 2s}
hosts: [{name: h, role: r, delay: 5s, metrics: {up: {generator: {type: uptime}}}}]`);
    const ticks: number[] = [];
    let samples = 0;
    for (let t = 0; t <= 10 * MINUTE; t += 100) {
      engine.advanceTo(t);
      if (engine.samples !== samples) {
        samples = engine.samples;
        // The uptime sampled at the tick tells when the tick happened.
        ticks.push(5_000 + valueOf(engine, "h", "up") * 1000);
      }
    }
    expect(ticks[0]).toBe(5_000);
    const gaps = ticks.slice(1).map((t, i) => t - ticks[i]);
    expect(gaps.length).toBeGreaterThan(45);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(8_000);
      expect(gap).toBeLessThanOrEqual(12_000);
    }
    expect(new Set(gaps.map((g) => Math.round(g))).size).toBeGreaterThan(10);
  });

  it("wait for their start delay, and leave with their series when their TTL ends", () => {
    const engine = engineFor(`hosts: [{name: short, role: r, delay: 1m, ttl: 5m, metrics: {x: 1}}, {name: long, role: r, metrics: {x: 2}}]`);
    const names = (t: number) => {
      engine.advanceTo(t);
      return renderText(engine.headers, engine.hosts)
        .text.split("\n")
        .filter((l) => l.startsWith("x{"))
        .map((l) => /host="([^"]+)"/.exec(l)![1]);
    };
    expect(names(59_999)).toEqual(["long"]);
    expect(names(MINUTE)).toEqual(["short", "long"]);
    expect(names(6 * MINUTE - 1)).toEqual(["short", "long"]);
    expect(names(6 * MINUTE)).toEqual(["long"]);
    expect(host(engine, "short").series).toEqual([]);
  });

  it("announce host_started and host_stopped, which other hosts can follow", () => {
    const engine = engineFor(`
hosts:
  - {name: primary, role: db, delay: 1m, ttl: 2m, metrics: {x: 1}}
  - name: standby
    role: db
    startOn: {event: host_stopped, source: primary}
    delay: 30s
    stopOn: {event: host_started, source: primary}
    metrics:
      seen: {generator: {type: event, initial: 0, on: [{event: host_started, value: 1}]}}`);
    const active = (t: number) => {
      engine.advanceTo(t);
      return engine.activeHosts().map((h) => h.name);
    };
    expect(active(0)).toEqual([]);
    expect(active(MINUTE)).toEqual(["primary"]);
    expect(active(3 * MINUTE)).toEqual([]);
    expect(active(3 * MINUTE + 30_000)).toEqual(["standby"]);
  });

  it("restart afresh: counters from 0 again", () => {
    const engine = engineFor(`
hosts:
  - name: clock
    role: c
    metrics: {beat: {generator: {type: toggle, period: 10m, on: 5m, events: {rise: up, fall: down}}}}
  - {name: job, role: j, startOn: up, stopOn: down, tick: {interval: 10s}, metrics: {done_total: {type: counter, rate: 2}}}`);
    engine.advanceTo(4 * MINUTE + 59_000);
    expect(valueOf(engine, "job", "done_total")).toBe(2 * 290);
    engine.advanceTo(7 * MINUTE);
    expect(host(engine, "job").active).toBe(false);
    engine.advanceTo(10 * MINUTE + 20_000);
    expect(valueOf(engine, "job", "done_total")).toBe(40);
  });
});

describe("counters and histograms", () => {
  it("a counter starts at 0 and grows by rate x elapsed seconds, never down", () => {
    const engine = engineFor(`
tick: {interval: 15s}
hosts: [{name: h, role: r, metrics: {bytes_total: {type: counter, rate: {type: sine, min: -100, max: 300, period: 2m}}}}]`);
    engine.advanceTo(0);
    expect(valueOf(engine, "h", "bytes_total")).toBe(0);
    let previous = 0;
    for (let t = 15_000; t <= 10 * MINUTE; t += 15_000) {
      engine.advanceTo(t);
      const value = valueOf(engine, "h", "bytes_total");
      expect(value).toBeGreaterThanOrEqual(previous);
      previous = value;
    }
    // Over whole periods the positive part of the wave dominates: about 15 s x the mean of max(rate, 0) per tick.
    expect(previous).toBeGreaterThan(40 * 80 * 15);

    const constant = engineFor(`tick: {interval: 15s}\nhosts: [{name: h, role: r, metrics: {n_total: {type: counter, rate: 3.5}}}]`);
    constant.advanceTo(10 * MINUTE);
    expect(valueOf(constant, "h", "n_total")).toBeCloseTo(3.5 * 600, 9);
  });

  it("a histogram draws fresh observations every tick into cumulative buckets", () => {
    const engine = engineFor(`
tick: {interval: 15s}
hosts:
  - name: h
    role: r
    metrics:
      latency_seconds:
        type: histogram
        buckets: [0.05, 0.1, 0.2, 0.5]
        observations: {rate: 20, distribution: {type: lognormal, median: 0.1, sigma: 0.5}}`);
    const snapshots = play(engine, [15_000, 30 * MINUTE]).map((text) => {
      const value = (suffix: string) => Number(new RegExp(`latency_seconds${suffix} (\\S+)`).exec(text)![1]);
      return {
        buckets: ["0.05", "0.1", "0.2", "0.5", "+Inf"].map((le) => value(`_bucket\\{[^}]*le="${le.replace("+", "\\+")}"\\}`)),
        sum: value("_sum\\{[^}]*\\}"),
        count: value("_count\\{[^}]*\\}"),
      };
    });
    const [first, last] = snapshots;
    expect(first.count).toBe(300);
    expect(last.count).toBe(20 * 30 * 60);
    for (const { buckets, count } of snapshots) {
      buckets.forEach((b, i) => i > 0 && expect(b).toBeGreaterThanOrEqual(buckets[i - 1]));
      expect(buckets[4]).toBe(count);
    }
    // The median lies at 0.1: about half the observations in the le="0.1" bucket; lognormal mean = 0.1 e^(0.125).
    expect(last.buckets[1] / last.count).toBeCloseTo(0.5, 1);
    expect(last.sum / last.count).toBeCloseTo(0.1 * Math.exp(0.125), 2);
  });

  it(`beyond ${MAX_DRAWS} observations a tick scales a sample up, keeping whole counts that add up`, () => {
    const engine = engineFor(`
tick: {interval: 10s}
hosts: [{name: h, role: r, metrics: {d: {type: histogram, buckets: [1, 2, 3], observations: {rate: 1234.5, distribution: {type: uniform, min: 0, max: 4}}}}}]`);
    const text = play(engine, [10_000])[0];
    const counts = [...text.matchAll(/d_bucket\{[^}]*\} (\S+)/g)].map((m) => Number(m[1]));
    expect(counts.every(Number.isInteger)).toBe(true);
    expect(counts[3]).toBe(12_345);
    counts.slice(0, 3).forEach((c, i) => expect(c / 12_345).toBeCloseTo((i + 1) / 4, 1));
  });
});

describe("the default scenario lets the stack's alert rules fire, and only during peaks", () => {
  const alerts = SettingsSchema.parse({}).alerts;
  const engine = new Engine(loadScenario("default").scenario, { seed: 42 });
  const workers = ["worker-01", "worker-02", "worker-03", "worker-04"];
  /** Peaks at [60 s + k x 10 min, + 4 min): a worker follows at its first tick after an edge (ticks are at most 17 s apart). */
  const inPeak = (t: number) => (t - 60_000) % (10 * MINUTE) < 4 * MINUTE && t >= 60_000;
  const settled = (t: number) => inPeak(t) === inPeak(t - 17_000);
  const samples: { t: number; peak: boolean; cpu: number; memory: number; heavy: number }[] = [];
  for (let t = 0; t <= 60 * MINUTE; t += 5_000) {
    engine.advanceTo(t);
    if (!settled(t)) continue;
    for (const w of workers) {
      samples.push({ t, peak: inPeak(t), cpu: valueOf(engine, w, "cpu_usage_percent"), memory: valueOf(engine, w, "memory_usage_percent"), heavy: valueOf(engine, "balancer-01", "heavy_task_active") });
    }
  }

  it("heavy_task_active is 1 exactly in the peaks (first at 60 s, 4 min of every 10 min)", () => {
    for (const s of samples) expect(s.heavy).toBe(s.peak ? 1 : 0);
    expect(samples.filter((s) => s.peak).length).toBeGreaterThan(samples.length / 4);
  });

  it(`in a peak every worker stays above CriticalCPUUsage (${alerts.cpuCritical.threshold}) and HighMemoryUsage (${alerts.memoryHigh.threshold})`, () => {
    for (const s of samples.filter((x) => x.peak)) {
      expect(s.cpu).toBeGreaterThan(alerts.cpuCritical.threshold);
      expect(s.cpu).toBeLessThanOrEqual(98);
      expect(s.memory).toBeGreaterThan(alerts.memoryHigh.threshold);
    }
  });

  it(`outside peaks every worker stays below HighCPUUsage (${alerts.cpuHigh.threshold}) and HighMemoryUsage`, () => {
    for (const s of samples.filter((x) => !x.peak)) {
      expect(s.cpu).toBeLessThan(alerts.cpuHigh.threshold);
      expect(s.memory).toBeLessThan(alerts.memoryHigh.threshold);
    }
  });

  it("a peak outlasts the longest `for` of those rules by more than a scrape and an evaluation", () => {
    const longestFor = Math.max(...[alerts.cpuHigh, alerts.cpuCritical, alerts.memoryHigh].map((a) => parseDuration(a.for)!));
    // The high values hold from a worker's first tick in the peak to its first tick after it: 4 min minus at most one tick's lag at each end.
    expect(4 * MINUTE - 17_000).toBeGreaterThan(longestFor + 2 * 15_000);
  });
});

describe("hosts-load-with-peaks", () => {
  it("burst hosts exist only during peaks, and the workers jump meanwhile", () => {
    const engine = new Engine(loadScenario("hosts-load-with-peaks").scenario, { seed: 3 });
    const at = (t: number) => {
      engine.advanceTo(t);
      return engine.activeHosts().map((h) => h.name);
    };
    expect(at(59_000)).toEqual(["balancer-01", "worker-01", "worker-02", "worker-03"]);
    expect(valueOf(engine, "worker-01", "cpu_usage_percent")).toBeLessThan(50);
    expect(at(90_000)).toEqual(["balancer-01", "worker-01", "worker-02", "worker-03", "burst-01", "burst-02"]);
    expect(valueOf(engine, "worker-01", "cpu_usage_percent")).toBeGreaterThan(95);
    expect(valueOf(engine, "worker-01", "workers_count")).toBe(16);
    expect(at(5 * MINUTE)).toEqual(["balancer-01", "worker-01", "worker-02", "worker-03"]);
  });
});
