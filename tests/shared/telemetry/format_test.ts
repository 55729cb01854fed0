import assert from "node:assert/strict";
import {
  formatAge,
  formatCounts,
  formatMB,
  formatSeconds,
} from "../../../shared/telemetry/format.ts";

Deno.test("format: MB, seconds, ages and counts", () => {
  assert.equal(formatMB(104_857_600), "104.9 MB");
  assert.equal(formatSeconds(0), "0.0 ms");
  assert.equal(formatSeconds(0.0000042), "4 µs");
  assert.equal(formatSeconds(0.0123), "12.3 ms");
  assert.equal(formatSeconds(2.5), "2.50 s");
  assert.equal(formatAge(12_000), "12s");
  assert.equal(formatAge(20 * 60_000), "20m");
  assert.equal(formatAge(7 * 60_000 + 3000), "7m 3s");
  assert.equal(formatAge(3_600_000), "1h");
  assert.equal(formatAge(2 * 3_600_000 + 5 * 60_000), "2h 5m");
  assert.equal(formatAge(3 * 86_400_000 + 4 * 3_600_000), "3d 4h");
  assert.equal(formatCounts({ b: 1, a: 3, c: 1 }), "a 3, b 1, c 1");
});
