import assert from "node:assert/strict";
import { parseMeminfo } from "../../../agent/proc/parse_meminfo.ts";
import { fixture } from "../helpers.ts";

Deno.test("parseMeminfo: real /proc/meminfo, kB turned into bytes", () => {
  const info = parseMeminfo(fixture("vm/meminfo"));
  // "MemTotal:       24684084 kB", "MemAvailable:   24108544 kB"
  assert.equal(info.get("MemTotal"), 24684084 * 1024);
  assert.equal(info.get("MemTotal"), 25276502016);
  assert.equal(info.get("MemAvailable"), 24108544 * 1024);
});

Deno.test("parseMeminfo: unit-less lines are kept as counts", () => {
  const info = parseMeminfo(fixture("edge/meminfo_small"));
  assert.equal(info.get("HugePages_Total"), 4);
  assert.equal(info.get("Hugepagesize"), 2048 * 1024);
});

Deno.test("parseMeminfo: a bad value is refused, naming the line and key", () => {
  assert.throws(
    () => parseMeminfo(fixture("edge/meminfo_bad_value")),
    /line 2 \("MemAvailable: {4}lots kB"\): MemAvailable is not a whole number/,
  );
});

Deno.test("parseMeminfo: a line without a colon or with a strange unit is refused", () => {
  assert.throws(() => parseMeminfo("MemTotal 5 kB\n"), /line 1 .*expected "Key: value \[kB\]"/);
  assert.throws(() => parseMeminfo("MemTotal: 5 MB\n"), /line 1 .*unknown unit "MB"/);
});
