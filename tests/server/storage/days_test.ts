/** UTC days, partition names and interval literals. */
import assert from "node:assert/strict";
import {
  dayStartLiteral,
  intervalLiteral,
  partitionDay,
  partitionName,
  utcDay,
} from "../../../server/storage/days.ts";

Deno.test("days: a day runs from UTC midnight to the next", () => {
  const day = utcDay(Date.parse("2026-11-26T00:00:00Z"));
  assert.equal(utcDay(Date.parse("2026-11-26T23:59:59.999Z")), day);
  assert.equal(utcDay(Date.parse("2026-11-27T00:00:00Z")), day + 1);
  assert.equal(utcDay(Date.parse("1969-12-31T23:00:00Z")), -1);
  assert.equal(dayStartLiteral(day), "2026-11-26 00:00:00+00");
});

Deno.test("days: partition names round-trip and others are refused", () => {
  const day = utcDay(Date.parse("2026-11-26T12:00:00Z"));
  assert.equal(partitionName(day), "metric_samples_p20261126");
  assert.equal(partitionDay("metric_samples_p20261126"), day);
  assert.equal(partitionDay("metric_samples_default"), null);
  assert.equal(partitionDay("metric_samples_p20261332"), null);
  assert.equal(partitionDay("other_p20261126"), null);
});

Deno.test("days: interval literals use the largest exact unit", () => {
  assert.equal(intervalLiteral(30 * 86_400_000), "30 days");
  assert.equal(intervalLiteral(90_000), "90 seconds");
  assert.equal(intervalLiteral(1500), "1500 milliseconds");
});
