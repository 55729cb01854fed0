/**
 * Hot micro-timings of what one agent tick spends its own CPU on, meant to run the way the
 * agent runs: with `--jitless`, every bytecode is interpreted, so these figures (not the JIT
 * ones `deno bench` shows) are what the agent's CPU per hour is made of.
 *
 * Each `/proc` parser runs over the real file of this machine (read once), then one full
 * `registry.collectAll()` is timed as built by real_registry.ts, and one real tick's request
 * body is gzip'd by each engine (agent/gzip.ts). Figures are µs per call,
 * the median of 5 rounds of `iterations` calls after 50 warm-ups.
 *
 * Run (from the repository root):
 * `deno run -A --no-code-cache --v8-flags=--jitless,--no-memory-reducer,--single-threaded-gc bench/tick/jitless_micro.ts [iterations]`
 */
import { parseDiskstats } from "../../agent/proc/parse_diskstats.ts";
import { parseLoadavg } from "../../agent/proc/parse_loadavg.ts";
import { parseMeminfo } from "../../agent/proc/parse_meminfo.ts";
import { parseMountinfo } from "../../agent/proc/parse_mountinfo.ts";
import { parseNetDev } from "../../agent/proc/parse_net_dev.ts";
import { parseProcStat } from "../../agent/proc/parse_proc_stat.ts";
import { realTickRegistry } from "./real_registry.ts";
import { nodeGzipSync } from "../../agent/gzip.ts";
import { LibzGzip } from "../../agent/libz_gzip.ts";
import { metricRecord } from "../../agent/metric_records.ts";

const WARM_UPS = 50;
const ROUNDS = 5;
const iterations = Number(Deno.args[0] ?? 2000);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** µs per call of a synchronous function. */
function timeSync(fn: () => unknown): number {
  for (let i = 0; i < WARM_UPS; i++) fn();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) fn();
    rounds.push((performance.now() - t0) * 1000 / iterations);
  }
  return median(rounds);
}

/** µs per call of an asynchronous function, awaited one at a time. */
async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < WARM_UPS; i++) await fn();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) await fn();
    rounds.push((performance.now() - t0) * 1000 / iterations);
  }
  return median(rounds);
}

const files = {
  meminfo: Deno.readTextFileSync("/proc/meminfo"),
  mountinfo: Deno.readTextFileSync("/proc/self/mountinfo"),
  diskstats: Deno.readTextFileSync("/proc/diskstats"),
  stat: Deno.readTextFileSync("/proc/stat"),
  netDev: Deno.readTextFileSync("/proc/net/dev"),
  loadavg: Deno.readTextFileSync("/proc/loadavg"),
};

const rows: Array<[string, number]> = [
  ["parseMeminfo", timeSync(() => parseMeminfo(files.meminfo))],
  ["parseMountinfo", timeSync(() => parseMountinfo(files.mountinfo))],
  ["parseDiskstats", timeSync(() => parseDiskstats(files.diskstats))],
  ["parseProcStat", timeSync(() => parseProcStat(files.stat))],
  ["parseNetDev", timeSync(() => parseNetDev(files.netDev))],
  ["parseLoadavg", timeSync(() => parseLoadavg(files.loadavg))],
];
const registry = await realTickRegistry();
rows.push(["registry.collectAll()", await timeAsync(() => registry.collectAll())]);
// A live request body: one real tick's batch as the spool stores it, gzip'd both ways.
const metrics = await registry.collectAll();
const { payload } = metricRecord({ id: "bench", host: "bench", metrics });
const libz = LibzGzip.open();
rows.push([`gzip ${payload.length} B node:zlib`, timeSync(() => nodeGzipSync(payload))]);
rows.push([`gzip ${payload.length} B libz`, timeSync(() => libz.gzip(payload))]);
libz.close();

console.log(`per call, median of ${ROUNDS} rounds of ${iterations} after ${WARM_UPS} warm-ups:`);
for (const [name, us] of rows) console.log(`  ${name.padEnd(24)} ${us.toFixed(1).padStart(8)} µs`);
