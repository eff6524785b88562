/**
 * Pushgateway grouping keys. A group is `/metrics/job/<job>{/<label>/<value>}`; values that are
 * empty or contain `/` must use the `<label>@base64/<url-safe base64>` form (an empty value is `=`),
 * which prom-client's own Pushgateway class does not do.
 */
import { hashString } from "../util/random";

export type GroupingKey = ReadonlyArray<readonly [string, string]>;

function segment(name: string, value: string): string {
  if (value === "") return `${name}@base64/=`;
  if (value.includes("/")) return `${name}@base64/${Buffer.from(value, "utf8").toString("base64url")}`;
  return `${name}/${encodeURIComponent(value)}`;
}

/** `/metrics/job/promemu/promemu_owner/promemu-dev/promemu_shard/3` */
export function groupPath(job: string, labels: GroupingKey): string {
  return `/metrics/${[segment("job", job), ...labels.map(([name, value]) => segment(name, value))].join("/")}`;
}

/** Label that marks the groups one emulator owns; cleanup never touches a group without it. */
export const OWNER_LABEL = "promemu_owner";
/** Label that numbers the groups hosts are spread over. */
export const SHARD_LABEL = "promemu_shard";

export function shardKey(owner: string, shard: number): GroupingKey {
  return [
    [OWNER_LABEL, owner],
    [SHARD_LABEL, String(shard)],
  ];
}

/**
 * The owner mark of shard k of n (`--shard k/n`): each of n emulators owns its own Pushgateway groups, so that
 * none removes another's on its way out. One emulator (n = 1) keeps the owner as given.
 */
export function shardOwner(owner: string, index: number, count: number): string {
  return count > 1 ? `${owner}-${index}-of-${count}` : owner;
}

/** A host's group: a stable hash of its name, so its series keep their identity for the whole run (and the next). */
export function shardOf(host: string, shards: number): number {
  return hashString(host) % shards;
}

/**
 * Hosts per group when --shards is auto, and the most groups auto picks. With the Pushgateway's
 * default consistency check each push costs about 0.3 s per 160,000 stored series, so a cycle costs
 * groups x that; fewer, larger groups are cheaper, and 2,500 hosts (40,000 series, ~4 MB) per group
 * keep each request small enough to retry. Measured in docs/emulator.md, "Grouping and its trade-off".
 */
export const HOSTS_PER_SHARD = 2500;
export const MAX_AUTO_SHARDS = 8;

export function autoShardCount(hosts: number): number {
  return Math.min(MAX_AUTO_SHARDS, Math.max(1, Math.ceil(hosts / HOSTS_PER_SHARD)));
}
