/**
 * Process metrics of either program: CPU seconds, resident memory, V8 heap, GC pauses,
 * event-loop lag, open file descriptors, start time, and version/build info.
 *
 * prom-client's default metrics were checked one by one under Deno 2.9.6:
 *
 * | default metric | under Deno | here |
 * |---|---|---|
 * | `process_cpu_*_seconds_total`, `process_start_time_seconds` | correct | kept |
 * | `nodejs_eventloop_lag_*` (monitorEventLoopDelay) | correct | kept |
 * | `nodejs_heap_size_*`, `nodejs_external_memory_bytes`, `nodejs_heap_space_*` | correct | kept |
 * | `process_resident_memory_bytes`, `process_virtual_memory_bytes`, `process_heap_bytes` (read `/proc/self/status`) | **0** unless run with `--allow-all`: Deno refuses every `/proc` read otherwise | replaced: `process_resident_memory_bytes` from `process.memoryUsage().rss`, which needs no permission; the other two dropped |
 * | `process_open_fds`, `process_max_fds` (read `/proc/self/fd`, `/proc/self/limits`) | correct with `--allow-all`, else 0 / missing | kept when `/proc/self/fd` is readable (`procFdReadable`: the agent); else left out and named in `unavailable`, and the server puts back the same gauges counted by `ls` and `getconf` (open_fds.ts, `registerFdFallback`) |
 * | `nodejs_gc_duration_seconds` (PerformanceObserver `gc`) | **never observes anything** | replaced by the same histogram fed by `v8.GCProfiler` (gc_tracker.ts) |
 * | `nodejs_version_info` | reports Deno's Node-compatibility version (e.g. v26.3.0), not the runtime | replaced by `miniobserv_build_info` |
 * | `nodejs_active_handles*`, `nodejs_active_requests*`, `nodejs_active_resources*` | always empty (Deno has no libuv handles); their `_total` gauges fail `promtool check metrics` | dropped |
 *
 * Every name carries the `miniobserv_` prefix.
 *
 * @example
 * ```ts
 * const proc = registerProcessMetrics(registry, { program: "server", version: VERSION, runtimeVersion: Deno.version.deno, procFdReadable: canReadProcSelfFd() });
 * proc.gc.harvest();
 * ```
 */
import { Gauge, Histogram, Registry } from "./prom.ts";
// prom-client's default metrics one by one (collectDefaultMetrics would also start an
// event-loop monitor, which a program measuring lag from its own timers must not pay for).
import eventLoopLag from "prom-client/lib/metrics/eventLoopLag.js";
import heapSizeAndUsed from "prom-client/lib/metrics/heapSizeAndUsed.js";
import heapSpacesSizeAndUsed from "prom-client/lib/metrics/heapSpacesSizeAndUsed.js";
import processCpuTotal from "prom-client/lib/metrics/processCpuTotal.js";
import processMaxFileDescriptors from "prom-client/lib/metrics/processMaxFileDescriptors.js";
import processOpenFileDescriptors from "prom-client/lib/metrics/processOpenFileDescriptors.js";
import processStartTime from "prom-client/lib/metrics/processStartTime.js";
import type { LagStats } from "./timer_lag.ts";
import { createV8GcProfiler, type GcProfilerLike, GcTracker } from "./gc_tracker.ts";
import { METRIC_PREFIX } from "./names.ts";

/** Memory figures as `process.memoryUsage()` / `Deno.memoryUsage()` give them, in bytes. */
export interface MemoryUsage {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/** prom-client defaults kept as they are (without the prefix). */
export const ADOPTED_DEFAULT_METRICS = [
  "process_cpu_user_seconds_total",
  "process_cpu_system_seconds_total",
  "process_cpu_seconds_total",
  "process_start_time_seconds",
  "nodejs_eventloop_lag_seconds",
  "nodejs_eventloop_lag_min_seconds",
  "nodejs_eventloop_lag_max_seconds",
  "nodejs_eventloop_lag_mean_seconds",
  "nodejs_eventloop_lag_stddev_seconds",
  "nodejs_eventloop_lag_p50_seconds",
  "nodejs_eventloop_lag_p90_seconds",
  "nodejs_eventloop_lag_p99_seconds",
  "nodejs_heap_size_total_bytes",
  "nodejs_heap_size_used_bytes",
  "nodejs_external_memory_bytes",
  "nodejs_heap_space_size_total_bytes",
  "nodejs_heap_space_size_used_bytes",
  "nodejs_heap_space_size_available_bytes",
] as const;

/** prom-client defaults kept only when `/proc/self/fd` can be read. */
export const FD_DEFAULT_METRICS = ["process_open_fds", "process_max_fds"] as const;

/** The `unavailable` entry when `/proc/self/fd` cannot be read and nothing stands in for it. */
export const FD_UNAVAILABLE =
  "process_open_fds, process_max_fds: /proc/self/fd cannot be read (Deno allows /proc only with --allow-all) and `ls` may not be run (--allow-run=ls,getconf)";

/** Buckets of the GC pause histogram, in seconds (a scavenge takes well under a millisecond). */
export const GC_BUCKETS_SECONDS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

/** Options of `registerProcessMetrics`. */
export interface ProcessMetricsOptions {
  /** Which program: the `program` label of `miniobserv_build_info`. */
  program: string;
  /** MiniObserv's version. */
  version: string;
  /** The runtime's version (`Deno.version.deno`). */
  runtimeVersion: string;
  /** Whether `/proc/self/fd` can be read (see `canReadProcSelfFd`). */
  procFdReadable: boolean;
  /** Default `process.memoryUsage()`. */
  memoryUsage?: () => MemoryUsage;
  /** Default V8's `GCProfiler`; null disables GC measurement. */
  gcProfiler?: GcProfilerLike | null;
  /**
   * Where the `nodejs_eventloop_lag_*` gauges come from: by default prom-client's
   * `monitorEventLoopDelay` (a 10 ms sampling timer); given a source (a `TimerLagRecorder`,
   * read and reset at each scrape), the same gauges from it and no sampling timer at all.
   */
  eventLoopLag?: { scrape(): LagStats | null };
}

/** What `registerProcessMetrics` hands back. */
export interface ProcessMetrics {
  /** The GC tracker feeding the pause histogram; harvest it periodically. */
  gc: GcTracker;
  /** Memory figures, the same function the metrics read. */
  memoryUsage: () => MemoryUsage;
  /**
   * Process metrics this runtime cannot provide, each with the reason (`registerFdFallback`
   * in open_fds.ts updates it when it registers the descriptor gauges).
   */
  unavailable: string[];
}

function defaultMemoryUsage(): MemoryUsage {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
}

/** Registers every process metric on `registry`; see the module comment for what and why. */
export function registerProcessMetrics(
  registry: Registry,
  opts: ProcessMetricsOptions,
): ProcessMetrics {
  const scratch = new Registry();
  const defaults = { prefix: METRIC_PREFIX, eventLoopMonitoringPrecision: 10 };
  for (
    const register of [processCpuTotal, processStartTime, heapSizeAndUsed, heapSpacesSizeAndUsed]
  ) {
    register(scratch, defaults);
  }
  if (opts.procFdReadable) {
    processOpenFileDescriptors(scratch, defaults);
    processMaxFileDescriptors(scratch, defaults);
  }
  if (opts.eventLoopLag) registerTimerLagGauges(scratch, opts.eventLoopLag);
  else eventLoopLag(scratch, defaults);
  const adopt = [...ADOPTED_DEFAULT_METRICS, ...(opts.procFdReadable ? FD_DEFAULT_METRICS : [])];
  for (const name of adopt) {
    const metric = scratch.getSingleMetric(METRIC_PREFIX + name);
    if (metric) registry.registerMetric(metric);
  }
  const unavailable: string[] = [];
  if (!opts.procFdReadable) unavailable.push(FD_UNAVAILABLE);

  const memoryUsage = opts.memoryUsage ?? defaultMemoryUsage;
  new Gauge({
    name: `${METRIC_PREFIX}process_resident_memory_bytes`,
    help: "Resident memory size in bytes.",
    registers: [registry],
    collect() {
      this.set(memoryUsage().rss);
    },
  });

  new Gauge({
    name: `${METRIC_PREFIX}build_info`,
    help: "Always 1; the labels name the program, its version and the runtime's version.",
    labelNames: ["program", "version", "runtime", "runtime_version"] as const,
    registers: [registry],
  }).set({
    program: opts.program,
    version: opts.version,
    runtime: "deno",
    runtime_version: opts.runtimeVersion,
  }, 1);

  const gcHistogram = new Histogram({
    name: `${METRIC_PREFIX}nodejs_gc_duration_seconds`,
    help:
      "Garbage collection pauses by kind (minor, major, incremental, weakcb), from V8's GC profiler.",
    labelNames: ["kind"] as const,
    buckets: GC_BUCKETS_SECONDS,
    registers: [registry],
    collect() {
      gc.harvest();
    },
  });
  const profiler = opts.gcProfiler === undefined ? createV8GcProfiler() : opts.gcProfiler;
  const gc = new GcTracker({
    profiler,
    onPause: (kind, seconds) => gcHistogram.observe({ kind }, seconds),
  });
  if (!gc.available) {
    unavailable.push("nodejs_gc_duration_seconds: this runtime has no GC profiler");
  }
  return { gc, memoryUsage, unavailable };
}

/** The `nodejs_eventloop_lag_*` gauges (prom-client's names and meanings) from a timer-lag source. */
function registerTimerLagGauges(registry: Registry, source: { scrape(): LagStats | null }): void {
  const gauges: [string, keyof LagStats, string][] = [
    ["nodejs_eventloop_lag_seconds", "lastSeconds", "Lag of event loop in seconds."],
    ["nodejs_eventloop_lag_min_seconds", "minSeconds", "The minimum recorded event loop delay."],
    ["nodejs_eventloop_lag_max_seconds", "maxSeconds", "The maximum recorded event loop delay."],
    [
      "nodejs_eventloop_lag_mean_seconds",
      "meanSeconds",
      "The mean of the recorded event loop delays.",
    ],
    [
      "nodejs_eventloop_lag_stddev_seconds",
      "stddevSeconds",
      "The standard deviation of the recorded event loop delays.",
    ],
    [
      "nodejs_eventloop_lag_p50_seconds",
      "p50Seconds",
      "The 50th percentile of the recorded event loop delays.",
    ],
    [
      "nodejs_eventloop_lag_p90_seconds",
      "p90Seconds",
      "The 90th percentile of the recorded event loop delays.",
    ],
    [
      "nodejs_eventloop_lag_p99_seconds",
      "p99Seconds",
      "The 99th percentile of the recorded event loop delays.",
    ],
  ];
  const made: { key: keyof LagStats; gauge: Gauge }[] = [];
  gauges.forEach(([name, key, help], i) => {
    made.push({
      key,
      gauge: new Gauge({
        name: METRIC_PREFIX + name,
        help: `${help} Measured as how late the program's own timers fired since the last scrape.`,
        registers: [registry],
        // The first gauge's collect reads (and resets) the window once for all eight.
        collect: i === 0
          ? () => {
            const stats = source.scrape();
            if (stats) { for (const m of made) m.gauge.set(stats[m.key]); }
          }
          : undefined,
      }),
    });
  });
}

/** True when `/proc/self/fd` can be listed (Deno needs `--allow-all` for any `/proc` read). */
export function canReadProcSelfFd(
  readDirSync: (path: string) => unknown = Deno.readDirSync,
): boolean {
  try {
    const it = readDirSync("/proc/self/fd") as Iterable<unknown>;
    for (const _ of it) break;
    return true;
  } catch {
    return false;
  }
}
