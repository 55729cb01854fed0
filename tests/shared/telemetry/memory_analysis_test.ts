import assert from "node:assert/strict";
import { analyzeMemory } from "../../../shared/telemetry/memory_analysis.ts";
import { MB, MIN, series, snap, T0 } from "./fixtures.ts";

const HOUR = 60 * MIN;
const STEP = 30_000;

Deno.test("analyzeMemory: flat memory is stable with a zero slope", () => {
  const a = analyzeMemory(series(T0, HOUR, STEP, () => ({})), T0);
  assert.equal(a.verdict, "stable");
  assert.equal(a.rss!.slopeMBPerHour, 0);
  assert.equal(a.heapUsed!.floorSlopeMBPerHour, 0);
  assert.equal(a.window.points, 121);
});

Deno.test("analyzeMemory: a slow leak of 20 MB/h is growing, measured to the MB/h", () => {
  const snaps = series(T0, HOUR, STEP, (dt) => ({
    rssBytes: 100 * MB + 20 * MB * dt / HOUR,
    heapUsedBytes: 50 * MB + 20 * MB * dt / HOUR,
  }));
  const a = analyzeMemory(snaps, T0);
  assert.equal(a.verdict, "growing");
  assert.ok(Math.abs(a.rss!.slopeMBPerHour - 20) < 1e-6);
  assert.ok(Math.abs(a.heapUsed!.floorSlopeMBPerHour - 20) < 0.5);
  assert.match(a.reason, /RSS grows 20 MB\/h/);
});

Deno.test("analyzeMemory: a leak just below the threshold is stable, just above is growing", () => {
  const leak = (mbPerHour: number) =>
    series(T0, HOUR, STEP, (dt) => ({ rssBytes: 100 * MB + mbPerHour * MB * dt / HOUR }));
  assert.equal(analyzeMemory(leak(9.9), T0).verdict, "stable");
  assert.equal(analyzeMemory(leak(10.1), T0).verdict, "growing");
  assert.equal(analyzeMemory(leak(9.9), T0, { growthThresholdMBPerHour: 5 }).verdict, "growing");
});

/** A GC saw-tooth: the heap climbs `amplitude` over each `period`, then drops back to `floor(t)`. */
function sawtooth(periodMs: number, amplitudeMB: number, floorMBPerHour: number) {
  return series(T0, HOUR, STEP, (dt) => {
    const floor = 50 * MB + floorMBPerHour * MB * dt / HOUR;
    const heap = floor + amplitudeMB * MB * ((dt % periodMs) / periodMs);
    return { heapUsedBytes: heap, rssBytes: 150 * MB + floorMBPerHour * MB * dt / HOUR };
  });
}

Deno.test("analyzeMemory: a GC saw-tooth with a flat floor is stable", () => {
  // 10-minute teeth of 100 MB: an hour ending mid-tooth biases the plain fit by ~14 MB/h.
  const snaps = sawtooth(10 * MIN, 100, 0);
  const a = analyzeMemory(snaps, T0);
  assert.ok(
    Math.abs(a.heapUsed!.slopeMBPerHour) > 10,
    `the plain slope alone would mislead: ${a.heapUsed!.slopeMBPerHour}`,
  );
  assert.ok(Math.abs(a.heapUsed!.floorSlopeMBPerHour) < 10);
  assert.equal(a.verdict, "stable");
});

Deno.test("analyzeMemory: a saw-tooth over a rising floor is growing", () => {
  const a = analyzeMemory(sawtooth(10 * MIN, 40, 30), T0);
  assert.equal(a.verdict, "growing");
  assert.ok(a.heapUsed!.floorSlopeMBPerHour > 20);
  assert.ok(a.rss!.growing);
});

Deno.test("analyzeMemory: only the last hour counts", () => {
  // Grew fast two hours ago, flat during the last hour.
  const old = series(
    T0 - 2 * HOUR,
    HOUR,
    STEP,
    (dt) => ({ rssBytes: 50 * MB + 100 * MB * dt / HOUR }),
  );
  const recent = series(T0, HOUR - STEP, STEP, () => ({ rssBytes: 150 * MB }));
  const a = analyzeMemory([...old, ...recent], T0);
  assert.equal(a.verdict, "stable");
  assert.equal(a.window.fromMs, T0 - HOUR);
});

Deno.test("analyzeMemory: too few snapshots or too short a span gives insufficient_data", () => {
  const few = [snap(T0 - 2 * MIN), snap(T0 - MIN), snap(T0)];
  const a = analyzeMemory(few, T0);
  assert.equal(a.verdict, "insufficient_data");
  assert.equal(a.rss, null);
  assert.match(a.reason, /3 snapshots over 2m in the last 1h; at least 10 over 20m are needed/);
  const short = series(T0, 10 * MIN, 10_000, () => ({}));
  assert.equal(analyzeMemory(short, T0).verdict, "insufficient_data");
});

Deno.test("analyzeMemory: snapshots in any order, and later than now, are handled", () => {
  const snaps = series(T0, HOUR, STEP, (dt) => ({ rssBytes: 100 * MB + 30 * MB * dt / HOUR }))
    .reverse();
  snaps.push(snap(T0 + MIN, { rssBytes: 0 }));
  const a = analyzeMemory(snaps, T0);
  assert.equal(a.verdict, "growing");
  assert.equal(a.rss!.lastBytes, 130 * MB);
});
