/**
 * The benchmarks' percentile and summary helpers.
 */
import assert from "node:assert/strict";
import { percentile, summarize } from "../../bench/lib/stats.ts";

Deno.test("percentile: nearest rank on unsorted input", () => {
  const values = [5, 1, 4, 2, 3];
  assert.equal(percentile(values, 50), 3);
  assert.equal(percentile(values, 20), 1);
  assert.equal(percentile(values, 21), 2);
  assert.equal(percentile(values, 100), 5);
  assert.deepEqual(values, [5, 1, 4, 2, 3], "input is not reordered");
});

Deno.test("percentile: p99 of 200 values is the 198th smallest", () => {
  const values = Array.from({ length: 200 }, (_, i) => 200 - i); // 200 … 1
  assert.equal(percentile(values, 99), 198);
  assert.equal(percentile(values, 50), 100);
});

Deno.test("percentile: one value is every percentile", () => {
  assert.equal(percentile([7.5], 1), 7.5);
  assert.equal(percentile([7.5], 99), 7.5);
});

Deno.test("percentile: refuses an empty list and p outside (0, 100]", () => {
  assert.throws(() => percentile([], 50), /no values/);
  assert.throws(() => percentile([1], 0), /p must be/);
  assert.throws(() => percentile([1], 101), /p must be/);
  assert.throws(() => percentile([1], NaN), /p must be/);
});

Deno.test("summarize: count, min, max, mean and percentiles", () => {
  const s = summarize([10, 20, 30, 40]);
  assert.deepEqual(s, { count: 4, min: 10, p50: 20, p99: 40, max: 40, mean: 25 });
  assert.throws(() => summarize([]), /no values/);
});
