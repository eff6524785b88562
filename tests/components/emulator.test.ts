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
      new Emulator("emu", {
        ...serviceBase,
        hostPort: 19464,
        context,
        environment: { PROMEMU_SCENARIO: "default", PROMEMU_LISTEN: ":9464", PROMEMU_SEED: "7" },
        startAfter: [pushgateway],
      });
    });
  });

  it("builds a local image from emulator/Dockerfile and never pushes it", () => {
    expect(named(run, "emu").type).toBe("promemu:index:Emulator");
    expect(named(run, "emu-image")).toMatchObject({
      type: "docker:index/image:Image",
      parent: "emu",
      inputs: { imageName: "promemu-test-emulator:local", skipPush: true, build: { context, dockerfile: path.join(context, "Dockerfile") } },
    });
  });

  it("runs that image with the shared service shape, without a volume, configured only by its environment", () => {
    const container = named(run, "emu-container");
    expectServiceContainer(container, {
      service: "emulator",
      containerName: "promemu-test-emulator",
      image: "promemu-test-emulator:local",
      hostPort: 19464,
      internalPort: 9464,
      healthPath: "/healthz",
    });
    expect(container.inputs.envs).toEqual(["PROMEMU_LISTEN=:9464", "PROMEMU_SCENARIO=default", "PROMEMU_SEED=7"]);
    expect(container.dependsOn).toContain("pushgateway-gate");
  });
});
