import assert from "node:assert/strict";
import { MemoryBatchQueue } from "../../agent/memory_batch_queue.ts";
import type { MetricBatch } from "../../shared/metric.ts";

const batch = (id: string): MetricBatch => ({ id, host: "h", metrics: [] });

Deno.test("MemoryBatchQueue: FIFO; peek leaves in place; ack removes by id", async () => {
  const q = new MemoryBatchQueue(10);
  await q.push(batch("a"));
  await q.push(batch("b"));
  assert.equal((await q.peek())?.id, "a");
  assert.equal(await q.size(), 2);
  await q.ack("b");
  await q.ack("unknown");
  assert.equal((await q.peek())?.id, "a");
  await q.ack("a");
  assert.equal(await q.peek(), undefined);
});

Deno.test("MemoryBatchQueue: when full the oldest is dropped and reported", async () => {
  const dropped: string[] = [];
  const q = new MemoryBatchQueue(2, (b) => dropped.push(b.id));
  for (const id of ["a", "b", "c", "d"]) await q.push(batch(id));
  assert.deepEqual(dropped, ["a", "b"]);
  assert.equal(await q.size(), 2);
  assert.equal((await q.peek())?.id, "c");
});

Deno.test("MemoryBatchQueue: waitForBatch wakes on push and on abort", async () => {
  const q = new MemoryBatchQueue(2);
  const waiting = q.waitForBatch();
  await q.push(batch("a"));
  await waiting;
  await q.waitForBatch(); // already non-empty: returns at once
  const empty = new MemoryBatchQueue(2);
  const stop = new AbortController();
  const w = empty.waitForBatch(stop.signal);
  stop.abort();
  await w;
  assert.throws(() => new MemoryBatchQueue(0), /at least 1/);
});
