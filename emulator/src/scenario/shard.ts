/**
 * `--shard k/n`: n emulator processes split one fleet. A host belongs to shard
 * 1 + (hash of its name mod n), a pure function of the name, so each host is in exactly one shard
 * and in the same one every run, whatever the machine. The hash is salted so that it does not
 * line up with the Pushgateway grouping of the hosts within a process (also a hash of the name).
 */
import { UsageError } from "../errors";
import type { CompiledScenario } from "../model/types";
import { hashString } from "../util/random";

export interface ShardSpec {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

const SALT = "promemu-process-shard:";

/** The 1-based shard of a host among `count`. */
export function processShardOf(hostName: string, count: number): number {
  let hash = hashString(SALT + hostName);
  // murmur3's finalizer: names that differ in their last character land far apart.
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  hash = (hash ^ (hash >>> 16)) >>> 0;
  return (hash % count) + 1;
}

/** The scenario with only the hosts of shard `index` of `count`. */
/**
 * The hosts of shard k of n. A shard without any host is refused (UsageError naming `flag`): a process that
 * runs nothing is a mistake, usually an n above the host count.
 */
export function selectShard(scenario: CompiledScenario, shard: ShardSpec, flag = "--shard"): CompiledScenario {
  if (shard.count === 1) return scenario;
  const hosts = scenario.hosts.filter((host) => processShardOf(host.name, shard.count) === shard.index);
  if (hosts.length === 0) {
    throw new UsageError(
      `${flag} "${shard.index}/${shard.count}": shard ${shard.index} of ${shard.count} has none of the ${scenario.hosts.length} hosts of scenario ${scenario.name} ` +
        `(hosts go to shards by a hash of their name${shard.count > scenario.hosts.length ? `, and ${shard.count} shards are more than the hosts` : ""}): run fewer shards`,
    );
  }
  // The other hosts still play in the background: events cross shards (a worker peaks when the balancer says so).
  return { ...scenario, hosts, backgroundHosts: scenario.hosts.filter((host) => processShardOf(host.name, shard.count) !== shard.index) };
}

/** `2/3` -> { index: 2, count: 3 }; a message when it is not k/n with 1 <= k <= n <= 100000. */
export function parseShard(text: string): ShardSpec | string {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) return "must be k/n, e.g. 2/3 (this process runs the second of three shards)";
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || count > 100_000) return "n must be a whole number from 1 to 100000";
  if (index < 1 || index > count) return `k must be from 1 to n (${count})`;
  return { index, count };
}
