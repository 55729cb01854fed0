import assert from "node:assert/strict";
import { RateTracker } from "../../../agent/collectors/rate_tracker.ts";

Deno.test("RateTracker: seeds, then rates per second over the measured time", () => {
  const r = new RateTracker();
  assert.equal(r.update("a", [100, 10], 0), null);
  assert.deepEqual(r.update("a", [300, 10], 2000), [100, 0]);
  assert.deepEqual(r.update("a", [400, 20], 2500), [200, 20]);
});

Deno.test("RateTracker: backwards, no elapsed time and a changed shape reseed", () => {
  const r = new RateTracker();
  r.update("a", [100], 0);
  assert.equal(r.update("a", [50], 1000), null);
  assert.deepEqual(r.update("a", [60], 2000), [10]);
  assert.equal(r.update("a", [70], 2000), null);
  assert.equal(r.update("a", [70, 1], 3000), null);
});

Deno.test("RateTracker: retainOnly forgets vanished keys so they reseed", () => {
  const r = new RateTracker();
  r.update("a", [1], 0);
  r.update("b", [1], 0);
  r.retainOnly(new Set(["a"]));
  assert.deepEqual(r.update("a", [2], 1000), [1]);
  assert.equal(r.update("b", [2], 1000), null);
});
