import { reflect } from "../../emulator/src/generators/stochastic";
import { GeneratorBench, MINUTE, mean, scenarioError, stddev } from "./helpers";

const HOUR = 60 * MINUTE;
const range = (n: number, step: number, from = 0) => Array.from({ length: n }, (_, i) => from + i * step);

/** A one-host scenario whose metric `m` has the given generator: the way to reach the schema's messages. */
const withGenerator = (generator: string) => `hosts: [{name: h, role: r, metrics: {m: {generator: ${generator}}}}]`;

describe("stateless generators", () => {
  it("constant: a bare number is a constant", () => {
    const bench = new GeneratorBench();
    expect(bench.series(bench.build(7.5), [0, MINUTE, HOUR])).toEqual([7.5, 7.5, 7.5]);
    expect(bench.series(bench.build({ type: "constant", value: -2 }), [0, 1])).toEqual([-2, -2]);
  });

  it("uniform: stays in [min, max] and averages the middle", () => {
    const bench = new GeneratorBench();
    const values = bench.series(bench.build({ type: "uniform", min: 10, max: 20 }), range(5000, 1000));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...values)).toBeLessThan(20);
    expect(mean(values)).toBeCloseTo(15, 0);
    expect(new Set(values).size).toBeGreaterThan(4900);
  });

  it("normal: the requested mean and standard deviation", () => {
    const bench = new GeneratorBench();
    const values = bench.series(bench.build({ type: "normal", mean: 5, stddev: 2 }), range(20000, 1000));
    expect(mean(values)).toBeCloseTo(5, 1);
    expect(stddev(values)).toBeCloseTo(2, 1);
  });

  it("sine: middle at 0, max at a quarter period, middle at half, min at three quarters", () => {
    const bench = new GeneratorBench();
    const period = 10 * MINUTE;
    const values = bench.series(bench.build({ type: "sine", min: 20, max: 80, period: "10m" }), [0, period / 4, period / 2, (3 * period) / 4, period]);
    [50, 80, 50, 20, 50].forEach((expected, i) => expect(values[i]).toBeCloseTo(expected, 9));
    // A phase of a quarter period starts at the top.
    const shifted = bench.build({ type: "sine", min: 20, max: 80, period: "10m", phase: 0.25 });
    expect(bench.series(shifted, [0, period / 2])).toEqual([expect.closeTo(80, 9), expect.closeTo(20, 9)]);
  });

  it("diurnal: max at the peak hour, min twelve hours away, middle in between, on the scenario clock", () => {
    const bench = new GeneratorBench({ timeOfDay: 9 });
    const generator = bench.build({ type: "diurnal", min: 0.2, max: 0.6, peak: "15:00" });
    // The scenario starts at 09:00: 15:00 is 6 h in, 03:00 is 18 h in, 09:00 and 21:00 are the midpoints.
    const values = bench.series(generator, [6 * HOUR, 18 * HOUR, 0, 12 * HOUR, 30 * HOUR]);
    [0.6, 0.2, 0.4, 0.4, 0.6].forEach((expected, i) => expect(values[i]).toBeCloseTo(expected, 9));
  });

  it("load: maps the host's load factor, clamped to 0..1, onto [min, max]", () => {
    const bench = new GeneratorBench();
    const generator = bench.build({ type: "load", min: 10, max: 90 });
    const at = (load: number) => {
      bench.ctx.load = load;
      return generator.value(0, bench.ctx);
    };
    expect([at(0), at(0.25), at(1), at(-3), at(7)]).toEqual([10, 30, 90, 10, 90]);
  });

  it("derived: another metric scaled and offset, or as a percentage", () => {
    const bench = new GeneratorBench({ values: [4, 8_589_934_592] });
    expect(bench.build({ type: "derived", from: "m0", scale: 2.5, offset: 1 }).value(0, bench.ctx)).toBe(11);
    expect(bench.build({ type: "derived", from: "m1", percentOf: 17_179_869_184 }).value(0, bench.ctx)).toBe(50);
  });

  it("uptime: seconds since the host started, plus the offset", () => {
    const bench = new GeneratorBench({ now: 30_000 });
    expect(bench.series(bench.build({ type: "uptime" }), [30_000, 45_500])).toEqual([0, 15.5]);
    expect(bench.build({ type: "uptime", offset: "1d" }).value(90_000, bench.ctx)).toBe(86_400 + 60);
  });

  it("sum: a baseline plus noise plus an event offset", () => {
    const bench = new GeneratorBench();
    const generator = bench.build({ type: "sum", of: [40, { type: "uniform", min: -1, max: 1 }, { type: "event", on: [{ event: "peak", value: 50 }] }] });
    const before = bench.series(generator, range(100, 1000));
    bench.emit("peak", 100_000);
    const after = bench.series(generator, range(100, 1000, 100_000));
    for (const v of before) expect(Math.abs(v - 40)).toBeLessThanOrEqual(1);
    for (const v of after) expect(Math.abs(v - 90)).toBeLessThanOrEqual(1);
  });
});

describe("toggle", () => {
  const toggle = { type: "toggle", period: "10m", on: "4m", offset: "60s", low: 0, high: 1, events: { rise: "peak_start", fall: "peak_end" } };

  it("is low before its offset, high for `on` of every period from it", () => {
    const bench = new GeneratorBench();
    const generator = bench.build(toggle);
    const at = (ms: number) => generator.value(ms, bench.ctx);
    expect([at(0), at(59_999), at(60_000), at(299_999), at(300_000), at(659_999), at(660_000), at(900_000)]).toEqual([0, 0, 1, 1, 0, 0, 1, 0]);
  });

  it("announces each edge at its exact time, whether or not anyone ticks then", () => {
    const bench = new GeneratorBench();
    bench.build(toggle);
    bench.scheduler.advanceTo(30 * MINUTE);
    expect(bench.emitted.map((e) => [e.name, e.time / 1000])).toEqual([
      ["peak_start", 60],
      ["peak_end", 300],
      ["peak_start", 660],
      ["peak_end", 900],
      ["peak_start", 1260],
      ["peak_end", 1500],
    ]);
    expect(bench.emitted.every((e) => e.source === "bench-host")).toBe(true);
  });

  it("announces the rise at once when its host starts in a high phase", () => {
    const bench = new GeneratorBench({ now: 120_000 });
    bench.build(toggle);
    bench.scheduler.advanceTo(10 * MINUTE);
    expect(bench.emitted.map((e) => [e.name, e.time / 1000])).toEqual([
      ["peak_start", 120],
      ["peak_end", 300],
    ]);
  });

  it.each([
    ["on not shorter than period", `{type: toggle, period: 2m, on: 2m}`, "m.generator.on: must be shorter than period"],
    ["a zero period", `{type: toggle, period: 0s, on: 1s}`, "m.generator.period: must be longer than 0s"],
    ["a bad offset", `{type: toggle, period: 2m, on: 1m, offset: soon}`, `m.generator.offset: must be a duration such as 500ms`],
    ["a bad event name", `{type: toggle, period: 2m, on: 1m, events: {rise: "a b"}}`, "m.generator.events.rise: must be an event name"],
  ])("refuses %s", (_, generator, message) => {
    expect(scenarioError(withGenerator(generator))).toContain(`bad.yaml: hosts[0].metrics.${message}`);
  });
});

describe("stateful random generators", () => {
  it("steps: picks values by weight, and holds each for `hold`", () => {
    const bench = new GeneratorBench();
    const choices = [
      { value: 4, weight: 1 },
      { value: 8, weight: 3 },
      { value: 16, weight: 0 },
    ];
    const values = bench.series(bench.build({ type: "steps", choices }), range(8000, 1000));
    const share = (v: number) => values.filter((x) => x === v).length / values.length;
    expect(share(4)).toBeCloseTo(0.25, 1);
    expect(share(8)).toBeCloseTo(0.75, 1);
    expect(share(16)).toBe(0);

    const held = bench.series(bench.build({ type: "steps", choices, hold: "10m" }, "held"), range(120, 15_000));
    // 30 minutes of 15 s ticks: the value may change only at 0, 10 and 20 minutes.
    held.forEach((v, i) => {
      if (i % 40 !== 0) expect(v).toBe(held[i - 1]);
    });
  });

  it("trend up and down: drift at `rate` per `per`, clamped at the bound", () => {
    const bench = new GeneratorBench();
    const up = bench.series(bench.build({ type: "trend", start: 40, min: 0, max: 50, direction: "up", rate: 2, per: "1m" }), range(11, MINUTE));
    expect(up).toEqual([40, 42, 44, 46, 48, 50, 50, 50, 50, 50, 50]);
    const down = bench.series(bench.build({ type: "trend", start: 40, min: 35, max: 50, direction: "down", rate: 1, per: "30s", noise: 0.5 }, "down"), range(200, 30_000));
    expect(Math.min(...down)).toBeGreaterThanOrEqual(35);
    expect(down.slice(-50).every((v) => v < 37)).toBe(true);
  });

  it("trend hold: no drift, reflected at the bounds so it stays unbiased", () => {
    const bench = new GeneratorBench();
    const still = bench.series(bench.build({ type: "trend", start: 55, min: 40, max: 75, direction: "hold" }), range(50, 15_000));
    expect(new Set(still)).toEqual(new Set([55]));
    const walk = bench.series(bench.build({ type: "trend", start: 50, min: 0, max: 100, direction: "hold", noise: 20, per: "1m" }, "walk"), range(40000, MINUTE));
    expect(Math.min(...walk)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...walk)).toBeLessThanOrEqual(100);
    // Reflection keeps the long-run distribution uniform over [min, max]: mean in the middle, no pile-up at the edges.
    expect(mean(walk)).toBeGreaterThan(45);
    expect(mean(walk)).toBeLessThan(55);
    expect(walk.filter((v) => v > 99 || v < 1).length / walk.length).toBeLessThan(0.05);
  });

  it("reflect folds values back into the range", () => {
    expect([reflect(105, 0, 100), reflect(-5, 0, 100), reflect(250, 0, 100), reflect(50, 0, 100), reflect(7, 3, 3)]).toEqual([95, 5, 50, 50, 3]);
  });

  it("ou: without noise, decays towards the mean with the time constant; with noise, has the stationary spread", () => {
    const bench = new GeneratorBench();
    const decay = bench.series(bench.build({ type: "ou", mean: 10, stddev: 0, reversion: "1m", start: 20 }), [0, MINUTE, 2 * MINUTE]);
    expect(decay[0]).toBe(20);
    expect(decay[1]).toBeCloseTo(10 + 10 * Math.exp(-1), 9);
    expect(decay[2]).toBeCloseTo(10 + 10 * Math.exp(-2), 9);
    // Samples 5 time constants apart are nearly independent draws of the stationary law N(mean, stddev).
    const noisy = bench.series(bench.build({ type: "ou", mean: 0.35, stddev: 0.06, reversion: "3m" }, "noisy"), range(20000, 15 * MINUTE));
    expect(mean(noisy)).toBeCloseTo(0.35, 2);
    expect(stddev(noisy)).toBeCloseTo(0.06, 2);
  });
});

describe("event generators", () => {
  it("event: the value of the last matching event, filtered by source and role", () => {
    const bench = new GeneratorBench();
    const generator = bench.build({
      type: "event",
      initial: 2,
      on: [
        { event: "peak_start", value: 16, role: "balancer" },
        { event: "peak_end", value: 2, source: "balancer-01" },
      ],
    });
    const at = () => generator.value(bench.scheduler.now, bench.ctx);
    expect(at()).toBe(2);
    bench.emit("peak_start", 1000, "worker-01", "worker");
    expect(at()).toBe(2);
    bench.emit("peak_start", 2000, "balancer-01", "balancer");
    expect(at()).toBe(16);
    bench.emit("peak_end", 3000, "balancer-02", "balancer");
    expect(at()).toBe(16);
    bench.emit("peak_end", 4000, "balancer-01", "balancer");
    expect(at()).toBe(2);
  });

  it("switch: plays the other generator from the event for `for`, then the base again", () => {
    const bench = new GeneratorBench();
    const generator = bench.build({ type: "switch", base: 1, generator: 2, on: "peak_start", for: "4m" });
    bench.emit("peak_start", MINUTE);
    const values = bench.series(generator, [0, MINUTE - 1, MINUTE, 3 * MINUTE, 5 * MINUTE - 1, 5 * MINUTE, 9 * MINUTE]);
    expect(values).toEqual([1, 1, 2, 2, 2, 1, 1]);
  });

  it("switch: `until` ends the switch early; a new `on` starts it again", () => {
    const bench = new GeneratorBench();
    const generator = bench.build({ type: "switch", base: 0, generator: 1, on: "on", until: "off", for: "10m" });
    const at = (t: number) => bench.series(generator, [t])[0];
    bench.emit("on", MINUTE);
    expect(at(2 * MINUTE)).toBe(1);
    bench.emit("off", 3 * MINUTE);
    expect(at(3 * MINUTE)).toBe(0);
    bench.emit("on", 20 * MINUTE);
    expect(at(29 * MINUTE)).toBe(1);
    expect(at(30 * MINUTE)).toBe(0);
  });

  it("switch: the idle generator keeps its own state (an OU base resumes where it was)", () => {
    const bench = new GeneratorBench();
    const generator = bench.build({ type: "switch", base: { type: "ou", mean: 0, stddev: 0, reversion: "1m", start: 8 }, generator: 100, on: "go", for: "1m" });
    expect(bench.series(generator, [0])).toEqual([8]);
    bench.emit("go", 1000);
    expect(bench.series(generator, [30_000])).toEqual([100]);
    expect(bench.series(generator, [2 * MINUTE])[0]).toBeCloseTo(8 * Math.exp(-2), 9);
  });
});

describe("generator errors name the file, the path and what is allowed", () => {
  it.each([
    ["an unknown generator", `{type: perlin}`, `m.generator.type: unknown generator "perlin" (known: constant, uniform, normal, sine, toggle`],
    ["a missing type", `{min: 1, max: 2}`, "m.generator.type: needs a generator type (one of constant, uniform"],
    ["uniform min > max", `{type: uniform, min: 90, max: 10}`, "m.generator.min: must be <= max (min 90, max 10)"],
    ["sine min > max", `{type: sine, min: 9, max: 1, period: 1m}`, "m.generator.min: must be <= max"],
    ["diurnal min > max", `{type: diurnal, min: 9, max: 1}`, "m.generator.min: must be <= max"],
    ["a bad diurnal peak", `{type: diurnal, min: 1, max: 9, peak: "25:00"}`, "m.generator.peak: must be a time of day such as 09:00 or 14:30"],
    ["a negative stddev", `{type: normal, stddev: -1}`, "m.generator.stddev: must be >= 0"],
    ["steps without choices", `{type: steps, choices: []}`, "m.generator.choices: needs at least one choice"],
    ["steps with zero weights", `{type: steps, choices: [{value: 1, weight: 0}]}`, "m.generator.choices: needs at least one choice with a weight above 0"],
    ["a trend start outside its range", `{type: trend, start: 5, min: 10, max: 20, direction: up}`, "m.generator.start: must be between min 10 and max 20"],
    ["an unknown trend direction", `{type: trend, start: 15, min: 10, max: 20, direction: sideways}`, "m.generator.direction: must be up, down or hold"],
    ["an ou without reversion", `{type: ou, mean: 1, stddev: 1}`, "m.generator.reversion: must be a duration"],
    ["a switch without for or until", `{type: switch, base: 1, generator: 2, on: host_started}`, "m.generator: needs `for` (a duration) or `until` (an event), or both"],
    ["a sum of one", `{type: sum, of: [1]}`, "m.generator.of: needs at least two generators to add"],
    ["an unknown key", `{type: constant, value: 1, colour: red}`, `m.generator: unknown key "colour"`],
    ["a text where a number belongs", `{type: uniform, min: low, max: 2}`, "m.generator.min: must be a number"],
    ["a nested unknown generator", `{type: sum, of: [1, {type: nope}]}`, `m.generator.of[1].type: unknown generator "nope"`],
  ])("%s", (_, generator, message) => {
    expect(scenarioError(withGenerator(generator))).toContain(`bad.yaml: hosts[0].metrics.${message}`);
  });

  it("a derived metric must name another metric of the host, and no cycle", () => {
    expect(scenarioError(`hosts: [{name: h, role: r, metrics: {a: {generator: {type: derived, from: b}}}}]`)).toBe(
      'bad.yaml: hosts[0].metrics.a.generator.from: no metric "b" on this host (its metrics: a)',
    );
    expect(
      scenarioError(`hosts: [{name: h, role: r, metrics: {a: {generator: {type: derived, from: b}}, b: {generator: {type: derived, from: a}}}}]`),
    ).toContain("derived metrics form a cycle: a -> b -> a");
  });

  it("a load generator needs a host load, and a load cannot use load or derived", () => {
    expect(scenarioError(`hosts: [{name: h, role: r, metrics: {a: {generator: {type: load, min: 0, max: 1}}}}]`)).toContain(
      "bad.yaml: hosts[0].metrics.a.generator: uses the host's load, but hosts[0] (role r) has no load: define roles.r.load or hosts[0].load",
    );
    expect(scenarioError(`hosts: [{name: h, role: r, load: {type: load, min: 0, max: 1}, metrics: {a: 1}}]`)).toContain(
      "bad.yaml: hosts[0].load: a host's load cannot use the load generator",
    );
  });

  it("a subscription must name an event some host emits, and existing sources and roles", () => {
    const base = (filter: string) => withGenerator(`{type: event, on: [${filter}]}`);
    expect(scenarioError(base(`{event: peak_strat, value: 1}`))).toContain(
      'hosts[0].metrics.m.generator.on[0]: no host emits event "peak_strat" (emitted: host_started, host_stopped;',
    );
    expect(scenarioError(base(`{event: host_started, source: ghost, value: 1}`))).toContain('hosts[0].metrics.m.generator.on[0].source: no host is named "ghost"');
    expect(scenarioError(base(`{event: host_started, role: ghost, value: 1}`))).toContain('hosts[0].metrics.m.generator.on[0].role: no host has role "ghost" (roles: r)');
  });
});
