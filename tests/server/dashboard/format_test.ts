/** Formatting figures for people: percentages, binary bytes, rates, load, "ago", axis ticks. */
import assert from "node:assert/strict";
import {
  binaryTicks,
  formatAgo,
  formatBytes,
  formatLoad,
  formatPercent,
  formatRate,
  formatTick,
  formatUtc,
  formatValue,
  NO_VALUE,
  significant,
} from "../../../server/dashboard/static/js/format.js";

Deno.test("format: significant keeps at most three significant digits, no trailing zeros", () => {
  assert.equal(significant(0), "0");
  assert.equal(significant(1.5), "1.5");
  assert.equal(significant(1.234), "1.23");
  assert.equal(significant(12.34), "12.3");
  assert.equal(significant(123.4), "123");
  assert.equal(significant(1023.9), "1024");
  assert.equal(significant(-2.5), "-2.5");
  assert.equal(significant(NaN), NO_VALUE);
});

Deno.test("format: bytes use binary prefixes", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(1024), "1 KiB");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(1023.9), "1 KiB", "rounding up to 1024 B moves to the next prefix");
  assert.equal(formatBytes(10 * 1024 ** 2), "10 MiB");
  assert.equal(formatBytes(23.5 * 1024 ** 3), "23.5 GiB");
  assert.equal(formatBytes(2 * 1024 ** 4), "2 TiB");
  assert.equal(formatBytes(3 * 1024 ** 5), "3 PiB");
  assert.equal(formatBytes(-2048), "-2 KiB");
  assert.equal(formatBytes(null), NO_VALUE);
  assert.equal(formatBytes(undefined), NO_VALUE);
  assert.equal(formatBytes(Infinity), NO_VALUE);
});

Deno.test("format: rates are bytes per second, percentages and load keep fixed decimals", () => {
  assert.equal(formatRate(10 * 1024 ** 2), "10 MiB/s");
  assert.equal(formatRate(0), "0 B/s");
  assert.equal(formatRate(null), NO_VALUE);
  assert.equal(formatPercent(12.345), "12.3 %");
  assert.equal(formatPercent(100), "100.0 %");
  assert.equal(formatPercent(null), NO_VALUE);
  assert.equal(formatLoad(0.6389), "0.64");
  assert.equal(formatLoad(undefined), NO_VALUE);
  assert.equal(formatValue("percent", 5), "5.0 %");
  assert.equal(formatValue("bytes", 2048), "2 KiB");
  assert.equal(formatValue("rate", 2048), "2 KiB/s");
  assert.equal(formatValue("load", 1.5), "1.50");
});

Deno.test("format: axis ticks carry the unit with few digits", () => {
  assert.equal(formatTick("percent", 20), "20 %");
  assert.equal(formatTick("percent", 12.5), "12.5 %");
  assert.equal(formatTick("bytes", 512 * 1024 ** 2), "512 MiB");
  assert.equal(formatTick("rate", 1024), "1 KiB/s");
  assert.equal(formatTick("load", 0.5), "0.5");
});

Deno.test("format: ago is coarse and never negative", () => {
  assert.equal(formatAgo(-5000), "now");
  assert.equal(formatAgo(999), "now");
  assert.equal(formatAgo(5000), "5 s ago");
  assert.equal(formatAgo(90_000), "1 min ago");
  assert.equal(formatAgo(2 * 3_600_000 + 1), "2 h ago");
  assert.equal(formatAgo(47 * 3_600_000), "47 h ago");
  assert.equal(formatAgo(4 * 86_400_000), "4 d ago");
  assert.equal(formatAgo(NaN), NO_VALUE);
  assert.equal(formatUtc(Date.parse("2025-06-01T12:00:05.600Z")), "2025-06-01 12:00:05 UTC");
});

Deno.test("format: binary ticks are round multiples of a power of 1024", () => {
  const gib = 1024 ** 3;
  const ticks = binaryTicks(0, 24 * gib, 5);
  assert.deepEqual(ticks, [0, 5 * gib, 10 * gib, 15 * gib, 20 * gib]);
  assert.deepEqual(binaryTicks(0, 1000, 4), [0, 250, 500, 750, 1000]);
  const mib = 1024 ** 2;
  assert.deepEqual(binaryTicks(0, 1024 * mib, 4), [0, 256 * mib, 512 * mib, 768 * mib, 1024 * mib]);
  assert.deepEqual(binaryTicks(5, 5, 4), [5]);
  assert.deepEqual(binaryTicks(0, NaN, 4), []);
  for (const t of binaryTicks(0, 7.3 * gib, 6)) assert.ok(t <= 7.3 * gib + 1);
});
