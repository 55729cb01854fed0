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

/**
 * The runtime of every live thread of `pid` in nanoseconds, by thread id, from the first
 * field of `/proc/<pid>/task/<tid>/schedstat` (the scheduler's exact sum, where
 * `/proc/<pid>/stat` prints 10 ms units). A thread that exits takes its share with it, so
 * compare two readings with `threadCpuSeconds`. Null where it cannot be read.
 */
export function threadRuntimesNs(pid: number): Map<number, number> | null {
  const out = new Map<number, number>();
  try {
    for (const entry of Deno.readDirSync(`/proc/${pid}/task`)) {
      try {
        const first = Deno.readTextFileSync(`/proc/${pid}/task/${entry.name}/schedstat`)
          .split(" ")[0];
        out.set(Number(entry.name), Number(first));
      } catch {
        continue; // exited meanwhile
      }
    }
  } catch {
    return null;
  }
  return out;
}

/**
 * CPU seconds between two readings of `threadRuntimesNs`; null when a thread of the first
 * is gone by the second (its runtime is then lost, so the exact figure is not whole).
 */
export function threadCpuSeconds(
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
): number | null {
  let ns = 0;
  for (const [tid, t1] of after) ns += t1 - (before.get(tid) ?? 0);
  for (const tid of before.keys()) if (!after.has(tid)) return null;
  return ns / 1e9;
}
