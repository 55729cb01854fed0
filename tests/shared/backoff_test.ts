import assert from "node:assert/strict";
import { Backoff, backoffDelay } from "../../shared/backoff.ts";

Deno.test("backoff: doubles from 1 s and caps at 60 s with no jitter at random()=0.5", () => {
  const b = new Backoff({ random: () => 0.5 });
  const delays = Array.from({ length: 9 }, () => b.next());
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  b.reset();
  assert.equal(b.next(), 1000);
});

Deno.test("backoff: jitter spans exactly ±25 %", () => {
  assert.equal(backoffDelay(0, { random: () => 0 }), 750);
  assert.equal(backoffDelay(0, { random: () => 0.999999 }), 1250);
  assert.equal(backoffDelay(10, { random: () => 0 }), 45000);
  assert.equal(backoffDelay(10, { random: () => 0.999999 }), 75000);
});

Deno.test("backoff: huge attempt counts do not overflow", () => {
  assert.equal(backoffDelay(10_000, { random: () => 0.5 }), 60000);
});
