import { DataVolume } from "../../components/data-volume";
import { StackNetwork } from "../../components/network";
import { declareUnderMocks, named, NETWORK, ofType, VOLUME } from "../support/program";

describe("StackNetwork and DataVolume", () => {
  let run: Awaited<ReturnType<typeof declareUnderMocks>>;
  beforeAll(async () => {
    run = await declareUnderMocks(() => {
      const network = new StackNetwork("net", { project: "promemu", stack: "test", networkName: "promemu-test" });
      new DataVolume("kept", { project: "promemu", stack: "test", service: "prometheus", volumeName: "promemu-test-prometheus-data", keepData: true });
      new DataVolume("purged", { project: "promemu", stack: "test", service: "grafana", volumeName: "promemu-test-grafana-data", keepData: false });
      return { network: network.name };
    });
  });

  it("declares components with the promemu type tokens and children named after them", () => {
    expect(named(run, "net").type).toBe("promemu:index:StackNetwork");
    expect(named(run, "net-network")).toMatchObject({ type: NETWORK, parent: "net" });
    expect(named(run, "kept").type).toBe("promemu:index:DataVolume");
    expect(named(run, "kept-volume")).toMatchObject({ type: VOLUME, parent: "kept" });
  });

  it("names the network after project and stack, as a labelled bridge", () => {
    const network = named(run, "net-network");
    expect(network.inputs).toMatchObject({ name: "promemu-test", driver: "bridge" });
    expect(network.inputs.labels).toEqual(
      expect.arrayContaining([
        { label: "io.promemu.project", value: "promemu" },
        { label: "io.promemu.stack", value: "test" },
      ]),
    );
    expect(run.outputs.network).toBe("promemu-test");
  });

  it("keeps a volume on destroy only when keepData is set", () => {
    expect(named(run, "kept-volume").retainOnDelete).toBe(true);
    expect(named(run, "purged-volume").retainOnDelete).toBe(false);
    expect(ofType(run, VOLUME).map((v) => v.inputs.name).sort()).toEqual(["promemu-test-grafana-data", "promemu-test-prometheus-data"]);
    expect(named(run, "kept-volume").inputs.labels).toEqual(expect.arrayContaining([{ label: "io.promemu.component", value: "prometheus" }]));
  });
});
