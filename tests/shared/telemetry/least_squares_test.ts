import assert from "node:assert/strict";
import { leastSquaresSlope } from "../../../shared/telemetry/least_squares.ts";

Deno.test("leastSquaresSlope: exact line", () => {
  assert.equal(leastSquaresSlope([{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 5 }]), 2);
});

Deno.test("leastSquaresSlope: noisy points give the best-fit slope", () => {
  // y = 0.5x + noise that sums to zero against x: slope stays 0.5.
  const pts = [{ x: 0, y: 0 }, { x: 1, y: 1 }, { x: 2, y: 1 }, { x: 3, y: 2 }];
  assert.equal(leastSquaresSlope(pts), 0.6);
});

Deno.test("leastSquaresSlope: epoch-millisecond x keeps full precision", () => {
  const t0 = Date.parse("2025-06-01T12:00:00Z");
  const pts = Array.from({ length: 120 }, (_, i) => ({ x: t0 + i * 30_000, y: 1e8 + i * 3 }));
  assert.ok(Math.abs(leastSquaresSlope(pts)! - 3 / 30_000) < 1e-15);
});

Deno.test("leastSquaresSlope: too few or identical x gives null", () => {
  assert.equal(leastSquaresSlope([]), null);
  assert.equal(leastSquaresSlope([{ x: 1, y: 1 }]), null);
  assert.equal(leastSquaresSlope([{ x: 1, y: 1 }, { x: 1, y: 5 }]), null);
});
