import assert from "node:assert/strict";
import { parseLoadavg } from "../../../agent/proc/parse_loadavg.ts";
import { fixture } from "../helpers.ts";

Deno.test("parseLoadavg: real /proc/loadavg", () => {
  // "0.07 0.13 0.06 2/143 6592"
  assert.deepEqual(parseLoadavg(fixture("vm/loadavg")), { load1: 0.07, load5: 0.13, load15: 0.06 });
});

Deno.test("parseLoadavg: large and zero values", () => {
  assert.deepEqual(parseLoadavg(fixture("edge/loadavg_busy")), {
    load1: 12.25,
    load5: 3.5,
    load15: 0,
  });
});

Deno.test("parseLoadavg: a non-number or missing field is refused", () => {
  assert.throws(
    () => parseLoadavg(fixture("edge/loadavg_not_a_number")),
    /load5 "abc" is not a number/,
  );
  assert.throws(() => parseLoadavg(fixture("edge/loadavg_missing_fields")), /load5 is missing/);
});
