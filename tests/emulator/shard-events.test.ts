/**
 * A shard's hosts have the values they have in one process playing the whole fleet, also when what drives them is
 * another shard's host: the default scenario's workers peak when the balancer announces peak_start, and with
 * `--shard k/3` the balancer is in one shard only. The other hosts play in the background of each shard's engine
 * (their events heard, nothing of theirs shown or logged). Before, a shard without the balancer never peaked.
 */
import { Engine } from "../../emulator/src/engine/engine";
import { renderText } from "../../emulator/src/exposition/render";
import { loadScenario } from "../../emulator/src/scenario/loader";
import { processShardOf, selectShard } from "../../emulator/src/scenario/shard";
import type { LogSink } from "../../emulator/src/logs/types";

const STEP = 15_000;
const END = 12 * 60_000;

function textOf(engine: Engine, names: ReadonlySet<string>): string {
  return renderText(engine.headers, engine.activeHosts().filter((h) => names.has(h.name))).text;
}

describe("--shard k/n keeps events across shards", () => {
  it.each([3, 4])("every host of each of %i shards has the whole fleet's values at every tick (default scenario, peaks included)", (count) => {
    const fleet = loadScenario("default", ["hosts.count=10"]).scenario;
    const whole = new Engine(fleet, { seed: 9, epochMs: 0 });
    const shards = Array.from({ length: count }, (_, i) => {
      const scenario = selectShard(fleet, { index: i + 1, count });
      return { names: new Set(scenario.hosts.map((h) => h.name)), engine: new Engine(scenario, { seed: 9, epochMs: 0 }) };
    });
    // The balancer is in one shard: the others hear its events only through their background hosts.
    expect(shards.filter((s) => s.names.has("balancer-01"))).toHaveLength(1);
    let peaked = 0;
    for (let t = 0; t <= END; t += STEP) {
      whole.advanceTo(t);
      for (const shard of shards) {
        shard.engine.advanceTo(t);
        expect(shard.engine.hosts.map((h) => h.name).sort()).toEqual([...shard.names].sort());
        expect(textOf(shard.engine, shard.names)).toBe(textOf(whole, shard.names));
      }
      if (/^heavy_task_active\{[^}]*\} 1$/m.test(textOf(whole, new Set(["balancer-01"])))) peaked++;
    }
    expect(peaked).toBeGreaterThan(10);
  });

  it("writes log lines for the shard's own hosts only, none for the background hosts", () => {
    const fleet = loadScenario("default", ["hosts.count=10"]).scenario;
    const hosts = new Set<string>();
    const sink: LogSink = { write: (stream) => void hosts.add(stream.host) };
    const engine = new Engine(selectShard(fleet, { index: 1, count: 3 }), { seed: 9, epochMs: 0, logs: { sink } });
    engine.advanceTo(END);
    expect(hosts.size).toBeGreaterThan(0);
    for (const host of hosts) expect(processShardOf(host, 3)).toBe(1);
    for (const stream of engine.logStreams) expect(processShardOf(stream.host, 3)).toBe(1);
  });
});
