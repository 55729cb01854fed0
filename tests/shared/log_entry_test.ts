/** validateLogBatch: the one validation of the log model, every failure naming the entry and the reason. */
import assert from "node:assert/strict";
import {
  LOG_LIMITS,
  type LogEntry,
  utf8ByteLength,
  validateLogBatch,
} from "../../shared/log_entry.ts";
import {
  isLogEntryLevel,
  levelOfRank,
  levelRank,
  LOG_ENTRY_LEVELS,
} from "../../shared/log_levels.ts";

function entry(over: Partial<Record<keyof LogEntry, unknown>> = {}): Record<string, unknown> {
  return {
    time: "2024-05-01T10:00:00.123456Z",
    host: "web-1",
    source: "/var/log/app.log",
    level: "warn",
    message: "disk almost full",
    file: "3f2a9c0d11e4",
    offset: 0,
    ...over,
  };
}

const batch = (entries: unknown[], over: Record<string, unknown> = {}) => ({
  id: "logs-web-1-1-1",
  host: "web-1",
  entries,
  ...over,
});

Deno.test("log batch: a valid batch passes and is copied field by field", () => {
  const r = validateLogBatch(
    batch([entry(), entry({ offset: 17, truncated: true, extra: 1 } as never)]),
  );
  assert.ok(r.ok);
  assert.deepEqual(r.value.entries[0], entry());
  assert.equal(r.value.entries[1].truncated, true);
  assert.equal("extra" in r.value.entries[1], false);
  assert.ok(validateLogBatch(batch([])).ok);
});

Deno.test("log batch: failures name the entry and the reason", () => {
  const bad: [unknown, RegExp][] = [
    [null, /batch must be a JSON object/],
    [batch([], { id: "" }), /id must be a non-empty string/],
    [batch([], { id: "a b" }), /id may contain only/],
    [batch([], { host: "" }), /host must be a non-empty string/],
    [batch("x" as never), /entries must be an array/],
    [batch(Array(5001).fill(entry())), /more than 5000 entries/],
    [batch([entry(), 3]), /entries\[1\]: must be an object/],
    [
      batch([entry({ host: "other" })]),
      /entries\[0\]: host "other" differs from the batch host "web-1"/,
    ],
    [
      batch([entry({ time: "2024-05-01 10:00:00" })]),
      /entries\[0\]: time must be an ISO 8601 instant/,
    ],
    [batch([entry({ time: "2024-02-30T10:00:00Z" })]), /time must be/],
    [batch([entry({ source: "" })]), /source must be a non-empty string/],
    [batch([entry({ source: "x".repeat(4097) })]), /source is longer than 4096/],
    [
      batch([entry({ level: "warning" })]),
      /level "warning" is not one of debug, info, warn, error, fatal/,
    ],
    [batch([entry({ message: 5 })]), /message must be a string/],
    [batch([entry({ message: "a\u0000b" })]), /message contains a NUL character/],
    [batch([entry({ message: "\ud800" })]), /message is not well-formed Unicode/],
    [batch([entry({ message: "é".repeat(32769) })]), /message is longer than 65536 bytes/],
    [batch([entry({ file: "" })]), /file must be 1-64/],
    [batch([entry({ file: "a/b" })]), /file must be/],
    [batch([entry({ file: "x".repeat(65) })]), /file must be/],
    [batch([entry({ offset: -1 })]), /offset must be a non-negative integer/],
    [batch([entry({ offset: 1.5 })]), /offset must be/],
    [batch([entry({ offset: 2 ** 53 })]), /offset must be/],
    [batch([entry({ truncated: "yes" })]), /truncated must be a boolean/],
  ];
  for (const [input, re] of bad) {
    const r = validateLogBatch(input);
    assert.ok(!r.ok, `accepted ${JSON.stringify(input)?.slice(0, 80)}`);
    assert.match(r.error, re);
  }
});

Deno.test("log batch: a message of exactly the limit in bytes passes", () => {
  const m = "é".repeat(LOG_LIMITS.messageMaxBytes / 2);
  assert.ok(validateLogBatch(batch([entry({ message: m })])).ok);
  assert.ok(
    validateLogBatch(batch([entry({ message: "x".repeat(LOG_LIMITS.messageMaxBytes) })])).ok,
  );
});

Deno.test("utf8ByteLength counts like TextEncoder", () => {
  for (const s of ["", "abc", "é", "€", "😀", "a😀é€\n", "\ud800x"]) {
    assert.equal(utf8ByteLength(s), new TextEncoder().encode(s).length, JSON.stringify(s));
  }
});

Deno.test("log levels: ranks in order, both ways", () => {
  assert.deepEqual(LOG_ENTRY_LEVELS.map(levelRank), [0, 1, 2, 3, 4]);
  assert.deepEqual([0, 1, 2, 3, 4].map(levelOfRank), [...LOG_ENTRY_LEVELS]);
  assert.throws(() => levelOfRank(5));
  assert.ok(
    isLogEntryLevel("fatal") && !isLogEntryLevel("warning") && !isLogEntryLevel("toString"),
  );
});
