/**
 * The small model behind a node host: four latent drivers (CPU busy share, memory in use, disk
 * utilisation, network share of the link), each 0..1, plus the active faults, turned into one
 * consistent machine state at each tick. Every family reads this state, so they agree the way a
 * real machine's do: per-mode CPU shares of each core add up to 1 (its seconds to cores x elapsed),
 * MemFree <= MemAvailable <= MemTotal, avail <= free <= size, disk time rates follow operations x
 * latency, packet rates follow byte rates, load follows the run queue.
 */
import { Random } from "../../util/random";
import type { Effects } from "./faults";
import type { NodeLayout } from "./layout";

export interface Drivers {
  cpu: number;
  memory: number;
  io: number;
  network: number;
}

export const CPU_MODES = ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"] as const;
const MODE = Object.fromEntries(CPU_MODES.map((m, i) => [m, i])) as Record<(typeof CPU_MODES)[number], number>;

const clamp = (x: number, lo = 0, hi = 1) => (x < lo ? lo : x > hi ? hi : x);

export class NodeState {
  /** Scenario time (ms) of this tick; seconds of emulated wall clock. */
  t = 0;
  now = 0;
  bootTime = 0;
  drivers: Drivers = { cpu: 0, memory: 0, io: 0, network: 0 };
  fx!: Effects;
  /** Per cpu: share of time in each mode (CPU_MODES order), cpu-major. */
  readonly cpuShare: Float64Array;
  readonly busy: Float64Array;
  load1 = 0;
  load5 = 0;
  load15 = 0;
  runQueue = 0;
  blocked = 0;
  mem = { total: 0, anon: 0, cached: 0, buffers: 0, slab: 0, sreclaimable: 0, pageTables: 0, kernelStack: 0, percpu: 0, free: 0, available: 0, swapTotal: 0, swapFree: 0, shmem: 0, dirty: 0 };
  majorFaultRate = 0;
  oomRate = 0;
  swapRate = 0;
  /** Per file system: bytes used, files used, read-only, device error. */
  readonly fsUsed: Float64Array;
  readonly fsFilesUsed: Float64Array;
  readonly fsReadonly: Uint8Array;
  readonly fsError: Uint8Array;
  /** Per disk: utilisation, reads/s, writes/s, seconds per read and per write. */
  readonly diskUtil: Float64Array;
  readonly reads: Float64Array;
  readonly writes: Float64Array;
  readonly readLatency: Float64Array;
  readonly writeLatency: Float64Array;
  /** Per interface: bytes/s and error shares. */
  readonly rxBytes: Float64Array;
  readonly txBytes: Float64Array;
  readonly rxErr: Float64Array;
  readonly txErr: Float64Array;
  conntrack = 0;
  /** Flows a second that want a conntrack entry, and of them those dropped because the table is full. */
  newFlows = 0;
  conntrackDrops = 0;
  filefd = 0;
  contextSwitchRate = 0;
  clockOffset = 0;
  synced = true;
  maxError = 0;
  established = 0;
  /** Per unit: index into UNIT_STATES. */
  readonly unitState: Uint8Array;
  /** Per unit: automatic restarts a second (systemd's NRestarts grows by them). */
  readonly unitRestarts: Float64Array;
  /** Per sensor (chip-major): temperature. */
  readonly temps: Float64Array;
  readonly raidFailed: Uint8Array;
  readonly bondActive: Float64Array;
  textfileError = 0;
  edac = false;
  /** The exporter restarted (or the host rebooted) at this scenario time. */
  startedAt = 0;

  constructor(readonly layout: NodeLayout) {
    const n = layout.cores;
    this.cpuShare = new Float64Array(n * CPU_MODES.length);
    this.busy = new Float64Array(n);
    const fs = layout.filesystems.length;
    this.fsUsed = new Float64Array(fs);
    this.fsFilesUsed = new Float64Array(fs);
    this.fsReadonly = new Uint8Array(fs);
    this.fsError = new Uint8Array(fs);
    const d = layout.disks.length;
    this.diskUtil = new Float64Array(d);
    this.reads = new Float64Array(d);
    this.writes = new Float64Array(d);
    this.readLatency = new Float64Array(d);
    this.writeLatency = new Float64Array(d);
    const k = layout.nics.length;
    this.rxBytes = new Float64Array(k);
    this.txBytes = new Float64Array(k);
    this.rxErr = new Float64Array(k);
    this.txErr = new Float64Array(k);
    this.unitState = new Uint8Array(layout.units.length);
    this.unitRestarts = new Float64Array(layout.units.length);
    this.temps = new Float64Array(layout.hwmon.reduce((s, c) => s + c.sensors, 0));
    this.raidFailed = new Uint8Array(layout.raid.length);
    this.bondActive = new Float64Array(layout.bonds.length);
  }

  share(cpu: number, mode: number): number {
    return this.cpuShare[cpu * CPU_MODES.length + mode];
  }
}

export const UNIT_STATES = ["activating", "active", "deactivating", "failed", "inactive"] as const;

/**
 * Advances the state to scenario time t (ms), dt seconds after the previous tick (0 at the first).
 * `epochMs` is the emulated wall clock at scenario time 0.
 */
export function advance(s: NodeState, t: number, dt: number, drivers: Drivers, fx: Effects, random: Random, epochMs: number): void {
  const L = s.layout;
  s.t = t;
  s.fx = fx;
  s.drivers = drivers;
  s.clockOffset = fx.clockOffset ?? 0.0004 * Math.sin(t / 600_000) + 0.0001 * random.normal();
  s.now = (epochMs + t) / 1000 + s.clockOffset;
  s.synced = !fx.unsynced;
  s.maxError = fx.unsynced ? 16 : 0.05 + 0.02 * random.next();

  // CPU: each core near the host's busy share; modes split it, idle takes the rest.
  const io = clamp(fx.io ?? drivers.io);
  const steal = fx.steal ?? 0.002;
  const iowait = fx.io !== undefined ? 0.25 : io * 0.05;
  let sumBusy = 0;
  for (let c = 0; c < L.cores; c++) {
    const target = clamp((fx.cpuBusy ?? drivers.cpu) + (fx.cpuBusy !== undefined ? 0 : 0.04 * random.normal()), 0.005, 1);
    const b = Math.min(target, 1 - steal - iowait);
    s.busy[c] = b;
    sumBusy += b;
    const base = c * CPU_MODES.length;
    const sh = s.cpuShare;
    sh[base + MODE.user] = 0.66 * b;
    sh[base + MODE.system] = 0.24 * b;
    sh[base + MODE.nice] = 0.02 * b;
    sh[base + MODE.irq] = 0.02 * b;
    sh[base + MODE.softirq] = 0.06 * b;
    sh[base + MODE.steal] = steal;
    sh[base + MODE.iowait] = iowait;
    sh[base + MODE.idle] = Math.max(0, 1 - b - steal - iowait);
  }
  const meanBusy = sumBusy / L.cores;
  s.runQueue = meanBusy * L.cores + (fx.cpuBusy !== undefined ? L.cores * 0.6 : 0);
  s.blocked = iowait * L.cores;
  const target = s.runQueue + s.blocked;
  if (dt === 0) s.load1 = s.load5 = s.load15 = target;
  else {
    s.load1 += (target - s.load1) * (1 - Math.exp(-dt / 60));
    s.load5 += (target - s.load5) * (1 - Math.exp(-dt / 300));
    s.load15 += (target - s.load15) * (1 - Math.exp(-dt / 900));
  }
  s.contextSwitchRate = L.cores * (1500 + 9000 * meanBusy) * (fx.contextSwitches ?? 1);

  // Memory: applications take `used`, the kernel a few percent, the page cache most of the rest.
  const m = s.mem;
  const total = L.memory;
  const used = clamp(fx.memUsed ?? drivers.memory, 0, 0.985);
  m.total = total;
  m.slab = 0.03 * total;
  m.sreclaimable = 0.02 * total;
  m.pageTables = 0.004 * total;
  m.kernelStack = 0.001 * total;
  m.percpu = 0.0005 * total;
  m.buffers = (fx.memUsed !== undefined ? 0.001 : 0.015) * total;
  m.anon = used * total;
  const kernel = m.slab + m.pageTables + m.kernelStack + m.percpu + m.buffers;
  const left = Math.max(0, total - m.anon - kernel);
  m.cached = left * (fx.memUsed !== undefined ? 0.3 : 0.7);
  m.free = left - m.cached;
  m.available = Math.min(total, m.free + 0.8 * m.cached + m.buffers + m.sreclaimable);
  m.shmem = 0.01 * total;
  m.dirty = 0.0005 * total * (1 + io);
  m.swapTotal = L.swap;
  m.swapFree = L.swap * (fx.memUsed !== undefined ? 0.08 : 0.97);
  s.majorFaultRate = fx.memUsed !== undefined ? 3000 : 2 + 20 * io;
  s.oomRate = fx.memUsed !== undefined ? 1 / 300 : 0;
  s.swapRate = fx.memUsed !== undefined ? 400 : 0;

  // File systems: growth per day from the start, faults fill up to their level.
  L.filesystems.forEach((f, i) => {
    const days = t / 86_400_000;
    const usedShare = Math.max(clamp(f.used + f.growthPerDay * days), fx.fill.get(f.mountpoint) ?? 0);
    s.fsUsed[i] = Math.round(f.size * usedShare);
    s.fsFilesUsed[i] = Math.round(f.files * Math.max(f.filesUsed, fx.inodes.get(f.mountpoint) ?? 0));
    s.fsReadonly[i] = fx.readonly.has(f.mountpoint) ? 1 : 0;
    s.fsError[i] = fx.deviceError.has(f.mountpoint) ? 1 : 0;
  });

  // Disks: operations at the utilisation, latency rising as the queue fills.
  L.disks.forEach((d, i) => {
    const u = clamp(io * (i === 0 ? 1 : 0.6) + 0.01 * Math.abs(random.normal()), 0, 0.99);
    s.diskUtil[i] = u;
    const ops = u * d.iops;
    s.reads[i] = 0.3 * ops;
    s.writes[i] = 0.7 * ops;
    const slow = fx.io !== undefined ? 0.15 : 0.0008 / (1 - Math.min(u, 0.9));
    s.readLatency[i] = slow;
    s.writeLatency[i] = slow * 1.3;
  });

  // Network: bytes at a share of the link (lo: a trickle), errors as a share of packets.
  const net = clamp(drivers.network);
  L.nics.forEach((n, i) => {
    const speed = (n.speedBits ?? 8e8) / 8;
    const share = fx.netSaturation.get(n.device) ?? net * (n.speedBits ? 1 : 0.01);
    s.rxBytes[i] = speed * share * (1 + 0.05 * random.normal());
    s.txBytes[i] = speed * share * 0.6 * (1 + 0.05 * random.normal());
    if (fx.netSaturation.has(n.device)) s.txBytes[i] = s.rxBytes[i];
    const errs = fx.netErrors.get(n.device);
    s.rxErr[i] = errs?.rx ?? 0;
    s.txErr[i] = errs?.tx ?? 0;
  });
  s.established = Math.round(40 + 400 * net + 5 * random.next());
  // conntrack: a full table takes no new flow (the kernel drops it, after evicting what it may).
  s.conntrack = Math.round(L.conntrackLimit * Math.max(0.002 + 0.02 * net, fx.conntrack ?? 0));
  s.newFlows = 20 + 0.05 * s.established;
  s.conntrackDrops = s.conntrack >= L.conntrackLimit ? 0.6 * s.newFlows : 0;
  // File descriptors: a leak or a flood of connections takes them up to the maximum the host reports.
  const calmFd = 1800 + 3000 * meanBusy;
  s.filefd = Math.round(Math.min(L.fileMax, Math.max(calmFd, L.fileMax * (fx.fd ?? 0))));

  // systemd units: active unless failed, or cycling activating -> failed every 30 s when crash-looping, systemd
  // restarting it (Restart=) once per cycle.
  L.units.forEach((u, i) => {
    const crashing = fx.unitCrashloop.has(u.name);
    if (fx.unitFailed.has(u.name)) s.unitState[i] = 3;
    else if (crashing) s.unitState[i] = Math.floor(t / 30_000) % 2 === 0 ? 0 : 3;
    else s.unitState[i] = u.name.startsWith("backup") ? 4 : 1;
    s.unitRestarts[i] = crashing ? 1 / 60 : 0;
  });

  // Sensors: warmer with load; an overheating chip runs past its max and critical limits.
  let k = 0;
  for (const chip of L.hwmon) {
    for (let j = 0; j < chip.sensors; j++) {
      s.temps[k++] = fx.overheat.has(chip.chip) ? chip.critCelsius + 3 : 38 + 25 * meanBusy + 0.5 * random.normal();
    }
  }
  L.raid.forEach((a, i) => (s.raidFailed[i] = fx.raidDegraded.has(a.device) ? 1 : 0));
  L.bonds.forEach((b, i) => (s.bondActive[i] = fx.bondDegraded.has(b.master) ? b.slaves - 1 : b.slaves));
  s.textfileError = fx.textfileError ? 1 : 0;
  s.edac = fx.edac;
}
