/** /proc/meminfo (node_memory_*), /proc/vmstat (node_vmstat_*) and memory pressure families. */
import type { NodeState } from "../model";
import { type NodeFamily, counter, gauge, total, untypedCounter } from "./common";

const PAGE = 4096;
const bytes = (field: string, help: string, value: (s: NodeState) => number): NodeFamily => gauge(`node_memory_${field}_bytes`, help, (s) => Math.round(value(s)));
const anonActive = (s: NodeState) => 0.7 * s.mem.anon;
const fileActive = (s: NodeState) => 0.5 * (s.mem.cached + s.mem.buffers);

export const memoryFamilies: NodeFamily[] = [
  bytes("MemTotal", "Usable RAM.", (s) => s.mem.total),
  bytes("MemFree", "RAM not used for anything.", (s) => s.mem.free),
  bytes("MemAvailable", "RAM that could be given to new work without swapping: free plus reclaimable caches.", (s) => s.mem.available),
  bytes("Buffers", "RAM used for block device buffers.", (s) => s.mem.buffers),
  bytes("Cached", "RAM used by the page cache.", (s) => s.mem.cached),
  bytes("SwapCached", "Swapped-out memory that is also still in RAM.", (s) => 0.01 * (s.mem.swapTotal - s.mem.swapFree)),
  bytes("SwapTotal", "Swap space.", (s) => s.mem.swapTotal),
  bytes("SwapFree", "Unused swap space.", (s) => s.mem.swapFree),
  bytes("Active", "Memory used recently, kept in RAM if possible.", (s) => anonActive(s) + fileActive(s)),
  bytes("Inactive", "Memory not used recently, first to be reclaimed.", (s) => 0.3 * s.mem.anon + 0.5 * (s.mem.cached + s.mem.buffers)),
  bytes("Active_anon", "Anonymous memory used recently.", anonActive),
  bytes("Inactive_anon", "Anonymous memory not used recently.", (s) => 0.3 * s.mem.anon),
  bytes("Active_file", "File-backed memory used recently.", fileActive),
  bytes("Inactive_file", "File-backed memory not used recently.", (s) => 0.5 * (s.mem.cached + s.mem.buffers)),
  bytes("Unevictable", "Memory that cannot be reclaimed (locked).", (s) => 0.0002 * s.mem.total),
  bytes("Mlocked", "Memory locked with mlock().", (s) => 0.0002 * s.mem.total),
  bytes("Dirty", "Memory waiting to be written back to disk.", (s) => s.mem.dirty),
  bytes("Writeback", "Memory being written back to disk now.", (s) => 0.1 * s.mem.dirty),
  bytes("WritebackTmp", "Memory used by FUSE for temporary writeback buffers.", () => 0),
  bytes("NFS_Unstable", "NFS pages sent to the server but not yet committed.", () => 0),
  bytes("AnonPages", "Anonymous memory mapped into page tables.", (s) => s.mem.anon),
  bytes("AnonHugePages", "Anonymous memory in transparent huge pages.", (s) => Math.floor((0.05 * s.mem.anon) / 2097152) * 2097152),
  bytes("Mapped", "Files mapped into memory, such as libraries.", (s) => 0.04 * s.mem.total),
  bytes("Shmem", "Shared memory and tmpfs.", (s) => s.mem.shmem),
  bytes("ShmemHugePages", "Shared memory in huge pages.", () => 0),
  bytes("ShmemPmdMapped", "Shared memory mapped with huge pages.", () => 0),
  bytes("Slab", "Kernel data structure caches.", (s) => s.mem.slab),
  bytes("SReclaimable", "Slab caches that can be reclaimed.", (s) => s.mem.sreclaimable),
  bytes("SUnreclaim", "Slab caches that cannot be reclaimed.", (s) => s.mem.slab - s.mem.sreclaimable),
  bytes("KernelStack", "Kernel stacks of all tasks.", (s) => s.mem.kernelStack),
  bytes("PageTables", "Page tables.", (s) => s.mem.pageTables),
  bytes("Percpu", "Per-CPU kernel allocations.", (s) => s.mem.percpu),
  bytes("CommitLimit", "Memory that can be committed under strict overcommit: swap plus half the RAM.", (s) => s.mem.swapTotal + s.mem.total / 2),
  bytes("Committed_AS", "Memory the processes have been promised.", (s) => 1.25 * s.mem.anon + 0.05 * s.mem.total),
  bytes("VmallocTotal", "Size of the kernel's vmalloc address space.", () => 35184372087808),
  bytes("VmallocUsed", "vmalloc space in use.", (s) => 0.002 * s.mem.total),
  bytes("VmallocChunk", "Largest free vmalloc block (0 on recent kernels).", () => 0),
  bytes("HardwareCorrupted", "RAM the kernel found faulty and set aside.", () => 0),
  bytes("Hugepagesize", "Size of one huge page.", () => 2097152),
  gauge("node_memory_HugePages_Total", "Huge pages reserved (a count of pages).", () => 0),
  gauge("node_memory_HugePages_Free", "Huge pages not allocated.", () => 0),
  gauge("node_memory_HugePages_Rsvd", "Huge pages promised but not yet allocated.", () => 0),
  gauge("node_memory_HugePages_Surp", "Huge pages above the reserved number.", () => 0),
  bytes("DirectMap4k", "Kernel memory mapped with 4 kB pages.", (s) => 0.02 * s.mem.total),
  bytes("DirectMap2M", "Kernel memory mapped with 2 MB pages.", (s) => 0.98 * s.mem.total),
  bytes("DirectMap1G", "Kernel memory mapped with 1 GB pages.", () => 0),
  bytes("Zswap", "Compressed swap cache in RAM.", () => 0),
  bytes("Zswapped", "Memory stored in the compressed swap cache.", () => 0),
  untypedCounter("node_vmstat_pgfault", "Page faults since boot.", (s) => 500 + 3000 * s.layout.cores * s.drivers.cpu),
  untypedCounter("node_vmstat_pgmajfault", "Major page faults (a read from disk) since boot.", (s) => s.majorFaultRate),
  untypedCounter("node_vmstat_pgpgin", "Kilobytes paged in from disk since boot.", (s) => diskBytes(s, s.reads) / 1024),
  untypedCounter("node_vmstat_pgpgout", "Kilobytes paged out to disk since boot.", (s) => diskBytes(s, s.writes) / 1024),
  untypedCounter("node_vmstat_pswpin", "Pages swapped in since boot.", (s) => s.swapRate),
  untypedCounter("node_vmstat_pswpout", "Pages swapped out since boot.", (s) => 1.5 * s.swapRate),
  untypedCounter("node_vmstat_oom_kill", "Processes killed by the out-of-memory killer since boot.", (s) => s.oomRate),
  counter("node_pressure_memory_waiting_seconds_total", "Time some task stalled waiting for memory.", (s) => (s.fx.memUsed !== undefined ? 0.3 : 0.0005)),
  counter("node_pressure_memory_stalled_seconds_total", "Time every non-idle task stalled waiting for memory.", (s) => (s.fx.memUsed !== undefined ? 0.12 : 0.0001)),
];

/** Bytes per second of reads or writes over all disks (reads: 32 KiB each, writes: 16 KiB). */
export function diskBytes(s: NodeState, ops: Float64Array): number {
  return total(ops) * (ops === s.reads ? 32768 : 16384);
}

export const PAGE_SIZE = PAGE;
