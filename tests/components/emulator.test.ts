import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { buildEmulatorImage, Emulator } from "../../components/emulator";
import { declareUnderMocks, expectServiceContainer, named, serviceBase } from "../support/program";

const context = path.resolve(__dirname, "../../emulator");

/** The emulator image as the stack builds it, under a stand-in for the stack component. */
function stackImage() {
  const stack = new pulumi.ComponentResource("promemu:index:MonitoringStack", "stk");
  return buildEmulatorImage(stack, "stk-emulator-image", {
    project: serviceBase.project,
    stack: serviceBase.stack,
    context,
    nodeImage: "promemu-local/node:20.20.2-debian12",
    prometheusImage: "promemu-local/prometheus:2.42.0-debian12",
  });
}

describe("Emulator", () => {
  let run: Awaited<ReturnType<typeof declareUnderMocks>>;
  beforeAll(async () => {
    run = await declareUnderMocks(() => {
      const pushgateway = new docker.Network("pushgateway-gate", { name: "gate" });
      const image = stackImage();
      const emulator = new Emulator("emu", {
        ...serviceBase,
        hostPort: 19464,
        image,
        environments: [{ PROMEMU_SCENARIO: "default", PROMEMU_LISTEN: ":9464", PROMEMU_SEED: "7" }],
        startAfter: [pushgateway],
      });
      return { image: emulator.image };
    });
  });

  it("builds a local image from emulator/Dockerfile on the given bases, offline, and never pushes it", () => {
    expect(named(run, "emu").type).toBe("promemu:index:Emulator");
    expect(named(run, "stk-emulator-image")).toMatchObject({
      type: "docker:index/image:Image",
      parent: "stk",
      inputs: {
        imageName: "promemu-test-emulator:local",
        skipPush: true,
        build: {
          context,
          dockerfile: path.join(context, "Dockerfile"),
          builderVersion: "BuilderV1",
          network: "none",
          args: { NODE_IMAGE: "promemu-local/node:20.20.2-debian12", PROMETHEUS_IMAGE: "promemu-local/prometheus:2.42.0-debian12" },
        },
      },
    });
  });

  it("exposes the image's name and id, the id being what the container runs", () => {
    expect(run.outputs.image).toEqual({ ref: "promemu-test-emulator:local", id: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(named(run, "emu-container").inputs.image).toBe((run.outputs.image as { id: string }).id);
  });

  it("runs that image with the shared service shape, without a volume, configured only by its environment", () => {
    const container = named(run, "emu-container");
    expectServiceContainer(container, {
      service: "emulator",
      containerName: "promemu-test-emulator",
      hostPort: 19464,
      internalPort: 9464,
      healthPath: "/healthz",
    });
    expect(container.inputs.envs).toEqual(["PROMEMU_LISTEN=:9464", "PROMEMU_SCENARIO=default", "PROMEMU_SEED=7"]);
    expect(container.dependsOn).toContain("pushgateway-gate");
  });

  it("runs one container for one replica, named as the service always was", () => {
    expect(run.resources.filter((r) => r.parent === "emu" && r.type === "docker:index/container:Container").map((r) => r.name)).toEqual(["emu-container"]);
  });
});

describe("Emulator with three replicas", () => {
  let run: Awaited<ReturnType<typeof declareUnderMocks>>;
  beforeAll(async () => {
    run = await declareUnderMocks(() => {
      const gate = new docker.Network("gate", { name: "gate" });
      const image = stackImage();
      const emulator = new Emulator("emu", {
        ...serviceBase,
        hostPort: 19464,
        image,
        environments: [1, 2, 3].map((k) => ({ PROMEMU_SHARD: `${k}/3` })),
        startAfter: [gate],
      });
      return { containerNames: emulator.containerNames, containerName: emulator.containerName };
    });
  });

  it("builds the image once and runs it in one container per replica, each with its own environment", () => {
    expect(run.resources.filter((r) => r.type === "docker:index/image:Image")).toHaveLength(1);
    const containers = ["emu-container", "emu-container-2", "emu-container-3"].map((name) => named(run, name));
    expect(containers.map((c) => c.parent)).toEqual(["emu", "emu", "emu"]);
    expect(containers.map((c) => c.inputs.envs)).toEqual([["PROMEMU_SHARD=1/3"], ["PROMEMU_SHARD=2/3"], ["PROMEMU_SHARD=3/3"]]);
    expect(new Set(containers.map((c) => c.inputs.image)).size).toBe(1);
    for (const c of containers) expect(c.dependsOn).toContain("gate");
  });

  it("gives each replica its own container name, hostname and network alias; only the first publishes the host port", () => {
    expectServiceContainer(named(run, "emu-container"), {
      service: "emulator",
      containerName: "promemu-test-emulator",
      hostPort: 19464,
      internalPort: 9464,
      healthPath: "/healthz",
    });
    for (const k of [2, 3]) {
      const inputs = named(run, `emu-container-${k}`).inputs as Record<string, any>;
      expect(inputs).toMatchObject({ name: `promemu-test-emulator-${k}`, hostname: `emulator-${k}`, networksAdvanced: [{ name: serviceBase.network, aliases: [`emulator-${k}`] }] });
      expect(inputs.ports).toBeUndefined();
      // The same health gate as the first: the end-of-up check and the start order rely on it.
      expect(inputs.wait).toBe(true);
      expect(inputs.healthcheck.tests).toEqual(["CMD", "wget", "-q", "--spider", "http://127.0.0.1:9464/healthz"]);
      expect(inputs.labels).toContainEqual({ label: "io.promemu.component", value: "emulator" });
    }
  });

  it("exposes every replica's container name in shard order, the first as containerName", () => {
    expect(run.outputs.containerNames).toEqual(["promemu-test-emulator", "promemu-test-emulator-2", "promemu-test-emulator-3"]);
    expect(run.outputs.containerName).toBe("promemu-test-emulator");
  });
});
