import assert from "node:assert/strict";
import { SelfMonitor } from "../../../shared/telemetry/self_monitor.ts";
import { FakeGc, ManualTimers, settle } from "./fakes.ts";
import { MB, T0 } from "./fixtures.ts";

function setup(
  opts: {
    intervalMs?: number;
    signals?: () => Promise<Record<string, Record<string, number>>>;
    gcHarvestMaxIntervalMs?: number;
  } = {},
) {
  const clock = { now: T0 };
  const timers = new ManualTimers();
  const gc = new FakeGc();
  const mem = { rss: 100 * MB, heapUsed: 40 * MB, heapTotal: 60 * MB, external: 1 * MB };
  const lags = [{ p99Seconds: 0.002, maxSeconds: 0.01, meanSeconds: 0.001 }];
  const errors: unknown[] = [];
  const monitor = new SelfMonitor({
    intervalMs: opts.intervalMs ?? 30_000,
    now: () => clock.now,
    memoryUsage: () => ({ ...mem }),
    gc,
    lag: { sample: () => lags.shift() ?? null, stop() {} },
    signals: opts.signals ?? (() => Promise.resolve({ m: { "": 1 } })),
    timers,
    gcHarvestMaxIntervalMs: opts.gcHarvestMaxIntervalMs,
    onError: (e) => errors.push(e),
  });
  return { clock, timers, gc, mem, monitor, errors };
}

Deno.test("SelfMonitor: a snapshot at start, then one per interval, with memory, GC, lag and signals", async () => {
  const { clock, timers, gc, mem, monitor } = setup();
  gc.count = 3;
  gc.pauseSeconds = 0.004;
  monitor.start();
  await settle();
  assert.equal(monitor.ring.size, 1);
  assert.deepEqual(monitor.ring.latest(), {
    at: T0,
    rssBytes: 100 * MB,
    heapUsedBytes: 40 * MB,
    heapTotalBytes: 60 * MB,
    externalBytes: 1 * MB,
    gcCount: 3,
    gcPauseSeconds: 0.004,
    eventLoopLagP99Seconds: 0.002,
    eventLoopLagMaxSeconds: 0.01,
    signals: { m: { "": 1 } },
  });
  clock.now += 30_000;
  mem.rss = 120 * MB;
  timers.fire(30_000);
  await settle();
  assert.equal(monitor.ring.size, 2);
  assert.equal(monitor.ring.latest()!.rssBytes, 120 * MB);
  assert.equal(monitor.ring.latest()!.eventLoopLagP99Seconds, null, "nothing sampled");
  assert.equal(monitor.ring.peaks().rssBytes!.value, 120 * MB);
  monitor.stop();
  assert.equal(timers.active.size, 0);
});

Deno.test("SelfMonitor: GC is harvested every 10 s between 30 s snapshots", async () => {
  const { timers, gc, monitor } = setup();
  monitor.start();
  await settle();
  const before = gc.harvests;
  timers.fire(10_000);
  timers.fire(10_000);
  assert.equal(gc.harvests, before + 2);
  assert.equal(monitor.ring.size, 1);
  monitor.stop();
});

Deno.test("SelfMonitor: with a short interval the snapshot itself harvests (no extra timer)", () => {
  const { timers, monitor } = setup({ intervalMs: 5_000 });
  monitor.start();
  assert.deepEqual([...timers.active.values()].map((t) => t.ms), [5_000]);
  monitor.stop();
});

Deno.test("SelfMonitor: gcHarvestMaxIntervalMs Infinity leaves only the snapshot timer (the agent)", async () => {
  const { timers, gc, monitor } = setup({ gcHarvestMaxIntervalMs: Infinity });
  monitor.start();
  await settle();
  assert.deepEqual([...timers.active.values()].map((t) => t.ms), [30_000]);
  const before = gc.harvests;
  timers.fire(30_000);
  await settle();
  assert.equal(gc.harvests, before + 1, "the snapshot harvests");
  monitor.stop();
});

Deno.test("SelfMonitor: a failed signal read keeps the previous signals and is reported", async () => {
  let fail = false;
  const { timers, monitor, errors } = setup({
    signals: () => fail ? Promise.reject(new Error("db down")) : Promise.resolve({ m: { "": 7 } }),
  });
  monitor.start();
  await settle();
  fail = true;
  timers.fire(30_000);
  await settle();
  assert.equal(monitor.ring.size, 2);
  assert.deepEqual(monitor.ring.latest()!.signals, { m: { "": 7 } });
  assert.equal((errors[0] as Error).message, "db down");
  monitor.stop();
});

Deno.test("SelfMonitor: current() reads now without touching the ring or the lag sampler", async () => {
  const { monitor } = setup();
  const now = await monitor.current();
  assert.equal(monitor.ring.size, 0);
  assert.equal(now.eventLoopLagP99Seconds, null);
  const first = await monitor.snapshot();
  assert.equal(first.eventLoopLagP99Seconds, 0.002, "the lag sample was still there");
});

Deno.test("SelfMonitor: a snapshot still being taken is not started twice", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  let reads = 0;
  const { timers, monitor } = setup({
    signals: async () => {
      reads++;
      await gate;
      return {};
    },
  });
  monitor.start();
  timers.fire(30_000);
  timers.fire(30_000);
  assert.equal(reads, 1);
  release();
  await settle();
  assert.equal(monitor.ring.size, 1);
  monitor.stop();
});

Deno.test("SelfMonitor: refuses a non-positive interval", () => {
  assert.throws(() => setup({ intervalMs: 0 }), /must be positive/);
});
