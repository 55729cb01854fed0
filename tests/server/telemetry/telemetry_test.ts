import assert from "node:assert/strict";
import { createServerTelemetry } from "../../../server/telemetry/telemetry.ts";
import { validToken } from "../http/tokens.ts";
import { ManualTimers, settle } from "../../shared/telemetry/fakes.ts";
import { instrumentedApp, NOW } from "./helpers.ts";

Deno.test("server telemetry: a refused batch shows in /api/v1/self as advice, with the snapshots", async () => {
  const clock = { now: NOW };
  const timers = new ManualTimers();
  const telemetry = createServerTelemetry({
    version: "0.1.0",
    runtimeVersion: "2.9.6",
    procFdReadable: false,
    snapshotIntervalMs: 30_000,
    now: () => clock.now,
    timers,
    gcProfiler: null,
    lag: null,
  });
  telemetry.start();
  await settle();
  const app = instrumentedApp({ telemetry, now: () => clock.now });
  const res = await app.request("/api/v1/metrics", {
    method: "POST",
    body: "{}",
    headers: { "content-type": "application/json" },
  });
  assert.equal(res.status, 401);
  clock.now += 30_000;
  timers.fire(30_000);
  await settle();
  const self = await app.request("/api/v1/self", {
    headers: { authorization: `Bearer ${await validToken("cli", "read", clock.now)}` },
  });
  const report = await self.json();
  telemetry.stop();
  assert.equal(report.snapshotsTotal, 2);
  assert.deepEqual(report.advice.map((a: { id: string }) => a.id), ["ingest_rejecting"]);
  assert.match(report.advice[0].message, /refused 1 batch .*unauthorized 1/);
  const rejected = report.metrics.find((f: { name: string }) =>
    f.name === "miniobserv_ingest_batches_rejected_total"
  );
  assert.deepEqual(
    rejected.series.filter((s: { value: number }) => s.value > 0),
    [{ labels: { kind: "metrics", reason: "unauthorized" }, value: 1 }],
  );
});

Deno.test("server telemetry: without /proc/self/fd the fd gauges come from the fd reader", async () => {
  const telemetry = createServerTelemetry({
    version: "0.1.0",
    runtimeVersion: "2.9.6",
    procFdReadable: false,
    fdReader: { openFds: () => Promise.resolve(31), maxFds: () => Promise.resolve(65536) },
    snapshotIntervalMs: 30_000,
    now: () => NOW,
    timers: new ManualTimers(),
    gcProfiler: null,
    lag: null,
  });
  const text = await telemetry.registry.metrics();
  assert.match(text, /^miniobserv_process_open_fds 31$/m);
  assert.match(text, /^miniobserv_process_max_fds 65536$/m);
  const report = await telemetry.report();
  assert.deepEqual(report.unavailable.filter((u) => u.includes("fds")), []);
  telemetry.stop();
});
