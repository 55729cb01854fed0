import assert from "node:assert/strict";
import { BatchBuilder, idSafeHost } from "../../agent/batch_builder.ts";
import type { Metric } from "../../shared/metric.ts";
import { LIMITS } from "../../shared/metric_names.ts";

const m = (host: string, value = 1): Metric => ({
  time: "2024-01-01T00:00:00.000Z",
  host,
  name: "system.load1",
  value,
  labels: {},
});

Deno.test("BatchBuilder: ids are host-startMs-seq, unique and within the allowed pattern", () => {
  const b = new BatchBuilder("web-1", 1718000000000);
  const [first] = b.build([m("web-1")]);
  const [second] = b.build([m("web-1")]);
  assert.equal(first.id, "web-1-1718000000000-1");
  assert.equal(second.id, "web-1-1718000000000-2");
  assert.equal(first.host, "web-1");
  assert.deepEqual(first.metrics, [m("web-1")]);
});

Deno.test("BatchBuilder: a host with odd characters still gives a valid id", () => {
  const host = "my host/ü" + "x".repeat(300).slice(0, 200);
  const [batch] = new BatchBuilder(host, 1).build([m(host)]);
  assert.match(batch.id, /^[A-Za-z0-9._:-]+$/);
  assert.ok(batch.id.length <= LIMITS.batchIdMaxLength);
  assert.equal(idSafeHost("a b/c"), "a_b_c");
});

Deno.test("BatchBuilder: more metrics than a batch may hold are split", () => {
  const metrics = Array.from({ length: LIMITS.batchMaxMetrics + 3 }, (_, i) => m("h", i));
  const batches = new BatchBuilder("h", 5).build(metrics);
  assert.deepEqual(batches.map((b) => b.metrics.length), [LIMITS.batchMaxMetrics, 3]);
  assert.deepEqual(batches.map((b) => b.id), ["h-5-1", "h-5-2"]);
});

Deno.test("BatchBuilder: an invalid metric is refused with the shared validation's message", () => {
  assert.throws(
    () => new BatchBuilder("h", 1).build([{ ...m("h"), value: NaN }]),
    /batch h-1-1 is invalid: metrics\[0\]: value must be a finite number/,
  );
});
