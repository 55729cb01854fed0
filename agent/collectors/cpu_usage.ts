/** CPU usage between two `/proc/stat` samples, as node_exporter and `top` count it. */
import type { CpuTimes } from "../proc/parse_proc_stat.ts";

/** Time doing work: guest time is already inside user and nice, so it is not added again. */
export function busyTicks(t: CpuTimes): number {
  return t.user + t.nice + t.system + t.irq + t.softirq;
}

/** All time: busy plus idle, iowait and steal (never guest or guest_nice). */
export function totalTicks(t: CpuTimes): number {
  return busyTicks(t) + t.idle + t.iowait + t.steal;
}

/**
 * Busy share of the elapsed ticks, in percent; null when any counter went backwards or no
 * tick elapsed, so a reset or a hot-plugged core never shows as a spike.
 */
export function cpuUsagePct(prev: CpuTimes, cur: CpuTimes): number | null {
  for (const key of Object.keys(cur) as Array<keyof CpuTimes>) {
    if (cur[key] < prev[key]) return null;
  }
  const total = totalTicks(cur) - totalTicks(prev);
  if (total <= 0) return null;
  return (busyTicks(cur) - busyTicks(prev)) / total * 100;
}
