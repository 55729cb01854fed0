import assert from "node:assert/strict";
import { metricStamper } from "../../../agent/collectors/collector.ts";
import { inContext, withContext } from "../../../agent/errors.ts";

Deno.test("inContext: the very error withContext throws: prefixed message, same cause", async () => {
  const cause = new Deno.errors.NotFound("No such file or directory: /proc/stat");
  const wrapped = await withContext("cpu: reading /proc/stat", () => Promise.reject(cause)).then(
    () => assert.fail("withContext did not throw"),
    (e: Error) => e,
  );
  const built = inContext("cpu: reading /proc/stat", cause);
  assert.equal(built.constructor, wrapped.constructor);
  assert.equal(built.message, wrapped.message);
  assert.equal(built.message, "cpu: reading /proc/stat: No such file or directory: /proc/stat");
  assert.equal(built.cause, cause);
  assert.equal(
    inContext("load: parsing /proc/loadavg", "plain").message,
    "load: parsing /proc/loadavg: plain",
  );
});

Deno.test("metricStamper: each stamper has its own time, whatever came before", () => {
  const ms = Date.UTC(2024, 0, 1, 12, 0, 0);
  const times = [ms, ms, ms + 1, ms, ms + 10_000].map((t) =>
    metricStamper("h", t)("system.load1", 1).time
  );
  assert.deepEqual(times, [
    "2024-01-01T12:00:00.000Z",
    "2024-01-01T12:00:00.000Z",
    "2024-01-01T12:00:00.001Z",
    "2024-01-01T12:00:00.000Z",
    "2024-01-01T12:00:10.000Z",
  ]);
  const metric = metricStamper("h", ms)("cpu.usage_pct", 5, { core: "0" });
  assert.deepEqual(metric, {
    time: "2024-01-01T12:00:00.000Z",
    host: "h",
    name: "cpu.usage_pct",
    value: 5,
    labels: { core: "0" },
  });
  assert.deepEqual(metricStamper("h", ms)("system.load1", 1).labels, {});
});

Deno.test("metricStamper: an invalid time throws every time, as Date does", () => {
  for (let i = 0; i < 2; i++) assert.throws(() => metricStamper("h", NaN), RangeError);
  assert.throws(() => metricStamper("h", 8.64e15 + 1), RangeError);
});
