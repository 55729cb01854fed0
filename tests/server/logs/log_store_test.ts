/**
 * Log storage on every backend: the schema, de-duplication by (host, file, offset, time),
 * the time window, every search filter, literal wildcards, keyset pagination, partitions and
 * retention, and the trigram index serving substring search.
 */
import assert from "node:assert/strict";
import type { LogBatch, LogEntry } from "../../../shared/log_entry.ts";
import type { LogEntryLevel } from "../../../shared/log_levels.ts";
import { detectLogLayout, logPartitionName } from "../../../server/logs/log_partitions.ts";
import type { LogSearch, StoredLogEntry } from "../../../server/logs/log_store.ts";
import { microsToIso } from "../../../server/logs/time.ts";
import { logTest } from "./log_backends.ts";

const T0 = Date.parse("2025-06-01T11:00:00Z");

function e(i: number, over: Partial<LogEntry> = {}): LogEntry {
  return {
    time: new Date(T0 + i * 1000).toISOString(),
    host: "web-1",
    source: "/var/log/app.log",
    level: "info",
    message: `message ${i}`,
    file: "f1",
    offset: i * 100,
    ...over,
  };
}

const batch = (id: string, entries: LogEntry[], host = "web-1"): LogBatch => ({
  id,
  host,
  entries,
});

const search = (over: Partial<LogSearch> = {}): LogSearch => ({
  q: null,
  host: null,
  minLevel: null,
  source: null,
  fromMs: null,
  toMs: null,
  limit: 100,
  after: null,
  ...over,
});

const msgs = (xs: StoredLogEntry[]) => xs.map((x) => x.message);
const now = (clock: { now: number }) => new Date(clock.now);

logTest(
  "the schema: layout, the unique line key, keyset index, search index as expected",
  async ({ db, partitions }, b) => {
    assert.equal(await detectLogLayout(db), db.timescale ? "hypertable" : "partitioned");
    const report = await partitions.maintain();
    assert.equal(report.search, b.search);
    const defs = (await db.query<{ def: string }>(
      "SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = 'logs'::regclass",
    )).map((r) => r.def).join("\n");
    assert.match(defs, /UNIQUE INDEX logs_line_key_idx .*\(host, "time", file_id, file_offset\)/);
    assert.match(defs, /logs_time_id_idx .*\("time", id\)/);
    if (b.search === "trigram") {
      assert.match(
        defs,
        /logs_message_trgm_idx .*gin \(message gin_trgm_ops\)/,
      );
    } else assert.doesNotMatch(defs, /trgm/);
  },
);

logTest(
  "ingest stores each line once: a retried or re-read line is a duplicate",
  async ({ store }, _b, clock) => {
    const first = await store.ingest(batch("b1", [e(1), e(2), e(3)]), now(clock));
    assert.equal(first.stored.length, 3);
    assert.equal(first.duplicates, 0);
    assert.ok(first.stored.every((s) => s.id > 0n));
    // The same batch again (a retry), and a re-read under another batch id with one new line.
    const retry = await store.ingest(batch("b1", [e(1), e(2), e(3)]), now(clock));
    assert.deepEqual([retry.stored.length, retry.duplicates], [0, 3]);
    const reread = await store.ingest(batch("b9", [e(2), e(3), e(4), e(4)]), now(clock));
    assert.deepEqual([reread.stored.length, reread.duplicates], [1, 3]);
    assert.equal(reread.stored[0].message, "message 4");
    // Another host, or another file, with the same offsets is another line.
    const other = await store.ingest(batch("b2", [e(1, { host: "web-2" })], "web-2"), now(clock));
    const otherFile = await store.ingest(batch("b3", [e(1, { file: "f2" })]), now(clock));
    assert.equal(other.stored.length + otherFile.stored.length, 2);
    const all = await store.search(search({ limit: 1000 }));
    assert.equal(all.entries.length, 6);
  },
);

logTest(
  "ingest: entries older than the retention or over 10 minutes ahead are counted, not stored",
  async ({ store }, _b, clock) => {
    const old = e(0, { time: new Date(clock.now - 15 * 86_400_000).toISOString() });
    const ahead = e(1, { time: new Date(clock.now + 11 * 60_000).toISOString() });
    const soon = e(2, { time: new Date(clock.now + 9 * 60_000).toISOString() });
    const r = await store.ingest(batch("b", [old, ahead, soon]), now(clock));
    assert.deepEqual([r.stored.length, r.tooOld, r.future, r.duplicates], [1, 1, 1, 0]);
  },
);

logTest("ingest keeps microseconds and every field", async ({ store }, _b, clock) => {
  const x = e(1, {
    time: "2025-06-01T11:00:00.123456Z",
    level: "fatal",
    message: "naïve 😀 'quoted' \"double\" \\ {braces} NULL\ttab\nnewline",
    truncated: true,
    offset: 2 ** 40,
  });
  await store.ingest(batch("b", [x]), now(clock));
  const [got] = (await store.search(search())).entries;
  assert.equal(microsToIso(got.timeUs), "2025-06-01T11:00:00.123456Z");
  assert.deepEqual(
    { ...got, id: 0n, timeUs: 0n },
    {
      id: 0n,
      timeUs: 0n,
      host: "web-1",
      source: x.source,
      level: "fatal",
      message: x.message,
      file: "f1",
      offset: 2 ** 40,
      truncated: true,
    },
  );
});

async function seed(
  store: { ingest: (b: LogBatch, t: Date) => Promise<unknown> },
  clock: { now: number },
) {
  const levels: LogEntryLevel[] = ["debug", "info", "warn", "error", "fatal"];
  const entries: LogEntry[] = [];
  for (let i = 0; i < 50; i++) {
    entries.push(e(i, {
      host: i % 2 === 0 ? "web-1" : "web-2",
      level: levels[i % 5],
      source: i % 3 === 0 ? "/var/log/a.log" : "/var/log/b.log",
      message: i === 7 ? "Disk 100% FULL on /dev/sda_1 (C:\\Temp)" : `request ${i} served`,
    }));
  }
  for (const host of ["web-1", "web-2"]) {
    await store.ingest(
      batch(`seed-${host}`, entries.filter((x) => x.host === host), host),
      now(clock),
    );
  }
}

logTest("search: newest first by the entry's time; every filter", async ({ store }, _b, clock) => {
  await seed(store, clock);
  const all = (await store.search(search({ limit: 1000 }))).entries;
  assert.equal(all.length, 50);
  for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].timeUs > all[i].timeUs);
  assert.equal(all[0].message, "request 49 served");
  const host = (await store.search(search({ host: "web-2", limit: 1000 }))).entries;
  assert.equal(host.length, 25);
  assert.ok(host.every((x) => x.host === "web-2"));
  const warn = (await store.search(search({ minLevel: "warn", limit: 1000 }))).entries;
  assert.equal(warn.length, 30);
  assert.ok(warn.every((x) => ["warn", "error", "fatal"].includes(x.level)));
  assert.equal((await store.search(search({ minLevel: "debug", limit: 1000 }))).entries.length, 50);
  const src = (await store.search(search({ source: "/var/log/a.log", limit: 1000 }))).entries;
  assert.equal(src.length, 17);
  const range =
    (await store.search(search({ fromMs: T0 + 10_000, toMs: T0 + 20_000, limit: 1000 }))).entries;
  assert.deepEqual(msgs(range), Array.from({ length: 10 }, (_, k) => `request ${19 - k} served`));
  const combined = (await store.search(
    search({ host: "web-1", minLevel: "error", source: "/var/log/a.log", limit: 1000 }),
  )).entries;
  assert.ok(combined.length > 0);
  assert.ok(
    combined.every((x) =>
      x.host === "web-1" && x.source === "/var/log/a.log" && ["error", "fatal"].includes(x.level)
    ),
  );
  const limited = await store.search(search({ limit: 5 }));
  assert.equal(limited.entries.length, 5);
  assert.ok(limited.next);
});

logTest(
  "search: q is a case-insensitive substring; %, _ and \\ match literally",
  async ({ store }, _b, clock) => {
    await seed(store, clock);
    const q = async (text: string) =>
      msgs((await store.search(search({ q: text, limit: 1000 }))).entries);
    assert.deepEqual(await q("disk 100% full"), ["Disk 100% FULL on /dev/sda_1 (C:\\Temp)"]);
    assert.deepEqual(await q("100%"), ["Disk 100% FULL on /dev/sda_1 (C:\\Temp)"]);
    assert.deepEqual(await q("%"), ["Disk 100% FULL on /dev/sda_1 (C:\\Temp)"]);
    assert.deepEqual(await q("sda_1"), ["Disk 100% FULL on /dev/sda_1 (C:\\Temp)"]);
    assert.deepEqual(await q("_"), ["Disk 100% FULL on /dev/sda_1 (C:\\Temp)"]);
    assert.deepEqual(await q("c:\\temp"), ["Disk 100% FULL on /dev/sda_1 (C:\\Temp)"]);
    assert.deepEqual(await q("request 4%"), []);
    assert.deepEqual(await q("request _ served"), []);
    assert.equal((await q("SERVED")).length, 49);
    assert.deepEqual(await q("request 4 "), ["request 4 served"]);
  },
);

logTest(
  "search: a cursor walk returns every entry once, in order, ties in time broken by id",
  async ({ store }, _b, clock) => {
    await seed(store, clock);
    // Ten entries sharing one time, from two files.
    const same = Array.from(
      { length: 10 },
      (_, k) => e(100 + k, { time: new Date(T0 + 25_500).toISOString(), file: `t${k % 2}` }),
    );
    await store.ingest(batch("ties", same), now(clock));
    const full = (await store.search(search({ limit: 1000 }))).entries;
    assert.equal(full.length, 60);
    const walked: StoredLogEntry[] = [];
    let after = null;
    for (let pages = 0; pages < 100; pages++) {
      const page = await store.search(search({ limit: 7, after }));
      walked.push(...page.entries);
      if (!page.next) {
        break;
      }
      after = page.next;
    }
    assert.deepEqual(walked.map((x) => x.id), full.map((x) => x.id));
    for (let i = 1; i < full.length; i++) {
      const [a, b] = [full[i - 1], full[i]];
      assert.ok(a.timeUs > b.timeUs || (a.timeUs === b.timeUs && a.id > b.id));
    }
    // With filters, too.
    const filtered =
      (await store.search(search({ host: "web-1", q: "served", limit: 1000 }))).entries;
    const walkedFiltered: bigint[] = [];
    after = null;
    do {
      const page = await store.search(search({ host: "web-1", q: "served", limit: 4, after }));
      walkedFiltered.push(...page.entries.map((x) => x.id));
      after = page.next;
    } while (after);
    assert.deepEqual(walkedFiltered, filtered.map((x) => x.id));
  },
);

logTest(
  "search: ties in time are ordered by id as a number, so a walk across 9 → 10 loses nothing",
  async ({ store }, _b, clock) => {
    // Twelve entries sharing one time on a fresh database: ids 1 to 12, where "9" > "12" as text.
    const same = Array.from(
      { length: 12 },
      (_, k) => e(k, { time: new Date(T0).toISOString() }),
    );
    await store.ingest(batch("ties", same), now(clock));
    const full = (await store.search(search({ limit: 1000 }))).entries;
    assert.equal(full.length, 12);
    for (let i = 1; i < full.length; i++) assert.ok(full[i - 1].id > full[i].id);
    const walked: bigint[] = [];
    let after = null;
    do {
      const page = await store.search(search({ host: "web-1", limit: 5, after }));
      walked.push(...page.entries.map((x) => x.id));
      after = page.next;
    } while (after);
    assert.deepEqual(walked, full.map((x) => x.id));
  },
);

logTest(
  "search: a cursor inside a millisecond and across midnight (two partitions) loses nothing",
  async ({ store }, _b, clock) => {
    // Microseconds apart within one millisecond, either side of a day (partition) boundary,
    // and two entries sharing a microsecond: the page bound the planner prunes with is the
    // cursor's millisecond, the exact position is the (time, id) comparison.
    const times = [
      "2025-05-31T23:59:59.998999Z",
      "2025-05-31T23:59:59.999Z",
      "2025-05-31T23:59:59.999001Z",
      "2025-05-31T23:59:59.999500Z",
      "2025-05-31T23:59:59.999500Z",
      "2025-05-31T23:59:59.999999Z",
      "2025-06-01T00:00:00.000Z",
      "2025-06-01T00:00:00.000001Z",
      "2025-06-01T00:00:00.000999Z",
      "2025-06-01T00:00:00.001Z",
    ];
    await store.ingest(
      batch("midnight", times.map((time, k) => e(k, { time, message: `m${k}` }))),
      now(clock),
    );
    const full = (await store.search(search({ limit: 1000 }))).entries;
    assert.deepEqual(
      full.map((x) => microsToIso(x.timeUs)),
      [...times].reverse(),
    );
    for (const limit of [1, 2, 3]) {
      for (const host of [null, "web-1"]) {
        const walked: bigint[] = [];
        let after = null;
        do {
          const page = await store.search(search({ host, limit, after }));
          walked.push(...page.entries.map((x) => x.id));
          after = page.next;
        } while (after);
        assert.deepEqual(walked, full.map((x) => x.id), `limit ${limit}, host ${host}`);
      }
    }
    // Millisecond range bounds: from inclusive, to exclusive, microseconds inside them kept.
    const range = (await store.search(search({
      fromMs: Date.parse("2025-05-31T23:59:59.999Z"),
      toMs: Date.parse("2025-06-01T00:00:00.001Z"),
      limit: 1000,
    }))).entries;
    assert.deepEqual(
      range.map((x) => x.id),
      full.filter((x) => x.message !== "m0" && x.message !== "m9").map((x) => x.id),
    );
    assert.equal(range.length, 8);
  },
);

logTest(
  "partitions: made for ingested days, expired ones dropped whole; the default partition watched",
  async ({ db, store, partitions }, _b, clock) => {
    await partitions.maintain();
    const day = Math.floor(clock.now / 86_400_000);
    await store.ingest(
      batch("old", [e(0, { time: new Date(clock.now - 13 * 86_400_000).toISOString() })]),
      now(clock),
    );
    await store.ingest(batch("new", [e(1)]), now(clock));
    if (!db.timescale) {
      const names = (await db.query<{ name: string }>(
        "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'logs'::regclass",
      )).map((r) => r.name);
      assert.ok(names.includes(logPartitionName(day)));
      assert.ok(names.includes(logPartitionName(day - 13)));
      assert.ok(names.includes("logs_default"));
    }
    // Two days later, the 13-day-old entry is past the 14-day retention.
    clock.now += 2 * 86_400_000;
    const report = await partitions.maintain();
    assert.ok(report.dropped.length >= 1, JSON.stringify(report));
    const left = (await store.search(search())).entries;
    assert.deepEqual(msgs(left), ["message 1"]);
    assert.equal(report.defaultRows, 0);
  },
);

logTest(
  "the trigram index serves a substring search (planner told to avoid scans)",
  async ({ db, store }, _b, clock) => {
    await seed(store, clock);
    const plan = await db.session(async (s) => {
      await s.query("SET enable_seqscan = off");
      await s.query("SET enable_indexscan = off");
      try {
        await s.query("ANALYZE logs");
        const rows = await s.query<Record<string, string>>(
          "EXPLAIN SELECT id FROM logs WHERE message ILIKE $1 ESCAPE '\\' ORDER BY time DESC, id DESC LIMIT 101",
          ["%sda\\_1%"],
        );
        return rows.map((r) => Object.values(r)[0]).join("\n");
      } finally {
        await s.query("RESET enable_seqscan");
        await s.query("RESET enable_indexscan");
      }
    });
    assert.match(plan, /Bitmap Index Scan on .*(logs_message_trgm_idx|message_idx)/, plan);
  },
  ["pglite+pg_trgm", "postgres", "timescaledb+pg_trgm"],
);
