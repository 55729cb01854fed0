import assert from "node:assert/strict";
import { BatchBuilder } from "../../agent/batch_builder.ts";
import { collectOnce, ONCE_SAMPLE_GAP_MS } from "../../agent/once.ts";
import type { Metric } from "../../shared/metric.ts";

Deno.test("collectOnce: seeds, waits one second, reports the second round", async () => {
  let round = 0;
  const sleeps: number[] = [];
  const registry = {
    collectAll: (): Promise<Metric[]> =>
      Promise.resolve([{
        time: "2024-01-01T00:00:00.000Z",
        host: "h",
        name: "system.load1",
        value: ++round,
        labels: {},
      }]),
  };
  const batches = await collectOnce(registry, new BatchBuilder("h", 7), (ms) => {
    sleeps.push(ms);
    return Promise.resolve();
  });
  assert.deepEqual(sleeps, [ONCE_SAMPLE_GAP_MS]);
  assert.equal(ONCE_SAMPLE_GAP_MS, 1000);
  assert.equal(batches.length, 1);
  assert.equal(batches[0].id, "h-7-1");
  assert.deepEqual(batches[0].metrics.map((m) => m.value), [2]);
});
