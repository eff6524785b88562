/**
 * The syslog of a node_exporter host (rsyslog's file format on Debian 12: `<RFC 3339 time> <host>
 * <program>[<pid>]: <message>`), with the kernel's and systemd's lines of its faults, read from the
 * exporter's own series so that they agree with them:
 *
 * - every increase of `node_vmstat_oom_kill` is one OOM kill: `<proc> invoked oom-killer: ...`,
 *   `Out of memory: Killed process ...`, and systemd's note on the unit;
 * - `node_filesystem_readonly` going to 1: ext4's aborted journal and `Remounting filesystem read-only`;
 * - `node_filesystem_device_error` at 1: a block-layer I/O error every minute;
 * - `node_filesystem_avail_bytes` at 0 on / or /var: journald's `No space left on device`, every minute;
 * - `node_systemd_unit_state{state="failed"}` going to 1: the unit's main process exiting and the unit
 *   failing; a crash loop's every restart: `Scheduled restart job, restart counter is at N`;
 * - `node_network_{receive,transmit}_errs_total` growing: the NIC watchdog and a reset, at most once a minute;
 * - the exporter going away for a reboot: the shutdown; coming back: the new boot (kernel, systemd);
 * - calm: cron's sysstat job every 10 minutes.
 */
import type { NodeProfileSpec } from "../profiles/specs";
import { resolveLayout } from "../profiles/node/layout";
import { Random } from "../util/random";
import { CounterWatch, EdgeWatch, type LogHost, between, pick } from "./source-kit";
import { syslogTime } from "./time-format";
import type { HostLogSource } from "./types";

const MINUTE = 60_000;
const OOM_VICTIMS = ["java", "python3", "node", "postgres", "ruby"];

export class NodeSyslog implements HostLogSource {
  private readonly random: Random;
  private readonly ooms: CounterWatch;
  private readonly readonly: { mount: string; device: string; edge: EdgeWatch }[];
  private readonly deviceErrors: { mount: string; device: string; value: () => number | undefined; next: number }[];
  private readonly full: { mount: string; value: () => number | undefined; next: number }[];
  private readonly units: { name: string; failed: EdgeWatch; activating: EdgeWatch; restarts: number }[];
  private readonly nics: { device: string; errors: CounterWatch[]; next: number }[];
  private readonly up = new EdgeWatch(() => (this.host.exporter()?.up === false ? 0 : 1));
  private readonly kernel: string;

  constructor(private readonly host: LogHost) {
    const spec = host.exporterSpec as NodeProfileSpec;
    const layout = resolveLayout(spec.layout, host.name);
    this.kernel = layout.kernel ?? "6.1.0-28-amd64";
    this.random = new Random(host.seed("logs.syslog"));
    const value = (name: string, labels?: Record<string, string>) => () => host.exporter()?.valueOf(name, labels);
    this.ooms = new CounterWatch(value("node_vmstat_oom_kill"));
    const disks = layout.filesystems.filter((f) => f.device.startsWith("/dev/"));
    this.readonly = disks.map((f) => ({ mount: f.mountpoint, device: f.device.slice(5), edge: new EdgeWatch(value("node_filesystem_readonly", { mountpoint: f.mountpoint })) }));
    this.deviceErrors = disks.map((f) => ({ mount: f.mountpoint, device: f.device.slice(5), value: value("node_filesystem_device_error", { mountpoint: f.mountpoint }), next: 0 }));
    this.full = disks.filter((f) => f.mountpoint === "/" || f.mountpoint === "/var").map((f) => ({ mount: f.mountpoint, value: value("node_filesystem_avail_bytes", { mountpoint: f.mountpoint }), next: 0 }));
    this.units = layout.units
      .filter((u) => u.type === "service")
      .map((u) => ({
        name: u.name,
        failed: new EdgeWatch(value("node_systemd_unit_state", { name: u.name, state: "failed" })),
        activating: new EdgeWatch(value("node_systemd_unit_state", { name: u.name, state: "activating" })),
        restarts: 0,
      }));
    this.nics = layout.nics
      .filter((n) => n.device !== "lo")
      .map((n) => ({
        device: n.device,
        errors: [new CounterWatch(value("node_network_receive_errs_total", { device: n.device })), new CounterWatch(value("node_network_transmit_errs_total", { device: n.device }))],
        next: 0,
      }));
  }

  tick(from: number, t: number): void {
    const lines: [number, string, string][] = [];
    const add = (at: number, program: string, message: string) => lines.push([at, program, message]);
    const [wasUp, isUp] = this.up.next();
    if (wasUp === 1 && isUp === 0) this.shutdown(t, add);
    if (wasUp === 0 && isUp === 1) this.boot(t, add);
    if (isUp === 1) this.faults(from, t, add);
    this.cron(from, t, add);
    lines.sort((a, b) => a[0] - b[0]);
    const { sink, stream, epochMs, name } = this.host;
    for (const [at, program, message] of lines) sink.write(stream, at, `${syslogTime(epochMs + at)} ${name} ${program}: ${message}`);
  }

  private faults(from: number, t: number, add: (at: number, program: string, message: string) => void): void {
    const r = this.random;
    for (let k = this.ooms.delta(); k > 0; k--) {
      const at = from + 1 + Math.floor(r.next() * Math.max(1, t - from - 2));
      const victim = pick(OOM_VICTIMS, r);
      const pid = between(2000, 60000, r);
      const anon = between(1_500_000, 6_000_000, r);
      add(at, "kernel", `${victim} invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0`);
      add(at + 1, "kernel", `Out of memory: Killed process ${pid} (${victim}) total-vm:${anon + between(200_000, 900_000, r)}kB, anon-rss:${anon}kB, file-rss:${between(0, 4000, r)}kB, shmem-rss:0kB, UID:1000 pgtables:${Math.round(anon / 500)}kB oom_score_adj:0`);
      add(at + 2, "systemd[1]", `app.service: A process of this unit has been killed by the OOM killer.`);
    }
    for (const fs of this.readonly) {
      const [was, is] = fs.edge.next();
      if (was === 0 && is === 1) {
        add(t - 1, "kernel", `EXT4-fs error (device ${fs.device}): ext4_journal_check_start:83: comm kworker/u8:2: Detected aborted journal`);
        add(t, "kernel", `EXT4-fs (${fs.device}): Remounting filesystem read-only`);
      }
    }
    for (const fs of this.deviceErrors) {
      if (fs.value() !== 1 || t < fs.next) continue;
      fs.next = t + MINUTE;
      const disk = fs.device.replace(/p?\d+$/, "");
      add(t - 1, "kernel", `I/O error, dev ${disk}, sector ${between(1_000_000, 80_000_000, this.random)} op 0x0:(READ) flags 0x80700 phys_seg 1 prio class 2`);
      add(t, "kernel", `EXT4-fs warning (device ${fs.device}): htree_dirblock_to_tree:1082: inode #2: lblock 0: comm node_exporter: error -5 reading directory block`);
    }
    for (const fs of this.full) {
      if (fs.value() !== 0 || t < fs.next) continue;
      fs.next = t + MINUTE;
      add(t, "systemd-journald[245]", `Failed to write entry (${between(9, 24, this.random)} items, ${between(300, 900, this.random)} bytes), ignoring: No space left on device`);
    }
    for (const unit of this.units) {
      const [wasFailed, isFailed] = unit.failed.next();
      const [wasActivating, isActivating] = unit.activating.next();
      if (wasFailed === 0 && isFailed === 1) {
        add(t - 2, "systemd[1]", `${unit.name}: Main process exited, code=exited, status=1/FAILURE`);
        add(t - 1, "systemd[1]", `${unit.name}: Failed with result 'exit-code'.`);
        add(t, "systemd[1]", `Failed to start ${unit.name} - ${describe(unit.name)}.`);
      }
      if (wasActivating === 0 && isActivating === 1 && wasFailed === 1) {
        unit.restarts++;
        add(t - 2, "systemd[1]", `${unit.name}: Scheduled restart job, restart counter is at ${unit.restarts}.`);
        add(t - 1, "systemd[1]", `Stopped ${unit.name} - ${describe(unit.name)}.`);
        add(t, "systemd[1]", `Starting ${unit.name} - ${describe(unit.name)}...`);
      }
    }
    for (const nic of this.nics) {
      const errors = nic.errors[0].delta() + nic.errors[1].delta();
      if (errors === 0 || t < nic.next) continue;
      nic.next = t + MINUTE;
      add(t - 1, "kernel", `NETDEV WATCHDOG: ${nic.device} (e1000e): transmit queue 0 timed out ${between(5000, 9000, this.random)} ms`);
      add(t, "kernel", `e1000e 0000:00:1f.6 ${nic.device}: Reset adapter unexpectedly`);
    }
  }

  private shutdown(t: number, add: (at: number, program: string, message: string) => void): void {
    add(t - 3, "systemd-logind[512]", "System is rebooting.");
    add(t - 2, "systemd[1]", "Reached target reboot.target - System Reboot.");
    add(t - 1, "systemd-shutdown[1]", "Syncing filesystems and block devices.");
    add(t, "kernel", "reboot: Restarting system");
  }

  private boot(t: number, add: (at: number, program: string, message: string) => void): void {
    for (const unit of this.units) unit.restarts = 0;
    add(t - 3, "kernel", `Linux version ${this.kernel} (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)`);
    add(t - 2, "kernel", `Command line: BOOT_IMAGE=/boot/vmlinuz-${this.kernel} root=UUID=4f6d2a9e-1c3b-4e57-9a51-0d2f6b7c8e91 ro quiet`);
    add(t - 1, "systemd[1]", "systemd 252.33-1~deb12u1 running in system mode (+PAM +AUDIT +SELINUX +APPARMOR +IMA +SMACK +SECCOMP +GCRYPT -GNUTLS +OPENSSL +ACL +BLKID +CURL +ELFUTILS +FIDO2 +IDN2 -IDN +IPTC +KMOD +LIBCRYPTSETUP +LIBFDISK +PCRE2 -PWQUALITY +P11KIT +QRENCODE +TPM2 +BZIP2 +LZ4 +XZ +ZLIB +ZSTD -BPF_FRAMEWORK -XKBCOMMON +UTMP +SYSVINIT default-hierarchy=unified)");
    const kernel = 2 + this.random.next();
    const userspace = 3 + 3 * this.random.next();
    add(t, "systemd[1]", `Startup finished in ${kernel.toFixed(3)}s (kernel) + ${userspace.toFixed(3)}s (userspace) = ${(kernel + userspace).toFixed(3)}s.`);
  }

  /** Debian's sysstat cron job, at minute 5, 15, ... of every hour (wall time). */
  private cron(from: number, t: number, add: (at: number, program: string, message: string) => void): void {
    const { epochMs } = this.host;
    const period = 10 * MINUTE;
    let wall = Math.ceil((epochMs + from + 1 - 5 * MINUTE) / period) * period + 5 * MINUTE;
    for (; wall <= epochMs + t; wall += period) {
      add(wall - epochMs, `CRON[${between(10_000, 60_000, this.random)}]`, "(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)");
    }
  }
}

function describe(unit: string): string {
  const base = unit.replace(/\.service$/, "");
  const known: Record<string, string> = { nginx: "A high performance web server and a reverse proxy server", backup: "Nightly backup", ssh: "OpenBSD Secure Shell server", cron: "Regular background program processing daemon", chrony: "chrony, an NTP client/server" };
  return known[base] ?? base;
}
