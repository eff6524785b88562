/** cleanup: confirmation, pulumi destroy, and deletion of every volume of the stack, found by outputs and labels. */
import { FakeTools } from "./support/fake-tools";
import { runOps, stackOutputs, useSandbox } from "./support/harness";

const URLS = { pushgateway: "http://127.0.0.1:1", prometheus: "http://127.0.0.1:2", grafana: "http://127.0.0.1:3" };
const LABELS = "--filter label=io.promemu.project=promemu --filter label=io.promemu.stack=bob";

describe("ops cleanup", () => {
  const sb = useSandbox({ "Pulumi.bob.yaml": "config: {}\n" });

  test("refuses without --yes when nobody can answer, and changes nothing", async () => {
    sb.fakes.on(
      { tool: "pulumi", args: ["stack", "output"], stdout: JSON.stringify(stackOutputs("bob", URLS)) },
      { tool: "docker", args: ["volume", "ls"], stdout: "" },
    );
    const run = await runOps(["cleanup", "--stack", "bob"], sb);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("cleanup destroys stack bob and deletes its volumes promemu-bob-alertmanager-data, promemu-bob-grafana-data");
    expect(run.stderr).toContain("Nothing was changed: pass --yes");
    expect(sb.fakes.commandLines("pulumi").some((l) => l.startsWith("destroy"))).toBe(false);
    expect(sb.fakes.commandLines("docker").some((l) => l.startsWith("volume rm"))).toBe(false);
  });

  test("destroys the stack, then deletes the volumes from its outputs and the labelled ones it left behind", async () => {
    sb.fakes.on(
      { tool: "pulumi", args: ["stack", "output"], stdout: JSON.stringify(stackOutputs("bob", URLS)) },
      // A volume of an earlier deployment, found only by the stack's labels.
      { tool: "docker", args: ["volume", "ls"], stdout: '{"Driver":"local","Name":"promemu-bob-prometheus-data"}\n{"Driver":"local","Name":"promemu-bob-old-data"}\n' },
      { tool: "pulumi", args: ["destroy"], stdout: "Destroying (bob)\n" },
      { tool: "docker", args: ["volume", "rm", "promemu-bob-grafana-data"], exit: 1, stderr: "Error response from daemon: get promemu-bob-grafana-data: no such volume\n" },
      { tool: "docker", args: ["volume", "rm"], stdout: "ok\n" },
      { tool: "docker", args: ["image", "rm"], stdout: "Untagged: promemu-bob-emulator:local\nDeleted: sha256:1\n" },
      { tool: "docker", args: ["container", "prune"], stdout: `Deleted Containers:\n${"a".repeat(64)}\n${"b".repeat(64)}\n\nTotal reclaimed space: 2B\n` },
      { tool: "docker", args: ["image", "prune"], stdout: "Deleted Images:\nuntagged: x\ndeleted: sha256:2\ndeleted: sha256:3\n\nTotal reclaimed space: 9MB\n" },
    );
    const run = await runOps(["cleanup", "--stack", "bob"], { ...sb, interactive: true, answers: ["bob"] });
    expect(run.code).toBe(0);
    expect(sb.fakes.commandLines("pulumi")).toEqual([
      "stack output --json --stack bob --non-interactive",
      "destroy --yes --stack bob --non-interactive",
    ]);
    expect(sb.fakes.commandLines("docker")).toEqual([
      `volume ls ${LABELS} --format {{json .}}`,
      "volume rm promemu-bob-alertmanager-data",
      "volume rm promemu-bob-grafana-data",
      "volume rm promemu-bob-old-data",
      "volume rm promemu-bob-prometheus-data",
      "volume rm promemu-bob-pushgateway-data",
      // pulumi destroy leaves the emulator image; its builds' stopped containers and replaced images go too, those of
      // a build another stack may be running now (younger than 5 minutes) excepted.
      "image rm promemu-bob-emulator:local",
      "container prune --force --filter label=io.promemu.emulator-build --filter label!=io.promemu.stack --filter until=5m",
      "image prune --force --filter label=io.promemu.emulator-build --filter until=5m",
    ]);
    expect(run.stderr).toContain("removed the emulator image and build leftovers (3 images, 2 containers)");
    expect(run.stderr).toContain("promemu-bob-grafana-data was already gone");
    expect(run.stdout).toContain("Stack bob is cleaned up: 4 volumes deleted.");
  });

  test("after down, the stack's volumes are still found and deleted; a stack that never existed is nothing to do", async () => {
    sb.fakes.on(
      { tool: "pulumi", args: ["stack", "output"], stdout: "{}" },
      { tool: "docker", args: ["volume", "ls"], stdout: '{"Name":"promemu-bob-grafana-data"}\n' },
      { tool: "pulumi", args: ["destroy"], stdout: "" },
      { tool: "docker", args: ["volume", "rm"], stdout: "" },
    );
    const run = await runOps(["cleanup", "--stack", "bob", "--yes"], sb);
    expect(run.code).toBe(0);
    expect(sb.fakes.commandLines("docker")).toContain("volume rm promemu-bob-grafana-data");

    const none = new FakeTools().on(
      { tool: "pulumi", args: ["stack", "output"], exit: 255, stderr: "error: no stack named 'ghost' found\n" },
      { tool: "docker", args: ["volume", "ls"], stdout: "" },
    );
    try {
      const ghost = await runOps(["cleanup", "--stack", "ghost", "--yes"], { fakes: none, cwd: sb.cwd });
      expect(ghost.code).toBe(0);
      expect(ghost.stdout).toBe("Nothing to clean up: there is no stack ghost and no volume of it.\n");
    } finally {
      none.remove();
    }
  });

  test("a volume still used by a container is explained", async () => {
    sb.fakes.on(
      { tool: "pulumi", args: ["stack", "output"], stdout: "{}" },
      { tool: "docker", args: ["volume", "ls"], stdout: '{"Name":"promemu-bob-grafana-data"}\n' },
      { tool: "pulumi", args: ["destroy"], stdout: "" },
      { tool: "docker", args: ["volume", "rm"], exit: 1, stderr: "Error response from daemon: remove promemu-bob-grafana-data: volume is in use - [abc]\n" },
    );
    const run = await runOps(["cleanup", "--stack", "bob", "--yes"], sb);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: volume promemu-bob-grafana-data is still in use by a container: stop it (docker ps -a --filter volume=promemu-bob-grafana-data)");
  });
});

describe("stack labels", () => {
  test("cleanup removes the emulator image by the name the program gives it", async () => {
    const { physicalName } = await import("../../components/naming");
    const { emulatorImageName } = await import("../../ops/stack");
    expect(emulatorImageName({ project: "promemu", stack: "bob" })).toBe(`${physicalName({ project: "promemu", stack: "bob" }, "emulator")}:local`);
  });

  test("every stage of the emulator's Dockerfile starts with the label the leftovers are found by", async () => {
    const fs = await import("fs");
    const { LABEL_KEYS } = await import("../../config/labels");
    const stages = fs.readFileSync(require.resolve("../../emulator/Dockerfile"), "utf8").split(/^FROM .*$/m).slice(1);
    // The promtool stage has no step of its own; the others label before their first step.
    const withSteps = stages.filter((stage) => /^(RUN|COPY|WORKDIR|ENV|USER)\b/m.test(stage));
    expect(withSteps.length).toBeGreaterThanOrEqual(2);
    for (const stage of withSteps) {
      const first = stage.split("\n").find((line) => /^[A-Z]+\s/.test(line));
      expect(first).toBe(`LABEL ${LABEL_KEYS.emulatorBuild}=1`);
    }
  });

  test("cleanup looks for exactly the labels the program puts on a stack's volumes", async () => {
    const { dockerLabels } = await import("../../components/naming");
    const { stackLabels } = await import("../../ops/stack");
    const put = dockerLabels({ project: "promemu", stack: "bob" }, "grafana").map((l) => `${l.label}=${l.value}`);
    const sought = stackLabels({ project: "promemu", stack: "bob" });
    expect(sought.every((l) => put.includes(l))).toBe(true);
    expect(sought).toHaveLength(2);
  });
});
