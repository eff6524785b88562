/**
 * The `node` profile: a node_exporter 1.x on an emulated host. Latent drivers come from the
 * scenario's generators (or daily defaults), faults from its fault list; the model turns both into
 * one machine state per tick, and the family tables into exposition. A reboot fault takes the
 * exporter down (a scrape gets no answer) and brings it back with counters from 0 and a new boot time.
 */
import type { TextSink } from "../../exposition/render";
import type { BuildEnv, TickContext } from "../../generators/types";
import type { GeneratorSpec } from "../../model/specs";
import { Random } from "../../util/random";
import { ExporterSeries } from "../exporter";
import { HostFaults } from "../fault-schedule";
import { DriverSet, wallSeconds } from "../host";
import type { NodeProfileSpec } from "../specs";
import type { ExporterRuntime } from "../types";
import { cpuFamilies } from "./families/cpu";
import type { NodeFamily } from "./families/common";
import { memoryFamilies } from "./families/memory";
import { networkFamilies } from "./families/network";
import { storageFamilies } from "./families/storage";
import { systemFamilies } from "./families/system";
import { type Effects, type FaultSpec, type PartNames, effectsAt } from "./faults";
import { type NodeLayout, resolveLayout } from "./layout";
import { type Drivers, NodeState, advance } from "./model";

export const NODE_FAMILIES: readonly NodeFamily[] = [...cpuFamilies, ...memoryFamilies, ...storageFamilies, ...networkFamilies, ...systemFamilies];

export type DriverName = keyof Drivers;
export const DRIVER_NAMES: DriverName[] = ["cpu", "memory", "io", "network"];

/** A calm machine's day: busier in the afternoon, memory wandering around 45 %, light I/O and traffic. */
export const DEFAULT_DRIVERS: Record<DriverName, GeneratorSpec> = {
  cpu: { type: "sum", of: [{ type: "diurnal", min: 0.06, max: 0.3, peak: 14 }, { type: "ou", mean: 0, stddev: 0.03, reversion: 300_000 }] },
  memory: { type: "ou", mean: 0.45, stddev: 0.04, reversion: 1_800_000 },
  io: { type: "sum", of: [{ type: "diurnal", min: 0.02, max: 0.12, peak: 3 }, { type: "ou", mean: 0, stddev: 0.01, reversion: 120_000 }] },
  network: { type: "sum", of: [{ type: "diurnal", min: 0.005, max: 0.08, peak: 15 }, { type: "ou", mean: 0, stddev: 0.005, reversion: 120_000 }] },
};

export class NodeExporter implements ExporterRuntime {
  readonly layout: NodeLayout;
  private series: ExporterSeries<NodeLayout, NodeState>;
  private readonly state: NodeState;
  private readonly drivers: DriverSet<DriverName>;
  private readonly random: Random;
  /** The faults' effects at each tick (event faults: from their events). */
  private readonly faults: HostFaults<FaultSpec, PartNames, Effects>;
  private down = false;

  constructor(
    spec: NodeProfileSpec,
    nodename: string,
    env: BuildEnv,
    private readonly epochMs: number,
  ) {
    this.layout = resolveLayout(spec.layout, nodename, spec.faults.some((f) => f.fault === "fd_exhaustion"));
    this.state = new NodeState(this.layout);
    this.series = new ExporterSeries(NODE_FAMILIES, this.layout);
    this.random = new Random(env.seed("node.model"));
    this.drivers = new DriverSet("node", DRIVER_NAMES, spec.drivers, DEFAULT_DRIVERS, env);
    const L = this.layout;
    const parts: PartNames = {
      mountpoints: L.filesystems.map((f) => f.mountpoint),
      nics: L.nics.filter((n) => n.speedBits).map((n) => n.device),
      units: L.units.filter((u) => u.type === "service").map((u) => u.name),
      chips: L.hwmon.map((c) => c.chip),
      arrays: L.raid.map((a) => a.device),
      bonds: L.bonds.map((b) => b.master),
    };
    this.state.bootTime = wallSeconds(epochMs, env.now, L.uptimeDays);
    this.state.startedAt = env.now;
    // After the generators: the fault listeners subscribe last.
    this.faults = new HostFaults(spec.faults, parts, effectsAt, env);
  }

  get up(): boolean {
    return !this.down;
  }

  get seriesCount(): number {
    return this.series.seriesCount;
  }

  sample(t: number, dt: number, ctx: TickContext): void {
    const fx = this.faults.at(t);
    if (fx.down !== this.down) {
      this.down = fx.down;
      if (!fx.down) {
        // Back from a reboot: a fresh boot time, every counter from 0.
        this.series = new ExporterSeries(NODE_FAMILIES, this.layout);
        this.state.bootTime = wallSeconds(this.epochMs, t);
        this.state.startedAt = t;
        dt = 0;
      }
    }
    if (this.down) return;
    advance(this.state, t, dt, this.drivers.read(t, ctx), fx, this.random, this.epochMs);
    this.series.sample(this.state, dt);
  }

  renderTo(out: TextSink): number {
    return this.down ? 0 : this.series.renderTo(out);
  }

  valueOf(name: string, labels?: Record<string, string>): number | undefined {
    return this.series.valueOf(name, labels);
  }
}
