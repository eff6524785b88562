/** Shorthands the node family tables share: typed constructors and the per-part series enumerations. */
import { type FamilySpec, counter as counterOf, gauge as gaugeOf } from "../../family";
import type { NodeLayout } from "../layout";
import type { NodeState } from "../model";

export type NodeFamily = FamilySpec<NodeLayout, NodeState>;
type Rows = (layout: NodeLayout) => readonly (readonly string[])[];

export const gauge = (name: string, help: string, value: (s: NodeState, i: number) => number, labels: string[] = [], rows?: Rows): NodeFamily =>
  gaugeOf<NodeLayout, NodeState>(name, help, value, labels, rows);
export const counter = (name: string, help: string, rate: (s: NodeState, i: number) => number, labels: string[] = [], rows?: Rows): NodeFamily =>
  counterOf<NodeLayout, NodeState>(name, help, rate, labels, rows);
/** node_exporter exposes /proc/vmstat and /proc/net/{netstat,snmp} values untyped; they still only grow. */
export const untypedCounter = (name: string, help: string, rate: (s: NodeState, i: number) => number): NodeFamily =>
  counterOf<NodeLayout, NodeState>(name, help, rate, [], undefined, "untyped");

export const cpus = (L: NodeLayout) => Array.from({ length: L.cores }, (_, c) => [String(c)]);
export const disks = (L: NodeLayout) => L.disks.map((d) => [d.device]);
export const filesystems = (L: NodeLayout) => L.filesystems.map((f) => [f.device, f.fstype, f.mountpoint]);
export const FS_LABELS = ["device", "fstype", "mountpoint"];
export const nics = (L: NodeLayout) => L.nics.map((n) => [n.device]);
/** Interfaces with a link speed (lo has none, and node_exporter reports none for it). */
export const nicsWithSpeed = (L: NodeLayout) => L.nics.filter((n) => n.speedBits).map((n) => [n.device]);

/** Index of the k-th interface with a speed among all interfaces. */
export function speedNicIndex(L: NodeLayout, k: number): number {
  let seen = -1;
  for (let i = 0; i < L.nics.length; i++) if (L.nics[i].speedBits && ++seen === k) return i;
  return 0;
}

export const total = (values: Float64Array) => {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum;
};

/** A count node_exporter exposes as a gauge (the conntrack statistics, a socket unit's refused connections); it still only grows. */
export const gaugeCounter = (name: string, help: string, rate: (s: NodeState, i: number) => number, labels: string[] = [], rows?: Rows): NodeFamily =>
  counterOf<NodeLayout, NodeState>(name, help, rate, labels, rows, "gauge");

/** A /proc/net value node_exporter exposes untyped that is a level, not a count. */
export const untypedGauge = (name: string, help: string, value: (s: NodeState, i: number) => number): NodeFamily =>
  gaugeOf<NodeLayout, NodeState>(name, help, value, [], undefined, "untyped");
