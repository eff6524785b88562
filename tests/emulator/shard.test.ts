/**
 * `--shard k/n`: n processes split one fleet, each host in exactly one shard and in the same one
 * every run; bad values refused with the flag's (or the variable's) name.
 */
import { spawnSync } from "child_process";
import { loadScenario } from "../../emulator/src/scenario/loader";
import { parseShard, processShardOf, selectShard } from "../../emulator/src/scenario/shard";
import { parseRunOptions, type RawRunOptions } from "../../emulator/src/cli/options";
import { EMULATOR_BIN } from "./helpers";

const fleet = loadScenario("default", ["hosts.count=3000"]).scenario;
const names = fleet.hosts.map((h) => h.name);

describe("--shard k/n", () => {
  it("splits a fleet of 3,000 hosts over 3 shards with every host in exactly one, evenly", () => {
    const shards = [1, 2, 3].map((k) => selectShard(fleet, { index: k, count: 3 }).hosts.map((h) => h.name));
    expect(shards.flat().sort()).toEqual([...names].sort());
    expect(new Set(shards.flat()).size).toBe(names.length);
    for (const shard of shards) {
      expect(shard.length).toBeGreaterThan(names.length / 3 - 150);
      expect(shard.length).toBeLessThan(names.length / 3 + 150);
    }
  });

  it("puts a host in the same shard on every run and every machine: a pure function of its name", () => {
    // Fixed expectations: a change of the hash would move hosts between running emulators.
    expect(["worker-01", "worker-02", "db-01", "balancer-01"].map((n) => processShardOf(n, 3))).toEqual([1, 3, 2, 3]);
    expect(["worker-01", "worker-02", "db-01", "balancer-01"].map((n) => processShardOf(n, 7))).toEqual([2, 4, 5, 2]);
    const again = loadScenario("default", ["hosts.count=3000"]).scenario;
    expect(selectShard(again, { index: 2, count: 3 }).hosts.map((h) => h.name)).toEqual(selectShard(fleet, { index: 2, count: 3 }).hosts.map((h) => h.name));
    expect(selectShard(fleet, { index: 1, count: 1 })).toBe(fleet);
  });

  it("accepts k/n with 1 <= k <= n and explains anything else", () => {
    expect(parseShard("2/3")).toEqual({ index: 2, count: 3 });
    expect(parseShard(" 1 / 1 ")).toEqual({ index: 1, count: 1 });
    expect(parseShard("0/3")).toBe("k must be from 1 to n (3)");
    expect(parseShard("4/3")).toBe("k must be from 1 to n (3)");
    expect(parseShard("1/0")).toBe("n must be a whole number from 1 to 100000");
    expect(parseShard("two")).toMatch(/^must be k\/n/);
  });

  it("gives each shard its own default owner mark, so that shards on one machine keep their Pushgateway groups apart", () => {
    const raw: RawRunOptions = { scenario: "default", pushgatewayUrl: "http://localhost:9091", pushInterval: "15s", pushTimeout: "10s", seed: "1", set: [], speed: "1", job: "promemu", shards: "auto", statusInterval: "0" };
    const one = parseRunOptions({ ...raw, shard: "1/2" });
    const two = parseRunOptions({ ...raw, shard: "2/2" });
    expect(one.owner).toMatch(/-1-of-2$/);
    expect(two.owner).toMatch(/-2-of-2$/);
    expect(parseRunOptions({ ...raw, shard: "2/2", owner: "mine" }).owner).toBe("mine");
  });

  it("refuses a bad PROMEMU_SHARD by its name, exit 2, no stack trace", () => {
    const result = spawnSync(process.execPath, [EMULATOR_BIN, "run", "--listen", "127.0.0.1:0"], {
      env: { PATH: process.env.PATH, PROMEMU_SHARD: "4/3" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('promemu: PROMEMU_SHARD "4/3": k must be from 1 to n (3)');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
