import assert from "node:assert/strict";
import { Registry } from "prom-client";
import {
  ADOPTED_DEFAULT_METRICS,
  canReadProcSelfFd,
  registerProcessMetrics,
} from "../../../shared/telemetry/process_metrics.ts";
import {
  lintMetricFamilies,
  type MetricFamilyDescription,
} from "../../../shared/telemetry/names.ts";

const MEM = { rss: 123_000_000, heapUsed: 1, heapTotal: 2, external: 3 };

function register(procFdReadable: boolean) {
  const registry = new Registry();
  const pending: { gcType: string; cost: number }[] = [];
  const proc = registerProcessMetrics(registry, {
    program: "server",
    version: "9.9.9",
    runtimeVersion: "2.9.6",
    procFdReadable,
    memoryUsage: () => MEM,
    gcProfiler: {
      start() {},
      stop: () => ({ statistics: pending.splice(0) }),
    },
  });
  return { registry, proc, pending };
}

Deno.test("process metrics: the issue's set, prefixed, each one present", async () => {
  const { registry } = register(true);
  const names = registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name);
  for (
    const n of [
      "miniobserv_process_cpu_seconds_total",
      "miniobserv_process_resident_memory_bytes",
      "miniobserv_nodejs_heap_size_used_bytes",
      "miniobserv_nodejs_gc_duration_seconds",
      "miniobserv_nodejs_eventloop_lag_p99_seconds",
      "miniobserv_process_open_fds",
      "miniobserv_process_start_time_seconds",
      "miniobserv_build_info",
    ]
  ) assert.ok(names.includes(n), n);
  for (const n of ADOPTED_DEFAULT_METRICS) assert.ok(names.includes(`miniobserv_${n}`), n);
  const text = await registry.metrics();
  assert.match(text, /^miniobserv_process_resident_memory_bytes 123000000$/m);
  assert.match(
    text,
    /^miniobserv_build_info\{program="server",version="9\.9\.9",runtime="deno",runtime_version="2\.9\.6"\} 1$/m,
  );
});

Deno.test("process metrics: the defaults that misbehave under Deno are left out", () => {
  const { registry } = register(true);
  const names = registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name);
  for (
    const bad of [
      "miniobserv_nodejs_active_handles_total",
      "miniobserv_nodejs_active_requests_total",
      "miniobserv_nodejs_active_resources_total",
      "miniobserv_nodejs_version_info",
      "miniobserv_process_virtual_memory_bytes",
      "miniobserv_process_heap_bytes",
    ]
  ) assert.ok(!names.includes(bad), bad);
});

Deno.test("process metrics: without /proc access the fd metrics are left out and said so", () => {
  const { registry, proc } = register(false);
  assert.equal(registry.getSingleMetric("miniobserv_process_open_fds"), undefined);
  assert.match(proc.unavailable[0], /process_open_fds.*--allow-all/);
});

Deno.test("process metrics: GC pauses from the profiler land in the histogram at scrape", async () => {
  const { registry, pending } = register(true);
  pending.push({ gcType: "Scavenge", cost: 300_000 }, { gcType: "MarkSweepCompact", cost: 20e6 });
  const text = await registry.metrics();
  assert.match(text, /^miniobserv_nodejs_gc_duration_seconds_count\{kind="minor"\} 1$/m);
  assert.match(text, /^miniobserv_nodejs_gc_duration_seconds_sum\{kind="major"\} 0\.02$/m);
});

Deno.test("process metrics: every name follows the conventions", async () => {
  const { registry } = register(true);
  const families = await registry.getMetricsAsJSON() as unknown as MetricFamilyDescription[];
  assert.deepEqual(lintMetricFamilies(families), []);
});

Deno.test("canReadProcSelfFd: true when listing works, false when it throws", () => {
  assert.equal(canReadProcSelfFd(() => [1, 2]), true);
  assert.equal(
    canReadProcSelfFd(() => {
      throw new Error("NotCapable");
    }),
    false,
  );
});
