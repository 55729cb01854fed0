/** `disk.read_bytes` and `disk.write_bytes` per whole disk, in bytes per second, from `/proc/diskstats`. */
import type { Metric } from "../../shared/metric.ts";
import { type DiskCounters, parseDiskstats } from "../proc/parse_diskstats.ts";
import { type Collector, type CollectorDeps, metricStamper, readParsed } from "./collector.ts";
import { DEFAULT_DISK_DEVICES_EXCLUDE, DISKSTATS_SECTOR_BYTES } from "./defaults.ts";
import { RateTracker } from "./rate_tracker.ts";

/** Where the kernel publishes block-device counters. */
export const PROC_DISKSTATS = "/proc/diskstats";

/** Reports disk throughput since the previous call; the first call seeds, a reset skips a tick. */
export class DiskIoCollector implements Collector {
  readonly name = "diskio";
  #rates = new RateTracker();

  constructor(
    private readonly deps: CollectorDeps,
    private readonly deviceExclude: RegExp = DEFAULT_DISK_DEVICES_EXCLUDE,
  ) {}

  /** Reads `/proc/diskstats` and returns rates for every whole disk seen twice. */
  async collect(): Promise<Metric[]> {
    const disks: DiskCounters[] = await readParsed(
      this.deps.readFile,
      "diskio",
      PROC_DISKSTATS,
      parseDiskstats,
    );
    const timeMs = this.deps.now();
    const metric = metricStamper(this.deps.host, timeMs);
    const out: Metric[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < disks.length; i++) {
      const d = disks[i];
      if (this.deviceExclude.test(d.device)) continue;
      seen.add(d.device);
      const rates = this.#rates.update(d.device, [d.sectorsRead, d.sectorsWritten], timeMs);
      if (!rates) continue;
      out.push(metric("disk.read_bytes", rates[0] * DISKSTATS_SECTOR_BYTES, { device: d.device }));
      out.push(metric("disk.write_bytes", rates[1] * DISKSTATS_SECTOR_BYTES, { device: d.device }));
    }
    this.#rates.retainOnly(seen);
    return out;
  }
}
