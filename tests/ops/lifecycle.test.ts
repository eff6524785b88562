/**
 * up, down and restart against fake pulumi/docker executables: the exact Pulumi command lines, the
 * stack creation on first use, the empty-passphrase default, and every error turned into what to do.
 */
import * as dgram from "dgram";
import * as fs from "fs";
import * as net from "net";
import { FakeRule, FakeTools } from "./support/fake-tools";
import { inspectJson, runOps, stackOutputs, useSandbox } from "./support/harness";
import { parseSettings, publishedPorts } from "../../config/settings";
import { isPortFree } from "../../ops/ports";

const URLS = { pushgateway: "http://127.0.0.1:1", prometheus: "http://127.0.0.1:2", grafana: "http://127.0.0.1:3" };
const STACKS = (current?: string, ...names: string[]) => JSON.stringify(names.map((name) => ({ name, current: name === current })));

describe("ops up", () => {
  const sb = useSandbox({ "Pulumi.dev.yaml": "config:\n  promemu:portOffset: 0\n" });

  /** A stack file whose host ports (the log collector's UDP one included) are all free on this machine right now. */
  async function freePortsConfig(): Promise<string> {
    for (let offset = 20000; offset < 50000; offset += 137) {
      const ports = publishedPorts(parseSettings({ portOffset: offset }, "test"));
      if ((await Promise.all(ports.map((p) => isPortFree("127.0.0.1", p.port, p.protocol)))).every(Boolean)) {
        return `config:\n  promemu:portOffset: ${offset}\n`;
      }
    }
    throw new Error("no free ports for the test");
  }

  /** A deployed dev stack (portOffset 10) whose `pulumi up` fails with this output. */
  function upFailsWith(output: Pick<FakeRule, "stdout" | "stderr">): void {
    fs.writeFileSync(`${sb.cwd}/Pulumi.dev.yaml`, "config:\n  promemu:portOffset: 10\n");
    sb.fakes.on(
      { tool: "pulumi", args: ["stack", "ls"], stdout: STACKS("dev", "dev") },
      // Deployed already: the pre-check leaves the stack's own ports alone and Docker reports the clash.
      { tool: "pulumi", args: ["stack", "output"], stdout: JSON.stringify(stackOutputs("dev", URLS)) },
      { tool: "pulumi", args: ["up"], exit: 255, ...output },
    );
  }

  test("creates the dev stack on first use, with an empty passphrase it announces, then runs pulumi up", async () => {
    fs.writeFileSync(`${sb.cwd}/Pulumi.dev.yaml`, await freePortsConfig());
    sb.fakes.on(
      { tool: "pulumi", args: ["stack", "ls", "--json"], stdout: "[]" },
      { tool: "pulumi", args: ["stack", "init", "dev"], stdout: "Created stack 'dev'\n" },
      { tool: "pulumi", args: ["stack", "output", "--json", "--stack", "dev"], stdout: "{}", once: true },
      { tool: "docker", args: ["ps", "-a"], stdout: "" },
      { tool: "pulumi", args: ["up"], stdout: "Updating (dev)\n + 17 created\n" },
      { tool: "pulumi", args: ["stack", "output", "--json", "--stack", "dev"], stdout: JSON.stringify(stackOutputs("dev", URLS)) },
      { tool: "docker", args: ["container", "inspect"], stdout: inspectJson("dev") },
    );
    const run = await runOps(["up"], sb);
    expect(run.stderr).toContain("PULUMI_CONFIG_PASSPHRASE is not set");
    expect(run.code).toBe(0);
    expect(sb.fakes.commandLines("pulumi")).toEqual([
      "stack ls --json --non-interactive",
      "stack ls --json --non-interactive",
      "stack init dev --secrets-provider passphrase --non-interactive",
      "stack output --json --stack dev --non-interactive",
      "up --yes --stack dev --non-interactive",
      "stack output --json --stack dev --non-interactive",
    ]);
    expect(sb.fakes.calls("pulumi").every((c) => c.env.PULUMI_CONFIG_PASSPHRASE === "")).toBe(true);
    // pulumi's own progress reaches the user, then the URLs from the outputs.
    expect(run.stdout).toContain("+ 17 created");
    expect(run.stdout).toMatch(/prometheus\s+http:\/\/127\.0\.0\.1:2/);
    expect(run.stdout).toContain("pulumi stack output grafanaAdminPassword --show-secrets --stack dev");
  });

  test("keeps a passphrase the user set and does not create an existing stack", async () => {
    fs.writeFileSync(`${sb.cwd}/Pulumi.dev.yaml`, await freePortsConfig());
    sb.fakes.on(
      { tool: "pulumi", args: ["stack", "ls"], stdout: STACKS("dev", "dev") },
      { tool: "pulumi", args: ["stack", "output"], stdout: JSON.stringify(stackOutputs("dev", URLS)) },
      { tool: "pulumi", args: ["up"], stdout: "ok\n" },
      { tool: "docker", args: ["container", "inspect"], stdout: inspectJson("dev") },
    );
    const run = await runOps(["up"], { ...sb, env: { PULUMI_CONFIG_PASSPHRASE: "s3cret" } });
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain("PULUMI_CONFIG_PASSPHRASE is not set");
    expect(sb.fakes.commandLines("pulumi").some((l) => l.startsWith("stack init"))).toBe(false);
    expect(sb.fakes.calls("pulumi").every((c) => c.env.PULUMI_CONFIG_PASSPHRASE === "s3cret")).toBe(true);
  });

  test("an up that Pulumi reports as a success fails while a service container is not healthy, with its last lines", async () => {
    // What the docker provider leaves after a create whose health wait ran out: the next `pulumi up` updates the
    // partial resource without waiting for health, and says it succeeded.
    fs.writeFileSync(`${sb.cwd}/Pulumi.dev.yaml`, await freePortsConfig());
    sb.fakes.on(
      { tool: "pulumi", args: ["stack", "ls"], stdout: STACKS("dev", "dev") },
      { tool: "pulumi", args: ["stack", "output"], stdout: JSON.stringify(stackOutputs("dev", URLS)) },
      { tool: "pulumi", args: ["up"], stdout: "Updating (dev)\n ~ 1 updated\n" },
      { tool: "docker", args: ["container", "inspect"], stdout: inspectJson("dev", { pushgateway: { state: "restarting", health: "unhealthy" } }) },
      { tool: "docker", args: ["logs", "--tail", "10", "promemu-dev-pushgateway"], stderr: "alertmanager: error: unknown long flag '--persistence.file'\n" },
    );
    const run = await runOps(["up"], sb);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("pulumi up reported success, but promemu-dev-pushgateway is restarting (unhealthy), not healthy; its last lines:");
    expect(run.stderr).toContain("    alertmanager: error: unknown long flag '--persistence.file'");
    expect(run.stderr).toContain("npm run logs -- <service>");
    expect(run.stdout).not.toContain("is up:");
  });

  test("a failed up names the stack's containers that are not healthy", async () => {
    fs.writeFileSync(`${sb.cwd}/Pulumi.dev.yaml`, await freePortsConfig());
    sb.fakes.on(
      { tool: "pulumi", args: ["stack", "ls"], stdout: STACKS("dev", "dev") },
      { tool: "pulumi", args: ["stack", "output"], stdout: "{}" },
      { tool: "pulumi", args: ["up"], exit: 255, stderr: "error: container did not reach healthy state\n" },
      { tool: "docker", args: ["ps", "-a"], stdout: "promemu-dev-pushgateway\n" },
      { tool: "docker", args: ["container", "inspect"], stdout: inspectJson("dev", { pushgateway: { state: "restarting", health: "unhealthy" } }, ["pushgateway"]) },
      { tool: "docker", args: ["logs"], stdout: "bad flag\n" },
    );
    const run = await runOps(["up"], sb);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("pulumi up failed; promemu-dev-pushgateway is restarting (unhealthy), not healthy; its last lines:\n    bad flag");
  });

  test("an unknown stack without a configuration file points at stack:new", async () => {
    sb.fakes.on({ tool: "pulumi", args: ["stack", "ls"], stdout: STACKS("dev", "dev") });
    const run = await runOps(["up", "--stack", "alice"], sb);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: no stack alice: create it with npm run stack:new -- alice\n");
    expect(sb.fakes.commandLines("pulumi").some((l) => l.startsWith("up"))).toBe(false);
  });

  test("invalid configuration stops before Pulumi runs, naming file and key (exit 2)", async () => {
    fs.writeFileSync(`${sb.cwd}/Pulumi.dev.yaml`, "config:\n  promemu:prometheus:\n    retentionTime: 7 days\n");
    sb.fakes.on({ tool: "pulumi", args: ["stack", "ls"], stdout: STACKS("dev", "dev") });
    const run = await runOps(["up"], sb);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Pulumi.dev.yaml");
    expect(run.stderr).toContain("promemu:prometheus.retentionTime: must be a duration");
    expect(run.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    expect(sb.fakes.commandLines("pulumi")).toEqual(["stack ls --json --non-interactive"]);
  });

  /** Runs `body` with a loopback port held by this process and Prometheus configured exactly on it. */
  async function withPrometheusPortHeld(body: (taken: number) => Promise<void>): Promise<void> {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const taken = (holder.address() as net.AddressInfo).port;
    try {
      fs.writeFileSync(`${sb.cwd}/Pulumi.dev.yaml`, `config:\n  promemu:prometheus:\n    port: ${taken}\n  promemu:portOffset: 0\n`);
      await body(taken);
    } finally {
      holder.close();
    }
  }

  test("a port some other program holds is found before pulumi up, with the key that moves it", async () => {
    await withPrometheusPortHeld(async (taken) => {
      sb.fakes.on(
        { tool: "pulumi", args: ["stack", "ls"], stdout: STACKS("dev", "dev") },
        { tool: "pulumi", args: ["stack", "output"], stdout: "{}" },
        { tool: "docker", args: ["ps", "-a"], stdout: "" },
      );
      const run = await runOps(["up"], sb);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`host port ${taken} (prometheus) on 127.0.0.1 is already in use`);
      expect(run.stderr).toContain(`promemu:prometheus.port (now ${taken}) or promemu:portOffset (now 0) in Pulumi.dev.yaml`);
      expect(sb.fakes.commandLines("pulumi").some((l) => l.startsWith("up"))).toBe(false);
    });
  });

  test("the log collector's UDP port held by another program (a TCP check would miss it) is found before pulumi up, with its key", async () => {
    const holder = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => holder.bind(0, "127.0.0.1", resolve));
    const taken = holder.address().port;
    try {
      fs.writeFileSync(`${sb.cwd}/Pulumi.dev.yaml`, `${await freePortsConfig()}  promemu:logs:\n    collectorPort: ${taken - 20000}\n`.replace(/portOffset: \d+/, "portOffset: 20000"));
      expect(await isPortFree("127.0.0.1", taken, "tcp")).toBe(true);
      sb.fakes.on(
        { tool: "pulumi", args: ["stack", "ls"], stdout: STACKS("dev", "dev") },
        { tool: "pulumi", args: ["stack", "output"], stdout: "{}" },
        { tool: "docker", args: ["ps", "-a"], stdout: "" },
      );
      const run = await runOps(["up"], sb);
      expect(run.stderr).toContain(`host port ${taken} (logs, UDP) on 127.0.0.1 is already in use`);
      expect(run.stderr).toContain(`promemu:logs.collectorPort (now ${taken - 20000}) or promemu:portOffset (now 20000) in Pulumi.dev.yaml`);
      expect(run.code).toBe(1);
      expect(sb.fakes.commandLines("pulumi").some((l) => l.startsWith("up"))).toBe(false);
    } finally {
      holder.close();
    }
  });

  test("after an up that failed part-way (no outputs, the stack's containers hold its ports) the next up runs pulumi up", async () => {
    // The port is held, as the stack's own Prometheus container left by the failed up would hold it.
    await withPrometheusPortHeld(async () => {
      sb.fakes.on(
        { tool: "pulumi", args: ["stack", "ls"], stdout: STACKS("dev", "dev") },
        { tool: "pulumi", args: ["stack", "output"], stdout: "{}", once: true },
        { tool: "docker", args: ["ps", "-a"], stdout: "promemu-dev-prometheus\n" },
        { tool: "pulumi", args: ["up"], stdout: "ok\n" },
        { tool: "pulumi", args: ["stack", "output"], stdout: JSON.stringify(stackOutputs("dev", URLS)) },
        { tool: "docker", args: ["container", "inspect"], stdout: inspectJson("dev") },
      );
      const run = await runOps(["up"], sb);
      expect(run.stderr).not.toContain("already in use");
      expect(run.code).toBe(0);
      expect(sb.fakes.commandLines("pulumi")).toContain("up --yes --stack dev --non-interactive");
      expect(sb.fakes.commandLines("docker")[0]).toBe("ps -a --filter label=io.promemu.project=promemu --filter label=io.promemu.stack=dev --format {{.Names}}");
    });
  });

  test("Docker's port clash during pulumi up becomes the port, the service and the key", async () => {
    upFailsWith({
      stdout:
        "docker:index:Container (prometheus-container):\n    error: Unable to start container: Error response from daemon: driver failed programming external connectivity on endpoint promemu-dev-prometheus: Bind for 127.0.0.1:9100 failed: port is already allocated\n",
    });
    const run = await runOps(["up"], sb);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: host port 9100 (prometheus) on 127.0.0.1 is already in use");
    expect(run.stderr).toContain("promemu:prometheus.port (now 9090) or promemu:portOffset (now 10)");
  });

  test("Docker's clash on the collector's UDP port becomes the port and logs.collectorPort", async () => {
    upFailsWith({
      stdout:
        "docker:index:Container (logs-container):\n    error: Unable to start container: Error response from daemon: driver failed programming external connectivity on endpoint promemu-dev-logs: Error starting userland proxy: listen udp4 127.0.0.1:5150: bind: address already in use\n",
    });
    const run = await runOps(["up"], sb);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: host port 5150 (logs, UDP) on 127.0.0.1 is already in use");
    expect(run.stderr).toContain("promemu:logs.collectorPort (now 5140) or promemu:portOffset (now 10)");
  });

  test("Docker not running and the Pulumi CLI missing are said plainly", async () => {
    upFailsWith({ stderr: "error: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n" });
    const daemon = await runOps(["up"], sb);
    expect(daemon.code).toBe(1);
    expect(daemon.stderr).toContain("error: Docker is not running: start it");

    const noPulumi = new FakeTools(["docker"]);
    try {
      const missing = await runOps(["up"], { fakes: noPulumi, cwd: sb.cwd });
      // A missing dependency: exit 3, as for the emulator's commands (docs/operations.md).
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain("error: Pulumi CLI not found: install it");
    } finally {
      noPulumi.remove();
    }
  });
});

describe("ops down and restart", () => {
  const sb = useSandbox({ "Pulumi.alice.yaml": "config:\n  promemu:portOffset: 100\n" });
  beforeEach(() => {
    sb.fakes.on(
      { tool: "pulumi", args: ["stack", "ls"], stdout: STACKS("alice", "dev", "alice") },
      { tool: "pulumi", args: ["stack", "output", "--json", "--stack", "alice"], stdout: JSON.stringify(stackOutputs("alice", URLS)) },
      { tool: "docker", args: ["container", "inspect"], stdout: inspectJson("alice") },
    );
  });
  test("down destroys the selected stack and names the volumes it keeps", async () => {
    sb.fakes.on({ tool: "pulumi", args: ["destroy"], stdout: "Destroying (alice)\n" });
    const run = await runOps(["down"], sb);
    expect(run.code).toBe(0);
    expect(sb.fakes.commandLines("pulumi")).toContain("destroy --yes --stack alice --non-interactive");
    expect(run.stdout).toContain("Its data volumes are kept");
    expect(run.stdout).toContain("promemu-alice-prometheus-data");
    expect(run.stdout).toContain("npm run cleanup -- --stack alice");
  });

  test("down of a stack with keepData false does not promise kept volumes", async () => {
    fs.writeFileSync(`${sb.cwd}/Pulumi.alice.yaml`, "config:\n  promemu:keepData: false\n");
    sb.fakes.on({ tool: "pulumi", args: ["destroy"], stdout: "" });
    const run = await runOps(["down", "--stack", "alice"], sb);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("\nStack alice is down.\n");
  });

  const EXPORT = JSON.stringify({
    version: 3,
    deployment: {
      resources: [
        { urn: "urn:pulumi:alice::promemu::pulumi:pulumi:Stack::promemu-alice", type: "pulumi:pulumi:Stack" },
        { urn: "urn:pulumi:alice::promemu::docker:index/volume:Volume::prometheus-data", type: "docker:index/volume:Volume", outputs: { name: "promemu-alice-prometheus-data" } },
        { urn: "urn:pulumi:alice::promemu::docker:index/container:Container::prometheus", type: "docker:index/container:Container", outputs: { name: "promemu-alice-prometheus" } },
        { urn: "urn:pulumi:alice::promemu::docker:index/container:Container::grafana", type: "docker:index/container:Container", outputs: { name: "promemu-alice-grafana" } },
      ],
    },
  });

  test("restart replaces every container and nothing else", async () => {
    sb.fakes.on({ tool: "pulumi", args: ["stack", "export"], stdout: EXPORT }, { tool: "pulumi", args: ["up"], stdout: "" });
    const run = await runOps(["restart"], sb);
    expect(run.code).toBe(0);
    expect(sb.fakes.commandLines("pulumi")).toContain(
      "up --yes --stack alice --replace urn:pulumi:alice::promemu::docker:index/container:Container::prometheus --replace urn:pulumi:alice::promemu::docker:index/container:Container::grafana --non-interactive",
    );
  });

  test("restart of one service replaces only its container; an unknown service is a usage error", async () => {
    sb.fakes.on({ tool: "pulumi", args: ["stack", "export"], stdout: EXPORT }, { tool: "pulumi", args: ["up"], stdout: "" });
    const one = await runOps(["restart", "grafana"], sb);
    expect(one.code).toBe(0);
    expect(sb.fakes.commandLines("pulumi").filter((l) => l.startsWith("up"))).toEqual([
      "up --yes --stack alice --replace urn:pulumi:alice::promemu::docker:index/container:Container::grafana --non-interactive",
    ]);
    const bad = await runOps(["restart", "loki"], sb);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown service 'loki': stack alice runs pushgateway, prometheus, alertmanager, grafana, emulator");
  });

  test("a stack that does not exist says how to create it", async () => {
    sb.fakes.on({ tool: "pulumi", args: ["stack", "output", "--json", "--stack", "ghost"], exit: 255, stderr: "error: no stack named 'ghost' found\n" });
    const run = await runOps(["restart", "--stack", "ghost"], sb);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("error: no stack ghost: create it with npm run stack:new -- ghost\n");
  });
});
