import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "../../shared/duration.ts";

Deno.test("parseDuration: units and combinations", () => {
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("10s"), 10_000);
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("30d"), 2_592_000_000);
  assert.equal(parseDuration("1.5s"), 1500);
  for (const bad of ["", "10", "s", "-1s", "10 s", "1y", "abc"]) {
    assert.equal(parseDuration(bad), null, bad);
  }
});

Deno.test("formatDuration: shortest exact text", () => {
  assert.equal(formatDuration(90_000), "1m30s");
  assert.equal(formatDuration(300_000), "5m");
  assert.equal(formatDuration(1500), "1s500ms");
  assert.equal(formatDuration(0), "0s");
});
