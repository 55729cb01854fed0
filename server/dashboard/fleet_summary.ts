/**
 * One row of the overview per host, from the hosts table and the newest summary values:
 * status, last seen, CPU, memory, the fullest disk and network traffic summed over
 * interfaces. Pure, so the arithmetic is tested without a database.
 */
import { type HostStatus, hostStatus, type StatusThresholds } from "../http/host_status.ts";
import type { HostRecord } from "../storage/metric_store.ts";
import type { LatestSample } from "./fleet_reader.ts";

/** A host as the overview shows it; times in epoch milliseconds, rates in bytes per second. */
export interface HostSummary {
  host: string;
  status: HostStatus;
  last_seen: number;
  agent_version: string | null;
  cpu_pct: number | null;
  mem_pct: number | null;
  mem_used_bytes: number | null;
  mem_total_bytes: number | null;
  /** The fullest mount's usage and its mount point. */
  disk_pct: number | null;
  disk_mount: string | null;
  net_in: number | null;
  net_out: number | null;
  /** Time of the newest of these values. */
  values_at: number | null;
}

/** An empty summary for `record`, before any value is known. */
function emptySummary(r: HostRecord, now: number, t: StatusThresholds): HostSummary {
  const lastSeen = r.lastSeen.getTime();
  return {
    host: r.host,
    status: hostStatus(lastSeen, now, t),
    last_seen: lastSeen,
    agent_version: r.agentVersion,
    cpu_pct: null,
    mem_pct: null,
    mem_used_bytes: null,
    mem_total_bytes: null,
    disk_pct: null,
    disk_mount: null,
    net_in: null,
    net_out: null,
    values_at: null,
  };
}

/**
 * Summaries of `hosts` (in their order) from `latest`; values of hosts not in `hosts`
 * (retired) are ignored.
 */
export function summarizeFleet(
  hosts: readonly HostRecord[],
  latest: readonly LatestSample[],
  now: number,
  thresholds: StatusThresholds,
): HostSummary[] {
  const byHost = new Map<string, HostSummary>();
  for (const h of hosts) byHost.set(h.host, emptySummary(h, now, thresholds));
  for (const s of latest) {
    const row = byHost.get(s.host);
    if (!row) continue;
    row.values_at = Math.max(row.values_at ?? s.time, s.time);
    switch (s.name) {
      case "cpu.usage_pct":
        if (s.labels.core === "total") row.cpu_pct = s.value;
        break;
      case "mem.used_pct":
        row.mem_pct = s.value;
        break;
      case "mem.used_bytes":
        row.mem_used_bytes = s.value;
        break;
      case "mem.total_bytes":
        row.mem_total_bytes = s.value;
        break;
      case "disk.used_pct": {
        const mount = s.labels.mount ?? s.labels.device ?? "?";
        if (
          row.disk_pct === null || s.value > row.disk_pct ||
          (s.value === row.disk_pct && mount < (row.disk_mount ?? ""))
        ) {
          row.disk_pct = s.value;
          row.disk_mount = mount;
        }
        break;
      }
      case "net.bytes_in":
        row.net_in = (row.net_in ?? 0) + s.value;
        break;
      case "net.bytes_out":
        row.net_out = (row.net_out ?? 0) + s.value;
        break;
    }
  }
  return [...byHost.values()];
}
