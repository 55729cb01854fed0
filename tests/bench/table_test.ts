/**
 * The benchmarks' text output: numbers, aligned tables and PASS/MISS lines.
 */
import assert from "node:assert/strict";
import {
  formatInt,
  formatMs,
  formatPct,
  formatTable,
  formatVerdict,
} from "../../bench/lib/table.ts";
import { parseStatCpuSeconds } from "../../bench/lib/proc_cpu.ts";

Deno.test("format helpers", () => {
  assert.equal(formatInt(1_234_567.6), "1,234,568");
  assert.equal(formatMs(0.8412), "0.84");
  assert.equal(formatMs(12.34), "12.3");
  assert.equal(formatMs(250.4), "250");
  assert.equal(formatPct(0.6234), "62.3 %");
});

Deno.test("formatTable: first column left-aligned, others right-aligned", () => {
  const text = formatTable(["phase", "n"], [["http", "12"], ["raw copy", "3"]]);
  assert.deepEqual(text.split("\n"), [
    "phase      n",
    "--------  --",
    "http      12",
    "raw copy   3",
  ]);
});

Deno.test("formatVerdict: PASS and MISS", () => {
  const v = { name: "p99", figure: "40 ms", target: "< 100 ms" };
  assert.equal(formatVerdict({ ...v, pass: true }), "PASS  p99 (target < 100 ms): 40 ms");
  assert.equal(formatVerdict({ ...v, pass: false }), "MISS  p99 (target < 100 ms): 40 ms");
});

Deno.test("parseStatCpuSeconds: utime + stime, command names with spaces", () => {
  const stat = "1234 (postgres: 15/main: x) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1";
  assert.equal(parseStatCpuSeconds(stat), 3);
  assert.equal(parseStatCpuSeconds("garbage"), null);
});
