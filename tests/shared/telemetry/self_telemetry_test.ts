import assert from "node:assert/strict";
import { createSelfTelemetry } from "../../../shared/telemetry/self_telemetry.ts";
import { ManualTimers, settle } from "./fakes.ts";
import { T0 } from "./fixtures.ts";

Deno.test("createSelfTelemetry: process metrics, periodic snapshots and a report of this moment", async () => {
  const clock = { now: T0 };
  const timers = new ManualTimers();
  const self = createSelfTelemetry({
    program: "agent",
    version: "0.1.0",
    runtimeVersion: "2.9.6",
    procFdReadable: false,
    intervalMs: 30_000,
    signalNames: ["miniobserv_build_info"],
    now: () => clock.now,
    timers,
    gcProfiler: null,
    lag: null,
    memoryUsage: () => ({ rss: 5, heapUsed: 4, heapTotal: 3, external: 2 }),
  });
  self.start();
  await settle();
  clock.now += 30_000;
  timers.fire(30_000);
  await settle();
  clock.now += 1_000;
  const report = await self.report({ snapshotLimit: 1 });
  self.stop();
  assert.equal(report.program, "agent");
  assert.equal(report.snapshotsTotal, 2);
  assert.equal(report.snapshots.length, 1);
  assert.equal(report.current.at, T0 + 31_000);
  assert.equal(report.uptimeSeconds, 31);
  assert.equal(report.current.rssBytes, 5);
  assert.deepEqual(report.current.signals, {
    miniobserv_build_info: {
      'program="agent",runtime="deno",runtime_version="2.9.6",version="0.1.0"': 1,
    },
  });
  assert.ok(report.metrics.some((f) => f.name === "miniobserv_process_cpu_seconds_total"));
  assert.ok(report.unavailable.some((u) => u.startsWith("process_open_fds")));
  assert.ok(report.unavailable.some((u) => u.startsWith("nodejs_gc_duration_seconds")));
  assert.equal(timers.active.size, 0, "stopped");
});
