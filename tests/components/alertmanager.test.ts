import { Alertmanager } from "../../components/alertmanager";
import { declareUnderMocks, expectServiceContainer, named, serviceBase, upload } from "../support/program";

describe("Alertmanager", () => {
  let run: Awaited<ReturnType<typeof declareUnderMocks>>;
  beforeAll(async () => {
    run = await declareUnderMocks(() => {
      new Alertmanager("am", {
        ...serviceBase,
        keepData: false,
        image: "prom/alertmanager:v0.28.1",
        hostPort: 19093,
        config: "route: {receiver: default}\nreceivers: [{name: default}]\n",
        externalUrl: "http://127.0.0.1:19093",
      });
    });
  });

  it("runs the pinned image with the shared service shape, its silences on the data volume", () => {
    expect(named(run, "am").type).toBe("promemu:index:Alertmanager");
    expectServiceContainer(named(run, "am-container"), {
      service: "alertmanager",
      containerName: "promemu-test-alertmanager",
      hostPort: 19093,
      internalPort: 9093,
      healthPath: "/-/healthy",
      dataVolume: "promemu-test-alertmanager-data",
      dataPath: "/alertmanager",
    });
    expect(named(run, "am-data-volume").retainOnDelete).toBe(false);
  });

  it("reads the uploaded configuration and runs as a single instance", () => {
    const container = named(run, "am-container");
    expect(upload(container, "/etc/alertmanager/alertmanager.yml")).toContain("receiver: default");
    expect(container.inputs.command).toEqual(
      expect.arrayContaining(["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager", "--cluster.listen-address="]),
    );
  });
});
