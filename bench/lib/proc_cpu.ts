/**
 * CPU time of processes from `/proc`, so a benchmark can say where the CPU went (load
 * generator, MiniObserv server, PostgreSQL) on a machine where all three share the cores.
 * Linux only; every function answers null where `/proc` cannot be read.
 */

/** Clock ticks per second of `/proc/<pid>/stat` (USER_HZ, 100 on every Linux we target). */
const CLOCK_TICKS = 100;

/** utime + stime of a `/proc/<pid>/stat` line, in seconds; null when it does not parse. */
export function parseStatCpuSeconds(stat: string): number | null {
  // The command name (field 2) may contain spaces; fields after its closing ")" are plain.
  const close = stat.lastIndexOf(")");
  if (close < 0) return null;
  const fields = stat.slice(close + 2).split(" ");
  // After ")" come state (3), ppid (4) … utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return (utime + stime) / CLOCK_TICKS;
}

/** CPU seconds used so far by process `pid` (or `self`). */
export function processCpuSeconds(pid: number | "self"): number | null {
  try {
    return parseStatCpuSeconds(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return null;
  }
}

/** CPU seconds used so far by every live process whose command is `comm` (e.g. `postgres`). */
export function commandCpuSeconds(comm: string): number | null {
  let total = 0;
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      let stat: string;
      try {
        stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      } catch {
        continue; // exited meanwhile
      }
      const open = stat.indexOf("(");
      const close = stat.lastIndexOf(")");
      if (stat.slice(open + 1, close) !== comm) continue;
      total += parseStatCpuSeconds(stat) ?? 0;
    }
  } catch {
    return null;
  }
  return total;
}

/** CPU seconds of the three parties of a benchmark at one instant. */
export interface CpuSnapshot {
  client: number | null;
  server: number | null;
  postgres: number | null;
}

/** Snapshots this process, the server child `serverPid` (if any) and all `postgres` processes. */
export function cpuSnapshot(serverPid?: number): CpuSnapshot {
  return {
    client: processCpuSeconds("self"),
    server: serverPid === undefined ? null : processCpuSeconds(serverPid),
    postgres: commandCpuSeconds("postgres"),
  };
}

/** CPU seconds used by each party between two snapshots. */
export function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): CpuSnapshot {
  // A process that exits in between takes its CPU time with it: never report a negative.
  const d = (x: number | null, y: number | null) =>
    x === null || y === null ? null : Math.max(0, y - x);
  return {
    client: d(a.client, b.client),
    server: d(a.server, b.server),
    postgres: d(a.postgres, b.postgres),
  };
}
