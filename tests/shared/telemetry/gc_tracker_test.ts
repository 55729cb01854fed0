import assert from "node:assert/strict";
import {
  createV8GcProfiler,
  gcKind,
  type GcProfilerEntry,
  GcTracker,
} from "../../../shared/telemetry/gc_tracker.ts";

class FakeProfiler {
  pending: GcProfilerEntry[] = [];
  running = false;
  starts = 0;
  start() {
    this.running = true;
    this.starts++;
  }
  stop() {
    this.running = false;
    const statistics = this.pending;
    this.pending = [];
    return { statistics };
  }
}

Deno.test("gcKind: V8 collection types map to prom-client's kinds", () => {
  assert.equal(gcKind("Scavenge"), "minor");
  assert.equal(gcKind("MinorMarkSweep"), "minor");
  assert.equal(gcKind("MarkSweepCompact"), "major");
  assert.equal(gcKind("IncrementalMarking"), "incremental");
  assert.equal(gcKind("ProcessWeakCallbacks"), "weakcb");
  assert.equal(gcKind("Something"), "other");
});

Deno.test("GcTracker: harvests pauses (ns → s), totals them, restarts the profiler", () => {
  const p = new FakeProfiler();
  const seen: [string, number][] = [];
  const gc = new GcTracker({ profiler: p, onPause: (k, s) => seen.push([k, s]) });
  assert.ok(p.running);
  p.pending.push({ gcType: "Scavenge", cost: 500_000 }, { gcType: "MarkSweepCompact", cost: 7e6 });
  gc.harvest();
  assert.deepEqual(seen, [["minor", 0.0005], ["major", 0.007]]);
  assert.deepEqual(gc.totals(), { count: 2, pauseSeconds: 0.0075 });
  assert.ok(p.running, "profiling again after the harvest");
  gc.harvest();
  assert.equal(gc.totals().count, 2);
  p.pending.push({ gcType: "Scavenge", cost: 1e6 });
  gc.stop();
  assert.equal(gc.totals().count, 3, "stop harvests the last ones");
  assert.equal(p.running, false);
  gc.harvest();
  assert.equal(p.starts, 3, "no restart after stop");
});

Deno.test("GcTracker: without a profiler it reports nothing", () => {
  const gc = new GcTracker({ profiler: null });
  assert.equal(gc.available, false);
  gc.harvest();
  assert.deepEqual(gc.totals(), { count: 0, pauseSeconds: 0 });
});

Deno.test("GcTracker over V8's profiler: the cost unit is nanoseconds under Deno", async () => {
  // A forced full GC on a big heap, timed from outside, must match the profiler's cost.
  const code = `
    import { GcTracker, createV8GcProfiler } from ${
    JSON.stringify(
      new URL("../../../shared/telemetry/gc_tracker.ts", import.meta.url).href,
    )
  };
    const keep = []; for (let i = 0; i < 2e6; i++) keep.push({ i, s: "x" + i });
    const pauses = [];
    const gc = new GcTracker({ profiler: createV8GcProfiler(), onPause: (k, s) => pauses.push([k, s]) });
    const t0 = performance.now(); globalThis.gc(); const wall = (performance.now() - t0) / 1000;
    gc.harvest();
    console.log(JSON.stringify({ wall, pauses, keep: keep.length }));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--expose-gc", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const { wall, pauses } = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    wall: number;
    pauses: [string, number][];
  };
  const major = pauses.filter(([k]) => k === "major");
  assert.equal(major.length, 1, JSON.stringify(pauses));
  const pause = major[0][1];
  assert.ok(pause > 0 && pause <= wall * 1.05, `pause ${pause} s vs wall ${wall} s`);
  assert.ok(pause >= wall * 0.5, `pause ${pause} s vs wall ${wall} s`);
});

Deno.test("createV8GcProfiler: available under Deno", () => {
  const p = createV8GcProfiler();
  assert.ok(p);
  p.start();
  assert.ok(Array.isArray(p.stop()?.statistics));
});
