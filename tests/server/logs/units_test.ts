/** Pure pieces of log storage and search: settings, cursor codec, microsecond times, LIKE escaping, partition names, the live-tail filter. */
import assert from "node:assert/strict";
import { matchesSearch } from "../../../server/logs/broadcaster.ts";
import { loadLogServerConfig } from "../../../server/logs/config.ts";
import { decodeCursor, encodeCursor } from "../../../server/logs/cursor.ts";
import { logPartitionDay, logPartitionName } from "../../../server/logs/log_partitions.ts";
import type { StoredLogEntry } from "../../../server/logs/log_store.ts";
import { parseLogSearch } from "../../../server/logs/search_params.ts";
import { buildSearchSql, likePattern } from "../../../server/logs/search_sql.ts";
import { isoToMicros, microsToIso } from "../../../server/logs/time.ts";
import { ConfigError } from "../../../shared/config_env.ts";

Deno.test("log server config: defaults and bounds", () => {
  assert.deepEqual(loadLogServerConfig({}), {
    retentionMs: 14 * 86_400_000,
    streamMaxClients: 100,
  });
  assert.deepEqual(loadLogServerConfig({ LOGS_RETENTION: "30d", LOGS_STREAM_MAX_CLIENTS: "5" }), {
    retentionMs: 30 * 86_400_000,
    streamMaxClients: 5,
  });
  assert.throws(
    () => loadLogServerConfig({ LOGS_RETENTION: "1h" }),
    (e) => e instanceof ConfigError && /LOGS_RETENTION="1h" is out of range/.test(e.message),
  );
  assert.throws(
    () => loadLogServerConfig({ LOGS_STREAM_MAX_CLIENTS: "0" }),
    /LOGS_STREAM_MAX_CLIENTS="0" is out of range/,
  );
});

Deno.test("cursor: round trip, bound to its filters, garbage refused", () => {
  const pos = { timeUs: 1748779200123456n, id: 9007199254740993n };
  const c = encodeCursor(pos, "f");
  assert.match(c, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeCursor(c, "f"), { ok: true, value: pos });
  assert.deepEqual(decodeCursor(c, "g"), {
    ok: false,
    error: "cursor belongs to a query with other filters",
  });
  for (const bad of ["", "!!", "e30", btoa('{"v":2,"t":"1","i":"1","f":"x"}'), "x".repeat(300)]) {
    assert.equal(decodeCursor(bad, "f").ok, false, bad);
  }
});

Deno.test("times: ISO with up to nine fraction digits to microseconds and back", () => {
  assert.equal(isoToMicros("2025-06-01T12:00:00Z"), 1748779200000000n);
  assert.equal(isoToMicros("2025-06-01T12:00:00.123456789Z"), 1748779200123456n);
  assert.equal(isoToMicros("2025-06-01T14:00:00.5+02:00"), 1748779200500000n);
  assert.equal(microsToIso(1748779200123456n), "2025-06-01T12:00:00.123456Z");
  assert.equal(microsToIso(1748779200123000n), "2025-06-01T12:00:00.123Z");
  assert.equal(microsToIso(-1n), "1969-12-31T23:59:59.999999Z");
});

Deno.test("search SQL: LIKE wildcards escaped; every value a parameter; keyset, not OFFSET", () => {
  assert.equal(likePattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
  const { sql, params } = buildSearchSql({
    q: "x'; DROP TABLE logs; --",
    host: "h",
    minLevel: "warn",
    source: "/s",
    fromMs: 0,
    toMs: 1000,
    limit: 100,
    after: { timeUs: 5n, id: 7n },
  });
  assert.doesNotMatch(sql, /DROP|OFFSET/);
  assert.match(sql, /\(time, id\) < \(\$\d+::text::timestamptz, \$\d+::int8\)/);
  // Typed millisecond bounds the planner can prune partitions with; the cursor's is the
  // millisecond after its time (the exact position is the row comparison's).
  assert.match(sql, /time >= \$\d+::timestamptz AND time < \$\d+::timestamptz/);
  assert.match(sql, /time < \$(\d+)::timestamptz AND \(time, id\)/);
  assert.ok(params.includes("1970-01-01T00:00:00.001Z"));
  // Qualified, so `id` is the int8 column, not the output column `id::text`.
  assert.match(sql, /ORDER BY logs\.time DESC, logs\.id DESC LIMIT \$\d+::int4$/);
  assert.ok(params.includes("%x'; DROP TABLE logs; --%"));
  assert.equal(params.at(-1), 101);
  const plain = buildSearchSql({
    q: null,
    host: null,
    minLevel: "debug",
    source: null,
    fromMs: null,
    toMs: null,
    limit: 5,
    after: null,
  });
  assert.doesNotMatch(plain.sql, /WHERE/);
});

Deno.test("search params: defaults; stream allows only the filters", () => {
  const r = parseLogSearch(new URLSearchParams(""), { stream: false });
  assert.ok(r.ok);
  assert.deepEqual(r.value.search, {
    q: null,
    host: null,
    minLevel: null,
    source: null,
    fromMs: null,
    toMs: null,
    limit: 100,
    after: null,
  });
  const s = parseLogSearch(new URLSearchParams("q=x&level=ERR&host=h&source=/a"), { stream: true });
  assert.ok(s.ok && s.value.search.minLevel === "error");
  const bad = parseLogSearch(new URLSearchParams("limit=5"), { stream: true });
  assert.ok(!bad.ok && /limit is not supported by the live tail/.test(bad.error));
  const empty = parseLogSearch(new URLSearchParams("q=&host="), { stream: false });
  assert.ok(empty.ok && empty.value.search.q === null && empty.value.search.host === null);
});

Deno.test("partition names: day ↔ logs_pYYYYMMDD", () => {
  const day = Math.floor(Date.parse("2026-11-26T10:00:00Z") / 86_400_000);
  assert.equal(logPartitionName(day), "logs_p20261126");
  assert.equal(logPartitionDay("logs_p20261126"), day);
  assert.equal(logPartitionDay("logs_p20261131"), null);
  assert.equal(logPartitionDay("logs_default"), null);
});

Deno.test("live-tail filter: the same meaning as the search", () => {
  const e = (over: Partial<StoredLogEntry>): StoredLogEntry => ({
    id: 1n,
    timeUs: 0n,
    host: "h",
    source: "/a",
    level: "warn",
    message: "Disk 50% FULL",
    file: "f",
    offset: 0,
    truncated: false,
    ...over,
  });
  const m = matchesSearch({ q: "50% full", host: "h", minLevel: "warn", source: "/a" });
  assert.ok(m(e({})));
  assert.ok(m(e({ level: "fatal" })));
  assert.ok(!m(e({ level: "info" })));
  assert.ok(!m(e({ host: "g" })));
  assert.ok(!m(e({ source: "/b" })));
  assert.ok(!m(e({ message: "disk 50 full" })));
  assert.ok(
    matchesSearch({ q: null, host: null, minLevel: null, source: null })(e({ level: "debug" })),
  );
});
