/** stack:new: name rules, a port offset free of the other stacks and of this machine's listeners, the stack created. */
import * as dgram from "dgram";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as net from "net";
import { chooseOffset } from "../../ops/commands/stack-new";
import { isPortFree } from "../../ops/ports";
import { parseSettings } from "../../config/settings";
import { runOps, useSandbox } from "./support/harness";

describe("chooseOffset", () => {
  const template = parseSettings({}, "test");
  const claimedBy = (stack: string, offset: number) => new Map([3000, 9090, 9091, 9093, 9464].map((p) => [p + offset, stack] as [number, string]));

  test("the smallest multiple of 100 clear of every other stack and of busy ports", async () => {
    const claimed = new Map([...claimedBy("dev", 0), ...claimedBy("alice", 100)]);
    const busy = new Set([9290]);
    const choice = await chooseOffset(template, claimed, async (p) => !busy.has(p));
    expect(choice).toEqual({
      offset: 300,
      skipped: ["0: port 9091 belongs to stack dev", "100: port 9191 belongs to stack alice", "200: port 9290 is in use on this machine"],
    });
  });

  test("the log collector's UDP port counts: another stack's, or one held on this machine, moves the choice on", async () => {
    // alice moved her collector to 5240 (UDP), which is where offset 100 would put ours.
    const claimed = new Map([...claimedBy("dev", 0), [5240, "alice"] as [number, string]]);
    const asked: string[] = [];
    const choice = await chooseOffset(template, claimed, async (p, protocol) => {
      asked.push(`${protocol}/${p}`);
      return !(protocol === "udp" && p === 5340);
    });
    expect(choice).toEqual({
      offset: 300,
      skipped: ["0: port 9091 belongs to stack dev", "100: UDP port 5240 belongs to stack alice", "200: UDP port 5340 is in use on this machine"],
    });
    // Each port with its own protocol: the HTTP ports over TCP, the collector over UDP.
    expect(asked).toEqual(expect.arrayContaining(["tcp/9628", "udp/5340", "tcp/9728", "udp/5440"]));
    expect(asked).not.toContain("tcp/5340");
  });

  test("without the collector (logs off, or Loki) its UDP port is not asked about", async () => {
    for (const logs of [{ enabled: false }, { backend: "loki" }]) {
      const asked: string[] = [];
      await chooseOffset(parseSettings({ logs }, "test"), new Map(), async (p, protocol) => (asked.push(`${protocol}/${p}`), true));
      expect(asked.filter((a) => a.startsWith("udp/"))).toEqual([]);
    }
  });

  test("isPortFree checks a UDP port with a UDP bind: a held UDP port is busy, while a TCP listen on it would succeed", async () => {
    const holder = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => holder.bind(0, "127.0.0.1", resolve));
    const port = holder.address().port;
    try {
      expect(await isPortFree("127.0.0.1", port, "udp")).toBe(false);
      expect(await isPortFree("127.0.0.1", port, "tcp")).toBe(true);
    } finally {
      holder.close();
    }
    expect(await isPortFree("127.0.0.1", port, "udp")).toBe(true);
  });

  test("an explicit offset is checked, not replaced", async () => {
    await expect(chooseOffset(template, claimedBy("dev", 0), async () => true, 0)).rejects.toThrow("portOffset 0 cannot be used (0: port 9091 belongs to stack dev)");
    await expect(chooseOffset(template, claimedBy("dev", 0), async () => true, 5)).resolves.toEqual({ offset: 5, skipped: [] });
  });
});

describe("ops stack:new", () => {
  const sb = useSandbox({ "Pulumi.dev.yaml": "config:\n  promemu:portOffset: 0\n", "Pulumi.alice.yaml": "config:\n  promemu:portOffset: 100\n" });

  test("writes Pulumi.<name>.yaml with a free offset and initialises the stack with the passphrase provider", async () => {
    // Hold the would-be Prometheus port of offset 200, so the choice moves on to one free right now.
    const holder = net.createServer();
    const held = await new Promise<boolean>((resolve) => {
      holder.once("error", () => resolve(false));
      holder.listen(9290, "127.0.0.1", () => resolve(true));
    });
    sb.fakes.on({ tool: "pulumi", args: ["stack", "init"], stdout: "Created stack 'bob'\n" });
    try {
      const run = await runOps(["stack:new", "bob"], sb);
      expect(run.code).toBe(0);
      const written = yaml.load(fs.readFileSync(`${sb.cwd}/Pulumi.bob.yaml`, "utf8")) as { config: Record<string, number> };
      const offset = written.config["promemu:portOffset"];
      expect(offset % 100).toBe(0);
      expect(offset).toBeGreaterThanOrEqual(held ? 300 : 200);
      expect(run.stderr).toContain(held ? "offset 200: port 9290 is in use on this machine" : "offset 100: port 9191 belongs to stack alice");
      expect(sb.fakes.calls("pulumi")).toEqual([
        expect.objectContaining({ args: ["stack", "init", "bob", "--secrets-provider", "passphrase", "--non-interactive"], env: { PULUMI_CONFIG_PASSPHRASE: "" } }),
      ]);
      expect(run.stdout).toContain(`Stack bob created (Pulumi.bob.yaml, portOffset ${offset}) and selected.`);
      expect(run.stdout).toMatch(new RegExp(`prometheus\\s+127\\.0\\.0\\.1:${9090 + offset}`));
      expect(run.stdout).toMatch(new RegExp(`logs \\(syslog, udp\\)\\s+127\\.0\\.0\\.1:${5140 + offset}`));
      expect(run.stdout).toContain("Bring it up with: npm run up -- --stack bob");
    } finally {
      holder.close();
    }
  });

  test("a name Docker or Pulumi would refuse, or one taken, is a usage error", async () => {
    for (const name of ["Bob", "bob_1", "bob.x", "1bob", "bob-", "a".repeat(33)]) {
      const run = await runOps(["stack:new", name], sb);
      expect([name, run.code]).toEqual([name, 2]);
      expect(run.stderr).toContain(`invalid stack name '${name}'`);
    }
    const taken = await runOps(["stack:new", "alice"], sb);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain("Pulumi.alice.yaml exists already");
    expect(sb.fakes.calls()).toEqual([]);
  });

  test("when the backend refuses the stack, the file is removed again", async () => {
    sb.fakes.on({ tool: "pulumi", args: ["stack", "init"], exit: 255, stderr: "error: stack 'bob' already exists\n" });
    const run = await runOps(["stack:new", "bob", "--offset", "700"], sb);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: stack bob exists already in the Pulumi backend: pick another name, or remove it with pulumi stack rm bob");
    expect(fs.existsSync(`${sb.cwd}/Pulumi.bob.yaml`)).toBe(false);
  });

  test("--offset and --bind-address are validated", async () => {
    const offset = await runOps(["stack:new", "bob", "--offset", "12.5"], sb);
    expect(offset.code).toBe(2);
    expect(offset.stderr).toContain("--offset must be a whole number from 0 to 50000, not '12.5'");
    const address = await runOps(["stack:new", "bob", "--bind-address", "localhost"], sb);
    expect(address.code).toBe(2);
    expect(address.stderr).toContain("promemu:bindAddress: must be an IPv4 address");
  });
});
