/**
 * Realistic agent traffic for the benchmarks: simulated hosts with the series a real
 * agent reports (cpu total and per core, memory ×3, filesystem ×3 per mount, network
 * in/out per interface, load ×3, disk I/O read/write per device), and the batches such an
 * agent sends, as the JSON text that goes over the wire together with the same rows in
 * columns for the raw COPY ceiling.
 *
 * A host's samples form one endless stream, tick after tick (every `TICK_MS`), each tick
 * in collector order; batch `seq` of a host is the slice `[seq·size, (seq+1)·size)` of that
 * stream, exactly how an agent's queue is cut into batches of at most 5,000 metrics.
 *
 * @example
 * ```ts
 * const host = hostProfile(7);
 * const b = generateBatch(host, { id: "run1-7-0", seq: 0, size: 5000, originMs: Date.now() - 3_600_000 });
 * await fetch(url, { method: "POST", body: b.body, headers: { ... } });
 * ```
 */
import type { MetricName } from "../../shared/metric_names.ts";

/** Interval between two collection ticks of a simulated agent (the agent's default). */
export const TICK_MS = 10_000;

/** One series of a simulated host: name, labels, and how its values look. */
export interface SeriesSpec {
  name: MetricName;
  labels: Record<string, string>;
  /** The label set as JSON, computed once. */
  labelsJson: string;
  /** Draws a plausible value for this series. */
  value: (rng: () => number) => number;
}

/** One simulated host and the series its agent reports every tick, in collector order. */
export interface HostProfile {
  index: number;
  host: string;
  series: SeriesSpec[];
  /** Offset of this host's ticks within the 10 s period (agents do not tick in lockstep). */
  phaseMs: number;
}

/** One batch ready to send, and the same rows as columns (`seriesIndex` into `HostProfile.series`). */
export interface GeneratedBatch {
  id: string;
  host: string;
  /** The request body: a `MetricBatch` as JSON. */
  body: string;
  samples: number;
  time: number[];
  seriesIndex: number[];
  value: number[];
  /** Latest sample time in the batch (epoch ms). */
  maxTimeMs: number;
}

/** Options of `generateBatch`. */
export interface BatchOptions {
  /** The batch id (unique per host). */
  id: string;
  /** Which slice of the host's sample stream. */
  seq: number;
  /** Metrics in the batch (at most 5,000). */
  size: number;
  /** Time of the host's tick 0 (epoch ms), before the host's phase offset. */
  originMs: number;
}

const CORE_COUNTS = [2, 4, 8, 16, 32, 4, 8, 2];
const MOUNTS = [
  { mount: "/", device: "/dev/sda1", fstype: "ext4" },
  { mount: "/boot", device: "/dev/sda2", fstype: "vfat" },
  { mount: "/var", device: "/dev/mapper/vg0-var", fstype: "xfs" },
  { mount: "/home", device: "/dev/mapper/vg0-home", fstype: "ext4" },
  { mount: "/srv/data", device: "/dev/nvme0n1p1", fstype: "xfs" },
];
const IFACES = ["eth0", "eth1", "bond0"];
const DISKS = ["sda", "nvme0n1", "sdb"];
const GIB = 1024 ** 3;

/** The name of simulated host `index`: `bench-host-007`. */
export function hostName(index: number): string {
  return `bench-host-${String(index).padStart(3, "0")}`;
}

function spec(
  name: MetricName,
  labels: Record<string, string>,
  value: (rng: () => number) => number,
): SeriesSpec {
  return { name, labels, labelsJson: JSON.stringify(labels), value };
}

/**
 * Host `index`'s series: 2 to 32 cores, 1 to 5 mounts, 1 to 3 interfaces, 1 to 3 disks,
 * varying with the index (16 to 66 series), so batches hold differently shaped
 * hosts as a real fleet does.
 */
export function hostProfile(index: number): HostProfile {
  const cores = CORE_COUNTS[index % CORE_COUNTS.length];
  const mounts = MOUNTS.slice(0, 1 + (index % MOUNTS.length));
  const ifaces = IFACES.slice(0, 1 + (index % IFACES.length));
  const disks = DISKS.slice(0, 1 + ((index >> 1) % DISKS.length));
  const memTotal = (4 << (index % 5)) * GIB;
  const pct = (rng: () => number) => rng() * 100;
  const series: SeriesSpec[] = [spec("cpu.usage_pct", { core: "total" }, pct)];
  for (let c = 0; c < cores; c++) series.push(spec("cpu.usage_pct", { core: String(c) }, pct));
  series.push(
    spec("mem.total_bytes", {}, () => memTotal),
    spec("mem.used_bytes", {}, (rng) => Math.floor(memTotal * (0.2 + 0.6 * rng()))),
    spec("mem.used_pct", {}, (rng) => 20 + 60 * rng()),
  );
  for (const m of mounts) {
    const total = (m.mount === "/boot" ? 1 : 100 << (index % 4)) * GIB;
    series.push(
      spec("disk.total_bytes", m, () => total),
      spec("disk.used_bytes", m, (rng) => Math.floor(total * (0.1 + 0.8 * rng()))),
      spec("disk.used_pct", m, (rng) => 10 + 80 * rng()),
    );
  }
  for (const iface of ifaces) {
    series.push(
      spec("net.bytes_in", { iface }, (rng) => rng() * 12_500_000),
      spec("net.bytes_out", { iface }, (rng) => rng() * 6_250_000),
    );
  }
  series.push(
    spec("system.load1", {}, (rng) => rng() * cores),
    spec("system.load5", {}, (rng) => rng() * cores * 0.8),
    spec("system.load15", {}, (rng) => rng() * cores * 0.6),
  );
  for (const device of disks) {
    series.push(
      spec("disk.read_bytes", { device }, (rng) => rng() * 52_428_800),
      spec("disk.write_bytes", { device }, (rng) => rng() * 26_214_400),
    );
  }
  return { index, host: hostName(index), series, phaseMs: (index * 937) % TICK_MS };
}

/** A small deterministic PRNG (mulberry32), so a run can be repeated sample for sample. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A seeded random walk within [0, scale], so bucket averages look like real data. */
export function randomWalk(seed: number, scale: number): () => number {
  const rng = seededRandom(seed);
  let v = rng() * scale;
  return () => {
    v += (rng() - 0.5) * scale * 0.05;
    if (v < 0) v = -v;
    if (v > scale) v = 2 * scale - v;
    return v;
  };
}

/** The time of tick `tick` of `profile` (epoch ms). */
export function tickTime(profile: HostProfile, originMs: number, tick: number): number {
  return originMs + profile.phaseMs + tick * TICK_MS;
}

/** The number of ticks a host needs for `samples` samples (the last one possibly partial). */
export function ticksFor(profile: HostProfile, samples: number): number {
  return Math.ceil(samples / profile.series.length);
}

/**
 * Batch `seq` of `profile`'s sample stream as JSON text plus columns. The JSON is built by
 * concatenation (the same text `JSON.stringify` gives) so generating traffic stays cheap.
 */
export function generateBatch(profile: HostProfile, opts: BatchOptions): GeneratedBatch {
  const { size, seq, originMs } = opts;
  const series = profile.series;
  const count = series.length;
  const rng = seededRandom(profile.index * 1_000_003 + seq);
  const hostJson = JSON.stringify(profile.host);
  const time: number[] = new Array(size);
  const seriesIndex: number[] = new Array(size);
  const value: number[] = new Array(size);
  const parts: string[] = new Array(size);
  let tick = -1;
  let timeMs = 0;
  let prefix = "";
  for (let i = 0; i < size; i++) {
    const flat = seq * size + i;
    const t = Math.floor(flat / count);
    if (t !== tick) {
      tick = t;
      timeMs = tickTime(profile, originMs, tick);
      prefix = `{"time":"${new Date(timeMs).toISOString()}","host":${hostJson},"name":"`;
    }
    const s = flat - t * count;
    const spec = series[s];
    const v = spec.value(rng);
    time[i] = timeMs;
    seriesIndex[i] = s;
    value[i] = v;
    parts[i] = `${prefix}${spec.name}","value":${v},"labels":${spec.labelsJson}}`;
  }
  const body = `{"id":${JSON.stringify(opts.id)},"host":${hostJson},"metrics":[${
    parts.join(",")
  }]}`;
  return {
    id: opts.id,
    host: profile.host,
    body,
    samples: size,
    time,
    seriesIndex,
    value,
    maxTimeMs: size > 0 ? time[size - 1] : originMs,
  };
}

/** The key the benchmarks use to match a series with its id in the `series` table. */
export function seriesSpecKey(host: string, name: string, labels: Record<string, string>): string {
  const sorted = Object.keys(labels).sort().map((k) => [k, labels[k]]);
  return `${host}\u0000${name}\u0000${JSON.stringify(sorted)}`;
}
