/**
 * Event delivery through the hosts' shared subscription tables (engine/host-events.ts): every host
 * of a shape hears what its filters select, each with its own generators, and nothing once stopped.
 */
import { GeneratorBench, MINUTE, engineFor, host, valueOf } from "./helpers";

describe("events delivered to the hosts of a shape", () => {
  const yaml = `
hosts:
  - name: lb-{{i}}
    count: 2
    role: lb
    metrics: {busy: {generator: {type: toggle, period: 10m, on: 4m, offset: "\${offset}", events: {rise: peak, fall: calm}}}}
  - name: w-{{i}}
    count: 3
    role: w
    ttl: 12m
    metrics:
      from_first: {generator: {type: switch, base: 0, generator: 1, on: {event: peak, source: lb-01}, until: {event: calm, source: lb-01}}}
      from_any: {generator: {type: event, initial: 0, on: [{event: peak, value: 1}, {event: calm, value: 0}]}}
      from_role: {generator: {type: event, initial: 0, on: [{event: peak, role: lb, value: 5}, {event: peak, source: lb-02, value: 7}]}}
params: {offset: 1m}
`;

  it("each host hears the events its filters select, in order, and each keeps its own state", () => {
    const engine = engineFor(yaml);
    engine.advanceTo(30_000);
    for (const name of ["w-01", "w-02", "w-03"]) expect([valueOf(engine, name, "from_first"), valueOf(engine, name, "from_any"), valueOf(engine, name, "from_role")]).toEqual([0, 0, 0]);
    engine.advanceTo(2 * MINUTE);
    // Both balancers rose at 1m: lb-01 then lb-02, so the last matching subscription of from_role (lb-02's 7) wins.
    for (const name of ["w-01", "w-02", "w-03"]) expect([valueOf(engine, name, "from_first"), valueOf(engine, name, "from_any"), valueOf(engine, name, "from_role")]).toEqual([1, 1, 7]);
    engine.advanceTo(6 * MINUTE);
    for (const name of ["w-01", "w-02", "w-03"]) expect([valueOf(engine, name, "from_first"), valueOf(engine, name, "from_any")]).toEqual([0, 0]);
    engine.advanceTo(13 * MINUTE);
    expect(host(engine, "w-01").active).toBe(false);
  });

  it("a switch turned on at time 0, or at a fractional time, plays its generator", () => {
    const bench = new GeneratorBench();
    const generator = bench.build({ type: "switch", base: 1, generator: 2, on: "go", for: "1m" });
    bench.emit("go", 0);
    expect(bench.series(generator, [0, 59_999, MINUTE])).toEqual([2, 2, 1]);
    bench.emit("go", 90_000.5);
    expect(bench.series(generator, [90_000, 90_000.5, 150_000, 150_000.5])).toEqual([1, 2, 2, 1]);
  });
});
