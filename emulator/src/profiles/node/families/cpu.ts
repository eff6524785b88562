/** CPU, load, scheduler and interrupt families (node_exporter's cpu, cpufreq, loadavg, schedstat, stat, interrupts collectors). */
import { CPU_MODES } from "../model";
import { type NodeFamily, counter, cpus, gauge, total } from "./common";

const MODES = CPU_MODES.length;
const FREQ_MIN = 800e6;
const FREQ_MAX = 3.5e9;
/** A few interrupt lines per cpu, as /proc/interrupts lists them: [type, info, devices, share of the interrupt rate]. */
const IRQS: [string, string, string, number][] = [
  ["LOC", "Local timer interrupts", "", 0.55],
  ["RES", "Rescheduling interrupts", "", 0.2],
  ["CAL", "Function call interrupts", "", 0.1],
  ["TLB", "TLB shootdowns", "", 0.05],
  ["24", "PCI-MSI 49152-edge", "virtio0-input.0", 0.07],
  ["25", "PCI-MSI 49153-edge", "virtio0-output.0", 0.03],
];

const interruptRate = (s: { busy: Float64Array; layout: { cores: number } }, c: number) => 250 + 4000 * s.busy[c];

export const cpuFamilies: NodeFamily[] = [
  counter(
    "node_cpu_seconds_total",
    "CPU time spent in each mode, per logical CPU.",
    (s, i) => s.cpuShare[i],
    ["cpu", "mode"],
    (L) => Array.from({ length: L.cores * MODES }, (_, i) => [String(Math.floor(i / MODES)), CPU_MODES[i % MODES]]),
  ),
  counter(
    "node_cpu_guest_seconds_total",
    "CPU time spent running virtual machines (already part of user and nice time).",
    (s, i) => s.layout.guest * (i % 2 === 0 ? s.share(i >> 1, 3) : s.share(i >> 1, 7)),
    ["cpu", "mode"],
    (L) => Array.from({ length: L.cores * 2 }, (_, i) => [String(i >> 1), i % 2 === 0 ? "nice" : "user"]),
  ),
  gauge("node_cpu_scaling_frequency_hertz", "Current clock frequency of the CPU.", (s, i) => Math.round(FREQ_MIN + (FREQ_MAX - FREQ_MIN) * s.busy[i]), ["cpu"], cpus),
  gauge("node_cpu_scaling_frequency_max_hertz", "Highest clock frequency the governor may choose.", () => FREQ_MAX, ["cpu"], cpus),
  gauge("node_cpu_scaling_frequency_min_hertz", "Lowest clock frequency the governor may choose.", () => FREQ_MIN, ["cpu"], cpus),
  gauge("node_load1", "Run queue length averaged over one minute.", (s) => s.load1),
  gauge("node_load5", "Run queue length averaged over five minutes.", (s) => s.load5),
  gauge("node_load15", "Run queue length averaged over fifteen minutes.", (s) => s.load15),
  counter("node_schedstat_running_seconds_total", "Time tasks spent running on this CPU.", (s, i) => s.busy[i], ["cpu"], cpus),
  counter(
    "node_schedstat_waiting_seconds_total",
    "Time runnable tasks spent waiting for this CPU.",
    (s, i) => 0.02 * s.busy[i] + Math.max(0, s.runQueue / s.layout.cores - 0.9),
    ["cpu"],
    cpus,
  ),
  counter("node_schedstat_timeslices_total", "Time slices run on this CPU.", (s, i) => 100 + 900 * s.busy[i], ["cpu"], cpus),
  counter("node_context_switches_total", "Context switches since boot.", (s) => s.contextSwitchRate),
  counter("node_forks_total", "Processes and threads created since boot.", (s) => 4 + 30 * s.drivers.cpu),
  counter(
    "node_intr_total",
    "Interrupts serviced since boot, all lines together.",
    (s) => {
      let sum = 0;
      for (let c = 0; c < s.layout.cores; c++) sum += interruptRate(s, c);
      return sum;
    },
  ),
  counter(
    "node_interrupts_total",
    "Interrupts serviced per CPU and interrupt line.",
    (s, i) => interruptRate(s, Math.floor(i / IRQS.length)) * IRQS[i % IRQS.length][3],
    ["cpu", "devices", "info", "type"],
    (L) => Array.from({ length: L.cores * IRQS.length }, (_, i) => {
      const [type, info, devices] = IRQS[i % IRQS.length];
      return [String(Math.floor(i / IRQS.length)), devices, info, type];
    }),
  ),
  counter("node_softnet_processed_total", "Packets processed by this CPU's network backlog.", (s) => total(s.rxBytes) / 900 / s.layout.cores, ["cpu"], cpus),
  counter("node_softnet_dropped_total", "Packets dropped because this CPU's backlog was full.", () => 0, ["cpu"], cpus),
  counter("node_softnet_times_squeezed_total", "Times this CPU's packet processing ran out of budget.", (s, i) => 0.02 * s.busy[i], ["cpu"], cpus),
  counter("node_softnet_received_rps_total", "Packets steered to this CPU by receive packet steering.", () => 0, ["cpu"], cpus),
  counter("node_softnet_flow_limit_count_total", "Times the flow limit was reached on this CPU.", () => 0, ["cpu"], cpus),
  counter("node_pressure_cpu_waiting_seconds_total", "Time some runnable task waited for a CPU (pressure stall information).", (s) => 0.002 + Math.max(0, s.runQueue / s.layout.cores - 0.7)),
  counter("node_pressure_irq_stalled_seconds_total", "Time every task stalled on interrupt handling.", (s) => 0.0002 * s.drivers.network),
];
