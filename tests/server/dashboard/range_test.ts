/** The host page's range from its URL: presets follow the clock, custom ranges stay put. */
import assert from "node:assert/strict";
import {
  DEFAULT_RANGE,
  MAX_RANGE_MS,
  parseInstantText,
  parseRange,
  RANGE_PRESETS,
  rangeQuery,
  toDatetimeLocalUtc,
} from "../../../server/dashboard/static/js/range.js";

const NOW = Date.parse("2025-06-01T12:00:00Z");
const H = 3_600_000;

Deno.test("range: presets end now and are live; the default is 1h", () => {
  assert.equal(DEFAULT_RANGE, "1h");
  assert.deepEqual(Object.keys(RANGE_PRESETS), ["15m", "1h", "6h", "24h", "7d"]);
  assert.deepEqual(parseRange({}, NOW), {
    ok: true,
    value: { preset: "1h", fromMs: NOW - H, toMs: NOW, live: true },
  });
  for (const [name, ms] of Object.entries(RANGE_PRESETS)) {
    const r = parseRange({ range: name }, NOW);
    assert.ok(r.ok);
    assert.equal(r.value.toMs - r.value.fromMs, ms);
    assert.equal(r.value.live, true);
  }
  const bad = parseRange({ range: "2h" }, NOW);
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? bad.error : "", /15m, 1h, 6h, 24h, 7d/);
});

Deno.test("range: custom from/to in ISO 8601 or datetime-local (UTC) stays put", () => {
  const r = parseRange({ from: "2025-06-01T08:00:00Z", to: "2025-06-01T10:30:00+02:00" }, NOW);
  assert.deepEqual(r, {
    ok: true,
    value: {
      preset: null,
      fromMs: Date.parse("2025-06-01T08:00:00Z"),
      toMs: Date.parse("2025-06-01T08:30:00Z"),
      live: false,
    },
  });
  const local = parseRange(
    { from: "2025-06-01T08:00", to: "2025-06-01T09:00:30", range: "custom" },
    NOW,
  );
  assert.ok(local.ok);
  assert.equal(local.value.fromMs, Date.parse("2025-06-01T08:00:00Z"));
  assert.equal(local.value.toMs, Date.parse("2025-06-01T09:00:30Z"));
  const open = parseRange({ from: "2025-06-01T11:00" }, NOW);
  assert.ok(open.ok);
  assert.equal(open.value.toMs, NOW, "to defaults to now");
});

Deno.test("range: bad custom ranges are refused with a reason", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ to: "2025-06-01T10:00" }, /needs from/],
    [{ from: "yesterday" }, /from must be a date/],
    [{ from: "2025-06-01T10:00", to: "2025-02-30T10:00" }, /to must be a date/],
    [{ from: "2025-06-01T10:00", to: "2025-06-01T10:00:30" }, /at least one minute/],
    [{ from: "2025-06-01T10:00", to: "2025-06-01T09:00" }, /at least one minute/],
    [{ from: "2025-01-01T00:00", to: "2025-06-01T00:00" }, /31 days/],
    [{ range: "1h", from: "2025-06-01T10:00" }, /not both/],
    [{ from: "2025-06-01T24:00" }, /from must be a date/],
  ];
  for (const [params, re] of cases) {
    const r = parseRange(params, NOW);
    assert.equal(r.ok, false, JSON.stringify(params));
    assert.match(!r.ok ? r.error : "", re, JSON.stringify(params));
  }
  assert.equal(MAX_RANGE_MS, 31 * 86_400_000);
});

Deno.test("range: instants, query strings and datetime-local values round-trip", () => {
  assert.ok(Number.isNaN(parseInstantText("2025-06-01")));
  assert.ok(Number.isNaN(parseInstantText("2025-06-01T10:00:00")) === false);
  assert.ok(Number.isNaN(parseInstantText("2025-13-01T10:00")));
  assert.equal(
    parseInstantText(" 2025-06-01T10:00:00.5Z "),
    Date.parse("2025-06-01T10:00:00.500Z"),
  );
  const r = parseRange({ range: "6h" }, NOW);
  assert.ok(r.ok);
  assert.equal(rangeQuery(r.value), "range=6h");
  const c = parseRange({ from: "2025-06-01T08:00", to: "2025-06-01T09:00" }, NOW);
  assert.ok(c.ok);
  const q = new URLSearchParams(rangeQuery(c.value));
  assert.deepEqual(parseRange({ from: q.get("from"), to: q.get("to") }, NOW), c);
  assert.equal(toDatetimeLocalUtc(Date.parse("2025-06-01T08:05:59Z")), "2025-06-01T08:05");
});
