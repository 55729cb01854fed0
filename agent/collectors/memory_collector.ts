/** `mem.total_bytes`, `mem.used_bytes` and `mem.used_pct` from `/proc/meminfo`. */
import type { Metric } from "../../shared/metric.ts";
import { parseMeminfoKeys } from "../proc/parse_meminfo.ts";
import { type Collector, type CollectorDeps, metricStamper, readParsed } from "./collector.ts";

/** Where the kernel publishes memory counters. */
export const PROC_MEMINFO = "/proc/meminfo";

/** The only meminfo keys `memoryUsage` reads. */
const USAGE_KEYS = ["MemTotal", "MemAvailable"] as const;

/** Memory in use is what is not available (MemAvailable, kernel 3.14+), as `free` shows it. */
export interface MemoryUsage {
  totalBytes: number;
  usedBytes: number;
  usedPct: number;
}

/** Computes usage from parsed meminfo; throws when a needed field is missing. */
export function memoryUsage(info: ReadonlyMap<string, number>): MemoryUsage {
  const total = info.get("MemTotal");
  const available = info.get("MemAvailable");
  if (total === undefined) throw new Error("MemTotal missing");
  if (available === undefined) throw new Error("MemAvailable missing (kernel older than 3.14?)");
  if (total <= 0) throw new Error("MemTotal is 0");
  const used = Math.max(0, total - available);
  return { totalBytes: total, usedBytes: used, usedPct: used / total * 100 };
}

/** Reports memory usage on every call. */
export class MemoryCollector implements Collector {
  readonly name = "memory";

  constructor(private readonly deps: CollectorDeps) {}

  /** Reads `/proc/meminfo` and returns the three memory metrics. */
  async collect(): Promise<Metric[]> {
    const usage: MemoryUsage = await readParsed(
      this.deps.readFile,
      "memory",
      PROC_MEMINFO,
      (t) => memoryUsage(parseMeminfoKeys(t, USAGE_KEYS)),
    );
    const metric = metricStamper(this.deps.host, this.deps.now());
    return [
      metric("mem.total_bytes", usage.totalBytes),
      metric("mem.used_bytes", usage.usedBytes),
      metric("mem.used_pct", usage.usedPct),
    ];
  }
}
