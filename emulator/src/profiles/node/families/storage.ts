/** Block devices (diskstats), file systems (filesystem, filefd) and MD RAID families. */
import { diskBytes } from "./memory";
import { FS_LABELS, type NodeFamily, counter, disks, filesystems, gauge } from "./common";

const READ_SIZE = 32768;
const WRITE_SIZE = 16384;
const SECTOR = 512;
const reserve = (s: { layout: { filesystems: { fstype: string; reserved?: number }[] } }, i: number) => {
  const f = s.layout.filesystems[i];
  return f.reserved ?? (f.fstype === "ext4" ? 0.05 : 0);
};

export const storageFamilies: NodeFamily[] = [
  counter("node_disk_reads_completed_total", "Reads completed by the device.", (s, i) => s.reads[i], ["device"], disks),
  counter("node_disk_reads_merged_total", "Adjacent reads merged into one.", (s, i) => 0.1 * s.reads[i], ["device"], disks),
  counter("node_disk_read_bytes_total", "Bytes read from the device.", (s, i) => s.reads[i] * READ_SIZE, ["device"], disks),
  counter("node_disk_read_time_seconds_total", "Time all reads took, added up.", (s, i) => s.reads[i] * s.readLatency[i], ["device"], disks),
  counter("node_disk_writes_completed_total", "Writes completed by the device.", (s, i) => s.writes[i], ["device"], disks),
  counter("node_disk_writes_merged_total", "Adjacent writes merged into one.", (s, i) => 0.2 * s.writes[i], ["device"], disks),
  counter("node_disk_written_bytes_total", "Bytes written to the device.", (s, i) => s.writes[i] * WRITE_SIZE, ["device"], disks),
  counter("node_disk_write_time_seconds_total", "Time all writes took, added up.", (s, i) => s.writes[i] * s.writeLatency[i], ["device"], disks),
  gauge("node_disk_io_now", "Operations in flight on the device now.", (s, i) => Math.round(s.reads[i] * s.readLatency[i] + s.writes[i] * s.writeLatency[i]), ["device"], disks),
  counter("node_disk_io_time_seconds_total", "Time the device had operations in flight (its utilisation).", (s, i) => s.diskUtil[i], ["device"], disks),
  counter(
    "node_disk_io_time_weighted_seconds_total",
    "Operations in flight x time: its rate is the average queue length.",
    (s, i) => s.reads[i] * s.readLatency[i] + s.writes[i] * s.writeLatency[i],
    ["device"],
    disks,
  ),
  counter("node_disk_discards_completed_total", "Discards (TRIM) completed.", (s, i) => 0.01 * s.writes[i], ["device"], disks),
  counter("node_disk_discards_merged_total", "Adjacent discards merged into one.", () => 0, ["device"], disks),
  counter("node_disk_discarded_sectors_total", "Sectors discarded.", (s, i) => (0.01 * s.writes[i] * 65536) / SECTOR, ["device"], disks),
  counter("node_disk_discard_time_seconds_total", "Time all discards took.", (s, i) => 0.01 * s.writes[i] * 0.002, ["device"], disks),
  counter("node_disk_flush_requests_total", "Cache flushes completed.", (s, i) => 0.05 * s.writes[i], ["device"], disks),
  counter("node_disk_flush_requests_time_seconds_total", "Time all cache flushes took.", (s, i) => 0.05 * s.writes[i] * s.writeLatency[i], ["device"], disks),
  gauge("node_filesystem_size_bytes", "Size of the file system.", (s, i) => s.layout.filesystems[i].size, FS_LABELS, filesystems),
  gauge("node_filesystem_free_bytes", "Free space, the blocks reserved for root included.", (s, i) => s.layout.filesystems[i].size - s.fsUsed[i], FS_LABELS, filesystems),
  gauge(
    "node_filesystem_avail_bytes",
    "Free space that ordinary users may use.",
    (s, i) => Math.max(0, s.layout.filesystems[i].size * (1 - reserve(s, i)) - s.fsUsed[i]),
    FS_LABELS,
    filesystems,
  ),
  gauge("node_filesystem_files", "Inodes of the file system.", (s, i) => s.layout.filesystems[i].files, FS_LABELS, filesystems),
  gauge("node_filesystem_files_free", "Free inodes.", (s, i) => s.layout.filesystems[i].files - s.fsFilesUsed[i], FS_LABELS, filesystems),
  gauge("node_filesystem_readonly", "1 when the file system is mounted read-only.", (s, i) => s.fsReadonly[i], FS_LABELS, filesystems),
  gauge("node_filesystem_device_error", "1 when the file system could not be stat'ed.", (s, i) => s.fsError[i], FS_LABELS, filesystems),
  gauge("node_filefd_allocated", "File descriptor statistics: allocated.", (s) => s.filefd),
  gauge("node_filefd_maximum", "File descriptor statistics: maximum.", (s) => s.layout.fileMax),
  gauge(
    "node_md_disks",
    "Disks of an MD array per state.",
    (s, i) => {
      const a = Math.floor(i / 3);
      const failed = s.raidFailed[a];
      return [s.layout.raid[a].disks - failed, failed, 0][i % 3];
    },
    ["device", "state"],
    (L) => L.raid.flatMap((a) => ["active", "failed", "spare"].map((st) => [a.device, st])),
  ),
  gauge("node_md_disks_required", "Disks an MD array needs to be complete.", (s, i) => s.layout.raid[i].disks, ["device"], (L) => L.raid.map((a) => [a.device])),
  gauge(
    "node_md_state",
    "1 for the state an MD array is in.",
    (s, i) => (i % 4 === 0 ? 1 : 0),
    ["device", "state"],
    (L) => L.raid.flatMap((a) => ["active", "inactive", "recovering", "resync"].map((st) => [a.device, st])),
  ),
  counter("node_pressure_io_waiting_seconds_total", "Time some task stalled waiting for I/O.", (s) => s.share(0, 1) * 0.8 + 0.0005),
  counter("node_pressure_io_stalled_seconds_total", "Time every non-idle task stalled waiting for I/O.", (s) => s.share(0, 1) * 0.4 + 0.0002),
];

export { diskBytes, WRITE_SIZE };
