import { Pushgateway } from "../../components/pushgateway";
import { declareUnderMocks, expectServiceContainer, named, REMOTE_IMAGE, serviceBase } from "../support/program";

describe("Pushgateway", () => {
  let run: Awaited<ReturnType<typeof declareUnderMocks>>;
  beforeAll(async () => {
    run = await declareUnderMocks(() => {
      const pg = new Pushgateway("pg", { ...serviceBase, image: "prom/pushgateway:v1.11.1", hostPort: 19091, persistenceInterval: "2m" });
      return { containerName: pg.containerName };
    });
  });

  it("is a promemu:index:Pushgateway with an image, a volume and a container as children", () => {
    expect(named(run, "pg").type).toBe("promemu:index:Pushgateway");
    expect(named(run, "pg-image")).toMatchObject({ type: REMOTE_IMAGE, parent: "pg", inputs: { name: "prom/pushgateway:v1.11.1", keepLocally: true } });
    expect(named(run, "pg-data").parent).toBe("pg");
    expect(named(run, "pg-container").parent).toBe("pg");
  });

  it("runs the pinned image with the shared service shape and its data volume at the image's own working directory", () => {
    expectServiceContainer(named(run, "pg-container"), {
      service: "pushgateway",
      containerName: "promemu-test-pushgateway",
      hostPort: 19091,
      internalPort: 9091,
      healthPath: "/-/healthy",
      dataVolume: "promemu-test-pushgateway-data",
      dataPath: "/pushgateway",
    });
  });

  it("persists to a file in its volume at the configured interval", () => {
    expect(named(run, "pg-container").inputs.command).toEqual(
      expect.arrayContaining(["--persistence.file=/pushgateway/pushgateway.db", "--persistence.interval=2m"]),
    );
    expect(run.outputs.containerName).toBe("promemu-test-pushgateway");
  });
});
