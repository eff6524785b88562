/**
 * Faults of a node host as data: what goes wrong, when (scenario time), for how long, on which part
 * (a mountpoint, an interface, a unit, a sensor, an array), and the alert names it is meant to
 * trigger (documentation for people and for `promemu check`). At each tick the active faults fold
 * into one Effects object that the model reads; a fault with a ramp grows in over that time.
 */
import { z } from "zod";
import { FaultSchedule, checkFaultTiming, faultAlerts, faultFields, faultLevel, faultTarget } from "../fault-schedule";

export const FAULT_KINDS = {
  disk_fill: "a file system fills up, to full (no byte free, not even root's reserve) unless `level` (share of its size used) stops it, over `ramp` (steady) or at once (sudden)",
  inode_fill: "a file system's inodes run out, all of them unless `level` stops it, over `ramp`",
  fs_readonly: "a file system is remounted read-only",
  fs_device_error: "a file system cannot be stat'ed (device error)",
  clock_skew: "the clock drifts away to `level` seconds of offset over `ramp`",
  clock_unsynced: "the clock is not synchronised (NTP lost; max error at its 16 s limit)",
  network_errors: "an interface's receive and/or transmit errors reach `level` of its packets (`direction`: rx, tx, both)",
  network_saturation: "an interface runs at `level` of its link speed",
  conntrack_full: "the conntrack table fills to its limit (or `level` of it) over `ramp`; once full, new flows are dropped",
  fd_exhaustion: "allocated file descriptors reach the maximum the host reports (or `level` of it) over `ramp`; a host without an explicit fileMax then runs with the kernel's own limit",
  cpu_saturation: "CPUs busy at `level` with a run queue above the cores",
  cpu_steal: "a noisy neighbour steals `level` of the CPU time",
  memory_pressure: "memory in use at `level`, swap filling, major page faults and OOM kills",
  disk_io_saturation: "disks busy at `level` of the time with slow operations and iowait",
  context_switch_storm: "context switches at `level` times their usual rate",
  unit_failed: "a systemd unit has failed",
  unit_crashloop: "a systemd service restarts again and again (activating, failed, ...; a restart a minute)",
  raid_degraded: "an MD array loses a disk",
  bond_degraded: "a bond loses a slave",
  textfile_error: "the textfile collector cannot read a file",
  overheat: "a sensor above its max and critical temperature",
  edac_errors: "the memory controller reports correctable and uncorrectable errors",
  reboot: "the host goes down for `for` and boots again (counters restart, boot time moves)",
} as const;

export type FaultKind = keyof typeof FAULT_KINDS;

export const faultSchema = z
  .object({
    /** `target`: a mountpoint, an interface, a unit, a sensor's chip, an array, a bond. Default: the first. */
    ...faultFields(FAULT_KINDS),
    direction: z.enum(["rx", "tx", "both"]).default("both"),
    alerts: faultAlerts,
  })
  .strict()
  .superRefine(checkFaultTiming);

export type FaultSpec = z.output<typeof faultSchema>;

/** What the active faults change at one moment; the model reads it at each tick. */
export interface Effects {
  cpuBusy?: number;
  steal?: number;
  memUsed?: number;
  io?: number;
  contextSwitches?: number;
  conntrack?: number;
  fd?: number;
  clockOffset?: number;
  unsynced: boolean;
  textfileError: boolean;
  edac: boolean;
  down: boolean;
  fill: Map<string, number>;
  inodes: Map<string, number>;
  readonly: Set<string>;
  deviceError: Set<string>;
  netErrors: Map<string, { rx: number; tx: number }>;
  netSaturation: Map<string, number>;
  unitFailed: Set<string>;
  unitCrashloop: Set<string>;
  raidDegraded: Set<string>;
  bondDegraded: Set<string>;
  overheat: Set<string>;
}

export function noEffects(): Effects {
  return {
    unsynced: false,
    textfileError: false,
    edac: false,
    down: false,
    fill: new Map(),
    inodes: new Map(),
    readonly: new Set(),
    deviceError: new Set(),
    netErrors: new Map(),
    netSaturation: new Map(),
    unitFailed: new Set(),
    unitCrashloop: new Set(),
    raidDegraded: new Set(),
    bondDegraded: new Set(),
    overheat: new Set(),
  };
}

/**
 * Default level of each fault kind that has one: the end state its name says (a disk that fills ends full, a
 * table or a limit that runs out ends at its limit), or, for the kinds without one, a degree the community rules'
 * thresholds read as broken.
 */
const LEVELS: Partial<Record<FaultKind, number>> = {
  disk_fill: 1,
  inode_fill: 1,
  clock_skew: 0.2,
  network_errors: 0.05,
  network_saturation: 0.9,
  conntrack_full: 1,
  fd_exhaustion: 1,
  cpu_saturation: 1,
  cpu_steal: 0.25,
  memory_pressure: 0.96,
  disk_io_saturation: 0.95,
  context_switch_storm: 6,
};

export interface PartNames {
  mountpoints: string[];
  nics: string[];
  units: string[];
  chips: string[];
  arrays: string[];
  bonds: string[];
}

/** The effects of the faults active at time t (ms); `schedule` knows the event faults' windows (without it, only timed faults play). */
export function effectsAt(faults: readonly FaultSpec[], t: number, parts: PartNames, schedule: FaultSchedule = new FaultSchedule(faults)): Effects {
  const fx = noEffects();
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i];
    if (!schedule.active(i, t)) continue;
    const level = faultLevel(f, LEVELS);
    const grown = schedule.growth(i, t);
    const pick = (names: string[]) => faultTarget(f, names);
    switch (f.fault) {
      case "disk_fill":
        fx.fill.set(pick(parts.mountpoints), level * grown);
        break;
      case "inode_fill":
        fx.inodes.set(pick(parts.mountpoints), level * grown);
        break;
      case "fs_readonly":
        fx.readonly.add(pick(parts.mountpoints));
        break;
      case "fs_device_error":
        fx.deviceError.add(pick(parts.mountpoints));
        break;
      case "clock_skew":
        fx.clockOffset = level * grown;
        break;
      case "clock_unsynced":
        fx.unsynced = true;
        break;
      case "network_errors":
        fx.netErrors.set(pick(parts.nics), { rx: f.direction !== "tx" ? level : 0, tx: f.direction !== "rx" ? level : 0 });
        break;
      case "network_saturation":
        fx.netSaturation.set(pick(parts.nics), level);
        break;
      case "conntrack_full":
        fx.conntrack = level * grown;
        break;
      case "fd_exhaustion":
        fx.fd = level * grown;
        break;
      case "cpu_saturation":
        fx.cpuBusy = level;
        break;
      case "cpu_steal":
        fx.steal = level;
        break;
      case "memory_pressure":
        fx.memUsed = level;
        break;
      case "disk_io_saturation":
        fx.io = level;
        break;
      case "context_switch_storm":
        fx.contextSwitches = level;
        break;
      case "unit_failed":
        fx.unitFailed.add(pick(parts.units));
        break;
      case "unit_crashloop":
        fx.unitCrashloop.add(pick(parts.units));
        break;
      case "raid_degraded":
        fx.raidDegraded.add(pick(parts.arrays));
        break;
      case "bond_degraded":
        fx.bondDegraded.add(pick(parts.bonds));
        break;
      case "textfile_error":
        fx.textfileError = true;
        break;
      case "overheat":
        fx.overheat.add(pick(parts.chips));
        break;
      case "edac_errors":
        fx.edac = true;
        break;
      case "reboot":
        fx.down = true;
        break;
    }
  }
  return fx;
}
