import * as docker from "@pulumi/docker";
import * as path from "path";
import { Emulator } from "../../components/emulator";
import { declareUnderMocks, expectServiceContainer, named, serviceBase } from "../support/program";

describe("Emulator", () => {
  let run: Awaited<ReturnType<typeof declareUnderMocks>>;
  const context = path.resolve(__dirname, "../../emulator");
  beforeAll(async () => {
    run = await declareUnderMocks(() => {
      const pushgateway = new docker.Network("pushgateway-gate", { name: "gate" });
      const emulator = new Emulator("emu", {
        ...serviceBase,
        hostPort: 19464,
        context,
        nodeImage: "promemu-local/node:20.20.2-debian12",
        environment: { PROMEMU_SCENARIO: "default", PROMEMU_LISTEN: ":9464", PROMEMU_SEED: "7" },
        startAfter: [pushgateway],
      });
      return { image: emulator.image };
    });
  });

  it("builds a local image from emulator/Dockerfile on the given base, offline, and never pushes it", () => {
    expect(named(run, "emu").type).toBe("promemu:index:Emulator");
    expect(named(run, "emu-image")).toMatchObject({
      type: "docker:index/image:Image",
      parent: "emu",
      inputs: {
        imageName: "promemu-test-emulator:local",
        skipPush: true,
        build: {
          context,
          dockerfile: path.join(context, "Dockerfile"),
          builderVersion: "BuilderV1",
          network: "none",
          args: { NODE_IMAGE: "promemu-local/node:20.20.2-debian12" },
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
});
