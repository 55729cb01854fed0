/** Timestamps found in log lines: RFC 3339 / ISO 8601, Go's format, syslog (year from the reference), common log format, JSON fields. */
import assert from "node:assert/strict";
import {
  findTimestamp,
  formatInstant,
  resolveTime,
  timeFromJsonField,
} from "../../../agent/logs/timestamp.ts";

const iso = (line: string, ref = Date.UTC(2024, 4, 1)) => {
  const found = findTimestamp(line);
  if (!found) return null;
  const t = resolveTime(found, ref);
  return t ? formatInstant(t) : null;
};

/** The same wall-clock time in the agent's zone (times without an offset are local). */
const local = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0) =>
  new Date(y, mo - 1, d, h, mi, s, ms).toISOString();

const CASES: [string, string | null][] = [
  ["2024-05-01T10:00:00Z started", "2024-05-01T10:00:00.000Z"],
  ["2024-05-01T10:00:00.123456Z x", "2024-05-01T10:00:00.123456Z"],
  ["2024-05-01T10:00:00.123456789Z x", "2024-05-01T10:00:00.123456Z"],
  ["2024-05-01T12:00:00+02:00 x", "2024-05-01T10:00:00.000Z"],
  ["2024-05-01T12:00:00+0200 x", "2024-05-01T10:00:00.000Z"],
  ["2024-05-01T05:30:00-04:30 x", "2024-05-01T10:00:00.000Z"],
  ["2024-05-01 10:00:00,250 +0000 comma fraction", "2024-05-01T10:00:00.250Z"],
  ["2024-05-01 10:00:00.123 UTC [42] LOG: postgres", "2024-05-01T10:00:00.123Z"],
  ["[2024-05-01T10:00:00Z] [error] bracketed", "2024-05-01T10:00:00.000Z"],
  ["I 2024-05-01T10:00:00Z later in the line", "2024-05-01T10:00:00.000Z"],
  ["<34>1 2024-05-01T10:00:00.003Z host app - - RFC 5424", "2024-05-01T10:00:00.003Z"],
  [
    '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 200 2326',
    "2000-10-10T20:55:36.000Z",
  ],
  ["2024-02-30T10:00:00Z not a date", null],
  ["2024-13-01T10:00:00Z not a month", null],
  ["no time here", null],
  ["12024-05-01T10:00:00Z digits before", null],
  ["version 2024-05-01 alone is no time", null],
];

for (const [line, want] of CASES) {
  Deno.test(`timestamp: ${JSON.stringify(line)}`, () => {
    assert.equal(iso(line), want);
  });
}

Deno.test("timestamp: without an offset, the time is local", () => {
  assert.equal(iso("2024-05-01 10:00:00 plain"), local(2024, 5, 1, 10, 0, 0));
  assert.equal(iso("2024/05/01 10:00:00 go log"), local(2024, 5, 1, 10, 0, 0));
  assert.equal(iso("2024-05-01T10:00:00.5 half"), local(2024, 5, 1, 10, 0, 0, 500));
});

Deno.test("timestamp: syslog takes the reference's year, or the year before when that would be over a day ahead", () => {
  const ref = new Date(2024, 4, 1, 12, 0, 0).getTime();
  assert.equal(iso("May  1 11:59:00 host app: x", ref), local(2024, 5, 1, 11, 59, 0));
  assert.equal(iso("<13>May  1 11:59:00 host app: x", ref), local(2024, 5, 1, 11, 59, 0));
  assert.equal(iso("Dec 31 23:00:00 host app: x", ref), local(2023, 12, 31, 23, 0, 0));
  const newYear = new Date(2025, 0, 1, 0, 0, 5).getTime();
  assert.equal(iso("Dec 31 23:59:59 host app: x", newYear), local(2024, 12, 31, 23, 59, 59));
  assert.equal(iso("Jan  1 00:00:01 host app: x", newYear), local(2025, 1, 1, 0, 0, 1));
  assert.equal(
    iso("Feb 29 10:00:00 host app: leap", new Date(2025, 2, 1).getTime()),
    local(2024, 2, 29, 10, 0, 0),
  );
  assert.equal(findTimestamp("Foo 12 10:00:00 not a month"), null);
  assert.equal(findTimestamp("May 32 10:00:00 not a day"), null);
});

Deno.test("timestamp: the end of the timestamp is where the rest of the line starts", () => {
  const line = "2024-05-01T10:00:00Z WARN x";
  assert.equal(line.slice(findTimestamp(line)!.end), " WARN x");
  const sys = "May  1 10:00:00 host x";
  assert.equal(sys.slice(findTimestamp(sys)!.end), " host x");
});

Deno.test("timestamp: JSON time fields (RFC 3339, pino epoch ms, epoch seconds)", () => {
  assert.deepEqual(timeFromJsonField("2024-05-01T10:00:00.5Z"), {
    ms: Date.UTC(2024, 4, 1, 10, 0, 0, 500),
    micros: 0,
  });
  assert.deepEqual(timeFromJsonField(1714557600123), { ms: 1714557600123, micros: 0 });
  assert.deepEqual(timeFromJsonField(1714557600.5), { ms: 1714557600500, micros: 0 });
  assert.equal(timeFromJsonField("yesterday"), null);
  assert.equal(timeFromJsonField(42), null);
  assert.equal(timeFromJsonField(null), null);
});

Deno.test("timestamp: formatInstant adds microseconds only when there are some", () => {
  assert.equal(formatInstant({ ms: 0, micros: 0 }), "1970-01-01T00:00:00.000Z");
  assert.equal(formatInstant({ ms: 1, micros: 7 }), "1970-01-01T00:00:00.001007Z");
});
