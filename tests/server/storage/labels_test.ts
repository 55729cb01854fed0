/** Canonical labels and series keys. */
import assert from "node:assert/strict";
import { canonicalLabels, seriesKey } from "../../../server/storage/labels.ts";

Deno.test("labels: canonical JSON sorts keys, whatever the input order", () => {
  assert.equal(canonicalLabels({}), "{}");
  assert.equal(canonicalLabels({ core: "0" }), `{"core":"0"}`);
  assert.equal(canonicalLabels({ mount: "/", device: "sda" }), `{"device":"sda","mount":"/"}`);
  assert.equal(canonicalLabels({ device: "sda", mount: "/" }), `{"device":"sda","mount":"/"}`);
  assert.equal(canonicalLabels({ b: "1", a: "2", c: "3" }), `{"a":"2","b":"1","c":"3"}`);
  assert.equal(canonicalLabels({ q: `"\\` }), `{"q":"\\"\\\\"}`);
});

Deno.test("labels: series keys separate host, name and labels unambiguously", () => {
  assert.notEqual(seriesKey("a", "bc", "{}"), seriesKey("ab", "c", "{}"));
  assert.equal(
    seriesKey("h", "cpu.usage_pct", canonicalLabels({ core: "total" })),
    `h\u0000cpu.usage_pct\u0000{"core":"total"}`,
  );
});
