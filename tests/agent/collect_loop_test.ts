import assert from "node:assert/strict";
import { BatchBuilder } from "../../agent/batch_builder.ts";
import { CollectLoop } from "../../agent/collect_loop.ts";
import { Counters } from "../../agent/counters.ts";
import type { Metric, MetricBatch } from "../../shared/metric.ts";
import { capturedLogger, FakeClock } from "./helpers.ts";

const metric = (value: number): Metric => ({
  time: "2024-01-01T00:00:00.000Z",
  host: "h",
  name: "system.load1",
  value,
  labels: {},
});

/** A sink that keeps what it is given. */
class ArraySink {
  readonly batches: MetricBatch[] = [];
  push(batch: MetricBatch): Promise<void> {
    this.batches.push(batch);
    return Promise.resolve();
  }
}

function setup(collect: (tick: number) => Metric[], ticks: number, tickCostMs = 0) {
  const clock = new FakeClock(0);
  const queue = new ArraySink();
  const counters = new Counters();
  const { logger, lines } = capturedLogger();
  const sleeps: number[] = [];
  const stop = new AbortController();
  let n = 0;
  const loop = new CollectLoop({
    registry: {
      collectAll: () => {
        clock.advance(tickCostMs);
        const out = collect(n++);
        if (n >= ticks) stop.abort();
        return Promise.resolve(out);
      },
    },
    builder: new BatchBuilder("h", 0),
    sink: queue,
    intervalMs: 10_000,
    now: clock.now,
    sleep: (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
      return Promise.resolve();
    },
    logger,
    counters,
  });
  return { loop, queue, counters, lines, sleeps, stop };
}

Deno.test("CollectLoop: each tick becomes one validated batch in the sink", async () => {
  const { loop, queue, stop, sleeps } = setup((n) => [metric(n)], 3, 200);
  await loop.run(stop.signal);
  assert.equal(queue.batches.length, 3);
  assert.deepEqual(queue.batches[0], { id: "h-0-1", host: "h", metrics: [metric(0)] });
  assert.deepEqual(sleeps, [9800, 9800]); // on the 10 s grid, whatever a tick costs
});

Deno.test("CollectLoop: once stored, each batch is logged (debug) with its id, size and time span", async () => {
  const { loop, lines } = setup(
    () => [metric(1), { ...metric(2), time: "2024-01-01T00:00:00.004Z" }],
    1,
  );
  await loop.tick();
  const line = lines.find((l) => l.msg === "collected")!;
  assert.deepEqual(line.batches, [{
    id: "h-0-1",
    metrics: 2,
    first: "2024-01-01T00:00:00.000Z",
    last: "2024-01-01T00:00:00.004Z",
  }]);
});

Deno.test("CollectLoop: a round with no metrics (seeding) queues nothing", async () => {
  const { loop, queue } = setup(() => [], 1);
  assert.equal(await loop.tick(), 0);
  assert.equal(queue.batches.length, 0);
});

Deno.test("CollectLoop: an invalid round is dropped, counted and logged", async () => {
  const { loop, queue, counters, lines } = setup(() => [{ ...metric(1), value: Infinity }], 1);
  assert.equal(await loop.tick(), 0);
  assert.equal(queue.batches.length, 0);
  assert.equal(counters.get("batches_dropped_total", { reason: "invalid" }), 1);
  assert.match(
    String(lines.find((l) => l.level === "error")!.error),
    /value must be a finite number/,
  );
});

Deno.test("CollectLoop: a tick that overruns skips the missed slots and says so", async () => {
  const { loop, stop, sleeps, counters } = setup((n) => [metric(n)], 2, 25_000);
  await loop.run(stop.signal);
  // Tick 1 ends at 25 s: slots 10 s and 20 s are missed, the next is 30 s.
  assert.equal(counters.get("collect_ticks_missed_total"), 2);
  assert.deepEqual(sleeps, [5_000]);
});

Deno.test("CollectLoop: a shutdown does not wait for a tick that hangs", async () => {
  let release!: (m: Metric[]) => void;
  const hanging = new Promise<Metric[]>((r) => release = r);
  const { logger } = capturedLogger();
  const loop = new CollectLoop({
    registry: { collectAll: () => hanging },
    builder: new BatchBuilder("h", 0),
    sink: new ArraySink(),
    intervalMs: 10_000,
    now: Date.now,
    sleep: () => Promise.resolve(),
    logger,
    counters: new Counters(),
  });
  const stop = new AbortController();
  const running = loop.run(stop.signal);
  stop.abort();
  await running;
  release([]);
  await hanging;
});

Deno.test("CollectLoop: a failing tick is counted and the loop goes on", async () => {
  let n = 0;
  const stop = new AbortController();
  const counters = new Counters();
  const { logger } = capturedLogger();
  const loop = new CollectLoop({
    registry: { collectAll: () => Promise.resolve([metric(n)]) },
    builder: new BatchBuilder("h", 0),
    sink: {
      push: () => {
        if (++n >= 2) stop.abort();
        return Promise.reject(new Error("spool: disk full"));
      },
    },
    intervalMs: 1000,
    now: Date.now,
    sleep: () => Promise.resolve(),
    logger,
    counters,
  });
  await loop.run(stop.signal);
  assert.equal(counters.get("collect_ticks_failed_total"), 2);
});
