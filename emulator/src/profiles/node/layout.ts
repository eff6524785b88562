/**
 * A node_exporter host's hardware and layout as data: cores, memory, swap, disks, file systems,
 * network interfaces, systemd units, sensors, RAID arrays. A scenario names a preset and/or spells
 * out any part of it; sizes are bytes or text such as 16GiB.
 */
import { z } from "zod";

const UNITS: Record<string, number> = { "": 1, B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

export function parseBytes(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?$/.exec(text.trim());
  if (!match) return undefined;
  const factor = UNITS[match[2] ?? ""];
  return factor === undefined ? undefined : Math.round(Number(match[1]) * factor);
}

/** A size: a number of bytes, or text such as 512MiB, 16GiB or 2TB. */
export const bytes = z.union([z.number().nonnegative(), z.string()], { error: "must be a size in bytes or text such as 16GiB" }).transform((v, ctx) => {
  if (typeof v === "number") return v;
  const parsed = parseBytes(v);
  if (parsed === undefined) {
    ctx.addIssue({ code: "custom", message: `must be a size such as 512MiB, 16GiB or 2TB, not "${v}"` });
    return z.NEVER;
  }
  return parsed;
});
const fraction = z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1");

const disk = z.object({ device: z.string().regex(/^[a-z0-9]+$/, "must be a block device name such as sda or nvme0n1"), iops: z.number().positive().default(3000) }).strict();
const filesystem = z
  .object({
    device: z.string(),
    fstype: z.string(),
    mountpoint: z.string().startsWith("/", "must be an absolute path"),
    size: bytes,
    /** Share of the size in use at the scenario's start. */
    used: fraction.default(0.3),
    /** Share of the size the file system grows by per day. */
    growthPerDay: z.number().min(0).default(0.002),
    files: z.number().int().positive().default(6_553_600),
    filesUsed: fraction.default(0.05),
    /** Blocks reserved for root (ext4: 5 %): counted in free, not in avail. */
    reserved: fraction.optional(),
  })
  .strict();
const nic = z
  .object({
    device: z.string(),
    /** Link speed in bits per second; absent for interfaces without one (lo). */
    speedBits: z.number().positive().optional(),
    mtu: z.number().int().positive().default(1500),
    address: z.string().default("52:54:00:12:34:56"),
  })
  .strict();
const unit = z.object({ name: z.string(), type: z.enum(["service", "socket", "timer", "mount"]).default("service") }).strict();
const chip = z
  .object({ chip: z.string(), name: z.string(), sensors: z.number().int().min(1).default(2), maxCelsius: z.number().default(80), critCelsius: z.number().default(100), fans: z.number().int().min(0).default(0) })
  .strict();
const raid = z.object({ device: z.string(), disks: z.number().int().min(2).default(2) }).strict();

export const layoutSchema = z
  .object({
    cores: z.number().int().min(1).max(512).default(4),
    memory: bytes.default(16 * 2 ** 30),
    swap: bytes.default(2 * 2 ** 30),
    disks: z.array(disk).default([{ device: "sda", iops: 3000 }]),
    filesystems: z.array(filesystem).optional(),
    nics: z.array(nic).optional(),
    units: z.array(unit).optional(),
    hwmon: z.array(chip).optional(),
    raid: z.array(raid).default([]),
    bonds: z.array(z.object({ master: z.string(), slaves: z.number().int().min(1).default(2) }).strict()).default([]),
    kernel: z.string().default("6.1.0-28-amd64"),
    /** Days since boot at the scenario's start. */
    uptimeDays: z.number().min(0).default(12),
    /** Share of CPU time spent running guests (VM hosts); included in user time. */
    guest: fraction.default(0.01),
    conntrackLimit: z.number().int().positive().default(262_144),
    /** fs.file-max. Default: LONG_MAX, as systemd (240 and later) sets it on Debian 12; see resolveLayout. */
    fileMax: z.number().positive().optional(),
  })
  .strict();

export type LayoutInput = z.input<typeof layoutSchema>;
type Parsed = z.output<typeof layoutSchema>;
export type DiskLayout = z.output<typeof disk>;
export type FilesystemLayout = z.output<typeof filesystem>;
export type NicLayout = z.output<typeof nic>;

/** A layout with every part filled in. */
export interface NodeLayout extends Omit<Parsed, "filesystems" | "nics" | "units" | "hwmon" | "fileMax"> {
  readonly fileMax: number;
  /** The host's name as uname reports it. */
  readonly nodename: string;
  readonly filesystems: FilesystemLayout[];
  readonly nics: NicLayout[];
  readonly units: z.output<typeof unit>[];
  readonly hwmon: z.output<typeof chip>[];
}

const GiB = 2 ** 30;

/** fs.file-max as systemd 240 and later set it (LONG_MAX: no system-wide limit in practice). */
export const FILE_MAX_UNLIMITED = 9_223_372_036_854_775_807;

/** fs.file-max as the kernel sets it when nothing raises it: a tenth of the RAM in KiB, at least NR_FILE (8192). */
export const kernelFileMax = (memory: number) => Math.max(8192, Math.floor(memory / 1024 / 10));

/** What a host gets when a scenario leaves a part out: a small Debian VM. */
function defaults(parsed: Parsed, nodename: string, fileLimited: boolean): NodeLayout {
  const root = parsed.disks[0]?.device ?? "sda";
  const part = (n: number) => (/\d$/.test(root) ? `/dev/${root}p${n}` : `/dev/${root}${n}`);
  return {
    ...parsed,
    nodename,
    fileMax: parsed.fileMax ?? (fileLimited ? kernelFileMax(parsed.memory) : FILE_MAX_UNLIMITED),
    filesystems: parsed.filesystems ?? [
      { device: part(1), fstype: "ext4", mountpoint: "/", size: 40 * GiB, used: 0.35, growthPerDay: 0.002, files: 2_621_440, filesUsed: 0.06 },
      { device: part(2), fstype: "ext4", mountpoint: "/var", size: 60 * GiB, used: 0.4, growthPerDay: 0.003, files: 3_932_160, filesUsed: 0.02 },
      { device: "tmpfs", fstype: "tmpfs", mountpoint: "/run", size: Math.round(parsed.memory / 10), used: 0.01, growthPerDay: 0, files: 2_000_000, filesUsed: 0.0005, reserved: 0 },
    ],
    nics: parsed.nics ?? [
      { device: "eth0", speedBits: 1e9, mtu: 1500, address: "52:54:00:12:34:56" },
      { device: "lo", mtu: 65536, address: "00:00:00:00:00:00" },
    ],
    units: parsed.units ?? [
      { name: "ssh.service", type: "service" },
      { name: "cron.service", type: "service" },
      { name: "systemd-journald.service", type: "service" },
      { name: "chrony.service", type: "service" },
      { name: "nginx.service", type: "service" },
      { name: "backup.service", type: "service" },
      { name: "ssh.socket", type: "socket" },
    ],
    hwmon: parsed.hwmon ?? [{ chip: "platform_coretemp_0", name: "coretemp", sensors: 2, maxCelsius: 80, critCelsius: 100, fans: 1 }],
  };
}

/** Named layouts a scenario can start from. */
export const LAYOUT_PRESETS: Record<string, LayoutInput> = {
  small: { cores: 2, memory: "4GiB", swap: "1GiB" },
  medium: { cores: 4, memory: "16GiB", swap: "2GiB" },
  large: {
    cores: 16,
    memory: "64GiB",
    swap: "4GiB",
    disks: [
      { device: "nvme0n1", iops: 50_000 },
      { device: "nvme1n1", iops: 50_000 },
    ],
    raid: [{ device: "md0", disks: 2 }],
  },
};

/** A layout for one host: a preset name, or a map that may start from `preset` and override any part. */
export const layoutInput = z.union([
  z.enum(Object.keys(LAYOUT_PRESETS) as [string, ...string[]], { error: `must be a preset (${Object.keys(LAYOUT_PRESETS).join(", ")}) or a map` }).transform((name) => LAYOUT_PRESETS[name]),
  z
    .looseObject({ preset: z.enum(Object.keys(LAYOUT_PRESETS) as [string, ...string[]]).optional() })
    .transform(({ preset, ...rest }) => ({ ...(preset ? LAYOUT_PRESETS[preset] : {}), ...rest }) as LayoutInput),
]).pipe(layoutSchema);

/**
 * The layout of one host. `fileLimited`: the host can run out of file descriptors (an fd_exhaustion fault), which a
 * host at LONG_MAX cannot; unless the scenario gives its fileMax, it runs with the kernel's own limit.
 */
export function resolveLayout(parsed: Parsed, nodename: string, fileLimited = false): NodeLayout {
  return defaults(parsed, nodename, fileLimited);
}

export type ParsedLayout = Parsed;

