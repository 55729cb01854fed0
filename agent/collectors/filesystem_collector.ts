/**
 * `disk.total_bytes`, `disk.used_bytes` and `disk.used_pct` per mount (labels `mount`,
 * `device`, `fstype`), from `/proc/self/mountinfo` and `statfs`, as `df` shows them.
 */
import type { Metric } from "../../shared/metric.ts";
import { LIMITS } from "../../shared/metric_names.ts";
import type { Logger } from "../../shared/log.ts";
import type { Counters } from "../counters.ts";
import { errorMessage } from "../errors.ts";
import { type MountInfo, parseMountinfo } from "../proc/parse_mountinfo.ts";
import { filesystemUsage, type StatfsResult } from "../statfs/statfs.ts";
import { StuckMountError } from "../statfs/statfs_guard.ts";
import {
  type Collector,
  type CollectorDeps,
  metricStamper,
  parseText,
  readText,
} from "./collector.ts";
import { DEFAULT_MOUNT_FILTER, type MountFilter, selectMounts } from "./select_mounts.ts";

/** Where the kernel lists this process's mounts. */
export const PROC_MOUNTINFO = "/proc/self/mountinfo";

/** What the filesystem collector needs beyond the common deps. */
export interface FilesystemCollectorDeps extends CollectorDeps {
  /** statfs of the file system of type `fsType` at `path`, bounded by a timeout where it may hang. */
  statfs: (path: string, fsType: string) => Promise<StatfsResult>;
  logger: Logger;
  counters: Counters;
  filter?: MountFilter;
}

type MountResult = { mount: MountInfo; stat: StatfsResult } | null;

/**
 * Reports usage of every selected mount; a failing or stuck mount is skipped, never the tick.
 *
 * The mount table is read every tick but almost never changes: when its text is the same as
 * last time, the mounts selected from it then are used again, without parsing or filtering.
 */
export class FilesystemCollector implements Collector {
  readonly name = "filesystem";
  /** The last mount table parsed without error, and the mounts selected from it. */
  #mountinfo: string | null = null;
  #selected: readonly MountInfo[] = [];

  constructor(private readonly deps: FilesystemCollectorDeps) {}

  /** Reads the mount table, stats every selected mount at once and returns their usage. */
  async collect(): Promise<Metric[]> {
    const text = await readText(this.deps.readFile, "filesystem", PROC_MOUNTINFO);
    const mounts = this.#select(text);
    const metric = metricStamper(this.deps.host, this.deps.now());
    const fitting: MountInfo[] = [];
    for (let i = 0; i < mounts.length; i++) {
      if (this.#labelsFit(mounts[i])) fitting.push(mounts[i]);
    }
    const pending: Promise<MountResult>[] = [];
    for (let i = 0; i < fitting.length; i++) pending.push(this.#stat(fitting[i]));
    const results = await Promise.all(pending);
    const out: Metric[] = [];
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      if (!r || r.stat.blocks === 0) continue; // df hides file systems without blocks too
      const usage = filesystemUsage(r.stat);
      const labels = { mount: r.mount.mountPoint, device: r.mount.source, fstype: r.mount.fsType };
      out.push(metric("disk.total_bytes", usage.totalBytes, labels));
      out.push(metric("disk.used_bytes", usage.usedBytes, labels));
      if (usage.usedPct !== null) out.push(metric("disk.used_pct", usage.usedPct, labels));
    }
    return out;
  }

  /** The mounts to report from mount-table `text`: the previous selection when `text` is unchanged. */
  #select(text: string): readonly MountInfo[] {
    if (text === this.#mountinfo) return this.#selected;
    const selected: MountInfo[] = parseText(
      "filesystem",
      PROC_MOUNTINFO,
      text,
      (t) => selectMounts(parseMountinfo(t), this.deps.filter ?? DEFAULT_MOUNT_FILTER),
    );
    this.#mountinfo = text;
    this.#selected = selected;
    return selected;
  }

  #labelsFit(m: MountInfo): boolean {
    const max = LIMITS.labelValueMaxLength;
    if (m.mountPoint.length <= max && m.source.length <= max && m.fsType.length <= max) return true;
    this.deps.counters.inc("filesystem_mounts_skipped_total", { reason: "label_too_long" });
    this.deps.logger.warn("filesystem: mount skipped: a label is longer than allowed", {
      mount: m.mountPoint.slice(0, max),
      max_length: max,
    });
    return false;
  }

  async #stat(mount: MountInfo): Promise<MountResult> {
    try {
      return { mount, stat: await this.deps.statfs(mount.mountPoint, mount.fsType) };
    } catch (e) {
      this.#reportFailure(mount, e);
      return null;
    }
  }

  #reportFailure(mount: MountInfo, e: unknown): void {
    const { counters, logger } = this.deps;
    const fields = { mount: mount.mountPoint, error: `filesystem: ${errorMessage(e)}` };
    if (e instanceof StuckMountError) {
      counters.inc("filesystem_mounts_skipped_total", { reason: "stuck" });
      if (e.alreadyStuck) logger.debug("filesystem: mount still stuck, skipped", fields);
      else logger.warn("filesystem: statfs timed out; mount skipped until it answers", fields);
      return;
    }
    counters.inc("filesystem_mounts_skipped_total", { reason: "statfs_error" });
    logger.warn("filesystem: statfs failed; mount skipped", fields);
  }
}
