/**
 * The push cycle's retry and logging policy, with a scripted stand-in for the HTTP client and a
 * fake clock (the real Pushgateway is exercised in pushgateway.test.ts).
 */
import type { TextSink } from "../../emulator/src/exposition/render";
import type { GroupingKey } from "../../emulator/src/sinks/grouping";
import { GroupLabelsScanner } from "../../emulator/src/sinks/group-scanner";
import { Pusher } from "../../emulator/src/sinks/pusher";
import { PushError, type PushgatewayClient } from "../../emulator/src/sinks/pushgateway";
import { Random } from "../../emulator/src/util/random";

type Outcome = "ok" | "down" | "refused";

/** Answers each request from a script; records what was asked. */
class ScriptedClient {
  readonly url = "http://pg.test:9091";
  readonly job = "promemu";
  readonly calls: string[] = [];
  groupsList: Record<string, string>[] = [];

  constructor(private readonly outcome: (call: number) => Outcome) {}

  private answer(what: string): void {
    const outcome = this.outcome(this.calls.length);
    this.calls.push(`${what} ${outcome}`);
    if (outcome === "down") throw new PushError(`${what}: connection refused (ECONNREFUSED)`, true);
    if (outcome === "refused") throw new PushError(`${what}: HTTP 400 pushed metrics are invalid`, false);
  }

  async put(key: GroupingKey): Promise<void> {
    this.answer(`PUT ${key[1][1]}`);
  }

  async delete(key: GroupingKey): Promise<void> {
    this.answer(`DELETE ${key.map(([, v]) => v).join("/")}`);
  }

  async groups(): Promise<Record<string, string>[]> {
    this.answer("GET");
    return this.groupsList;
  }
}

function setup(outcome: (call: number) => Outcome, shards = 2) {
  const client = new ScriptedClient(outcome);
  const logs: string[] = [];
  const attempts: boolean[] = [];
  let skew = 0;
  const pusher = new Pusher({
    client: client as unknown as PushgatewayClient,
    owner: "me",
    shards,
    log: (line) => logs.push(line),
    random: () => new Random(1).next(),
    now: () => Date.now() + skew,
    backoff: { initialMs: 1, maxMs: 4 },
    onAttempt: (ok) => attempts.push(ok),
  });
  return { client, logs, attempts, pusher, advance: (ms: number) => (skew += ms) };
}

/** A group renderer whose groups hold `series` lines each. */
const body =
  (series: number) =>
  (_shard: number, out: TextSink): number => {
    for (let i = 0; i < series; i++) out.write(`x{i="${i}"} 1\n`);
    return series;
  };

describe("push cycles", () => {
  it("PUT every non-empty group, and DELETE a group once it has emptied", async () => {
    const { client, pusher } = setup(() => "ok", 3);
    let live = [2, 0, 5];
    const cycle = () => pusher.pushCycle((shard, out) => body(live[shard])(shard, out), Infinity, new AbortController().signal);
    expect(await cycle()).toMatchObject({ series: 7, failedAttempts: 0, complete: true });
    expect(client.calls).toEqual(["PUT 0 ok", "PUT 2 ok"]);
    live = [2, 0, 0];
    client.calls.length = 0;
    await cycle();
    expect(client.calls).toEqual(["PUT 0 ok", "DELETE me/2 ok"]);
    client.calls.length = 0;
    await cycle();
    expect(client.calls).toEqual(["PUT 0 ok"]);
  });

  it("retry failed groups with backoff, count every attempt, and log the outage once and the recovery once", async () => {
    // Down for the first 5 requests, then up.
    const { client, logs, attempts, pusher } = setup((call) => (call < 5 ? "down" : "ok"));
    const report = await pusher.pushCycle(body(3), Infinity, new AbortController().signal);
    expect(report).toMatchObject({ failedAttempts: 5, complete: true });
    expect(client.calls.filter((c) => c.endsWith("ok")).sort()).toEqual(["PUT 0 ok", "PUT 1 ok"]);
    expect(attempts.filter((ok) => !ok)).toHaveLength(5);
    expect(attempts.filter((ok) => ok)).toHaveLength(2);
    expect(logs).toEqual([
      "pushgateway http://pg.test:9091 unreachable: PUT 0: connection refused (ECONNREFUSED); retrying with backoff, and every push interval after that",
      expect.stringMatching(/^pushgateway http:\/\/pg\.test:9091 is back: pushing again after 5 failed attempts over (\d+ms|0s)$/),
    ]);
    expect(pusher.failing).toBe(false);
  });

  it("give up a cycle at its deadline without throwing, and stay quiet until the state changes", async () => {
    const { logs, pusher, advance } = setup(() => "down");
    const signal = new AbortController().signal;
    const first = await pusher.pushCycle(body(1), Date.now() + 30, signal);
    expect(first.complete).toBe(false);
    expect(first.failedAttempts).toBeGreaterThanOrEqual(4);
    advance(15_000);
    const second = await pusher.pushCycle(body(1), Date.now() + 15_030, signal);
    expect(second.complete).toBe(false);
    expect(logs).toHaveLength(1);
    expect(pusher.failing).toBe(true);
  });

  it("do not retry a refused body, log the refusal once, and the acceptance once", async () => {
    // Group 0 is refused in the first two cycles, then accepted; group 1 always accepted.
    const { client, logs, pusher } = setup((call) => (call % 2 === 0 && call < 4 ? "refused" : "ok"));
    const signal = new AbortController().signal;
    for (let cycle = 0; cycle < 3; cycle++) await pusher.pushCycle(body(1), Infinity, signal);
    expect(client.calls).toEqual(["PUT 0 refused", "PUT 1 ok", "PUT 0 refused", "PUT 1 ok", "PUT 0 ok", "PUT 1 ok"]);
    expect(logs).toEqual([
      "pushgateway http://pg.test:9091 refused group 0: PUT 0: HTTP 400 pushed metrics are invalid",
      "pushgateway http://pg.test:9091 accepts group 0 again",
    ]);
  });

  it("stop at once when aborted, counting nothing", async () => {
    const { attempts, pusher } = setup(() => "down");
    const controller = new AbortController();
    controller.abort();
    expect(await pusher.pushCycle(body(1), Infinity, controller.signal)).toMatchObject({ failedAttempts: 0, complete: false });
    expect(attempts).toEqual([]);
  });
});

describe("cleanup and removal", () => {
  it("on start, delete only groups of our job marked with our owner", async () => {
    const { client, pusher } = setup(() => "ok");
    client.groupsList = [
      { job: "promemu", promemu_owner: "me", promemu_shard: "7" },
      { job: "promemu", promemu_owner: "someone-else", promemu_shard: "0" },
      { job: "other", promemu_owner: "me", promemu_shard: "0" },
      { job: "promemu", instance: "x" },
    ];
    expect(await pusher.cleanup()).toBe(1);
    expect(client.calls).toEqual(["GET ok", "DELETE me/7 ok"]);
  });

  it("report a Pushgateway it cannot ask, without throwing", async () => {
    const { logs, pusher } = setup(() => "down");
    expect(await pusher.cleanup()).toBeUndefined();
    expect(logs[0]).toContain("unreachable: GET: connection refused");
  });

  it("on stop, delete each of our groups and return what failed", async () => {
    const { client, pusher } = setup((call) => (call === 1 ? "down" : "ok"), 3);
    const errors = await pusher.removeAll(1000);
    expect(client.calls.map((c) => c.split(" ")[1]).sort()).toEqual(["me/0", "me/1", "me/2"]);
    expect(errors).toEqual([expect.stringContaining("connection refused")]);
  });
});

describe("GroupLabelsScanner", () => {
  // The shape of GET /api/v1/metrics: sorted keys, metric families beside `labels`, samples with their own `labels`.
  const answer = JSON.stringify({
    status: "success",
    data: [
      {
        cpu: { type: "GAUGE", metrics: [{ labels: { host: "}{", job: "promemu" }, value: "1" }] },
        labels: { job: "promemu", promemu_owner: 'team/"a"}', promemu_shard: "0" },
        labels_total: { labels: { decoy: "1" } },
        last_push_successful: true,
        push_time_seconds: { metrics: [{ labels: { job: "promemu" }, value: "1" }] },
      },
      { 'lab"els': { labels: { decoy: "2" } }, labels: { job: "batch", instance: "Zürich" }, last_push_successful: false },
    ],
  });

  it.each([[1], [3], [17], [1 << 20]])("reads each group's own labels whatever the chunk size (%d bytes)", (size) => {
    const scanner = new GroupLabelsScanner();
    const bytes = Buffer.from(answer);
    for (let i = 0; i < bytes.length; i += size) scanner.push(bytes.subarray(i, i + size));
    expect(scanner.groups).toEqual([
      { job: "promemu", promemu_owner: 'team/"a"}', promemu_shard: "0" },
      { job: "batch", instance: "Zürich" },
    ]);
  });

  it("finds nothing in an empty Pushgateway", () => {
    const scanner = new GroupLabelsScanner();
    scanner.push(Buffer.from('{"status":"success","data":[]}'));
    expect(scanner.groups).toEqual([]);
  });
});
