/**
 * `PartitionManager` on every backend: partitions ahead, retention by dropping whole
 * partitions (or chunks), batch-id expiry, the watched DEFAULT partition, Timescale policies.
 */
import assert from "node:assert/strict";
import { createLogger } from "../../../shared/log.ts";
import { PartitionManager } from "../../../server/storage/partitions.ts";
import { partitionName, utcDay } from "../../../server/storage/days.ts";
import { backendNamed, BACKENDS, type OpenedStore, POSTGRES_SKIP } from "./backends.ts";
import { batch, DAY, metric, NOW } from "./fixtures.ts";

/** A clock the test moves. */
function clock(start = NOW) {
  const c = { now: start, fn: () => c.now };
  return c;
}

function suite(name: string, fn: (s: OpenedStore, c: ReturnType<typeof clock>) => Promise<void>) {
  for (const backend of BACKENDS) {
    Deno.test({
      name: `${backend.name}: ${name}${backend.skip ? ` (skipped: ${backend.skip})` : ""}`,
      ignore: !!backend.skip,
      fn: async () => {
        const c = clock();
        const s = await backend.open({ now: c.fn });
        try {
          await fn(s, c);
        } finally {
          await s.close();
        }
      },
    });
  }
}

async function samples(s: OpenedStore): Promise<number> {
  const rows = await s.db.query<{ n: unknown }>("SELECT count(*) AS n FROM metric_samples");
  return Number(rows[0].n);
}

async function partitionNames(s: OpenedStore): Promise<string[]> {
  const rows = await s.db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'metric_samples'::regclass ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

suite("ensurePartitions makes yesterday to 3 days ahead, once", async (s) => {
  const created = await s.partitions.ensurePartitions();
  if (await s.partitions.layout() === "hypertable") {
    assert.deepEqual(created, []);
    return;
  }
  const expected = [-1, 0, 1, 2, 3].map((d) => partitionName(utcDay(NOW) + d));
  assert.deepEqual(created, expected);
  assert.deepEqual(expected, [
    "metric_samples_p20260309",
    "metric_samples_p20260310",
    "metric_samples_p20260311",
    "metric_samples_p20260312",
    "metric_samples_p20260313",
  ]);
  assert.deepEqual(await s.partitions.ensurePartitions(), []);
  // A second manager (another replica) finds them made and makes none.
  const other = new PartitionManager(s.db, {
    retentionMs: 30 * DAY,
    now: () => NOW,
    log: createLogger("error", () => {}),
  });
  assert.deepEqual(await other.ensurePartitions(), []);
  assert.deepEqual(await partitionNames(s), ["metric_samples_default", ...expected]);
});

suite("retention drops whole old partitions or chunks and forgets old batch ids", async (s, c) => {
  const old = batch("h1", [metric("h1", "mem.used_pct", NOW - 25 * DAY, 1)]);
  await s.store.ingest(old, null, new Date(NOW - 25 * DAY));
  await s.store.ingest(
    batch("h1", [
      metric("h1", "mem.used_pct", NOW - 10 * DAY, 2),
      metric("h1", "mem.used_pct", NOW, 3),
    ]),
    null,
    new Date(NOW),
  );
  assert.equal(await samples(s), 3);
  assert.deepEqual(await s.partitions.dropExpired(), []);
  assert.equal(await s.partitions.expireBatches(), 0);

  c.now = NOW + 10 * DAY; // cutoff: NOW − 20 days
  const dropped = await s.partitions.dropExpired();
  if (await s.partitions.layout() === "partitioned") {
    assert.deepEqual(dropped, [partitionName(utcDay(NOW - 25 * DAY))]);
    assert.ok(!(await partitionNames(s)).includes(partitionName(utcDay(NOW - 25 * DAY))));
  } else {
    assert.equal(dropped.length, 1);
    assert.match(dropped[0], /_hyper_\d+_\d+_chunk/);
  }
  assert.equal(await samples(s), 2);
  assert.deepEqual(await s.partitions.dropExpired(), []);
  assert.equal(await s.partitions.expireBatches(), 1);
  const ids = await s.db.query("SELECT batch_id FROM ingested_batches");
  assert.equal(ids.length, 1);
  // The forgotten id is accepted again (its data is gone too).
  const again = await s.store.ingest(
    { ...old, metrics: [metric("h1", "mem.used_pct", NOW + 10 * DAY, 4)] },
    null,
    new Date(NOW + 10 * DAY),
  );
  assert.deepEqual(again, { ingested: 1, duplicate: false });
});

suite("rows in the default partition are counted and logged", async (s) => {
  const lines: string[] = [];
  const watcher = new PartitionManager(s.db, {
    retentionMs: 30 * DAY,
    now: () => NOW,
    log: createLogger("warn", (l) => lines.push(l)),
  });
  // 30 days ahead of receipt: the store makes no partition for it.
  const result = await s.store.ingest(
    batch("h1", [metric("h1", "mem.used_pct", NOW + 30 * DAY, 1)]),
    null,
    new Date(NOW),
  );
  assert.deepEqual(result, { ingested: 1, duplicate: false });
  assert.equal(await samples(s), 1);
  if (await s.partitions.layout() === "hypertable") {
    assert.equal(await watcher.countDefaultRows(), 0);
    assert.deepEqual(lines, []);
    return;
  }
  assert.equal(await watcher.countDefaultRows(), 1);
  assert.equal(lines.length, 1);
  const entry = JSON.parse(lines[0]);
  assert.equal(entry.level, "warn");
  assert.equal(entry.rows, 1);
  assert.equal(entry.partition, "metric_samples_default");
});

suite("a day whose rows sit in the default partition is logged, not thrown", async (s) => {
  if (await s.partitions.layout() === "hypertable") return;
  await s.store.ingest(
    batch("h1", [metric("h1", "mem.used_pct", NOW + 30 * DAY, 1)]),
    null,
    new Date(NOW),
  );
  const lines: string[] = [];
  const pm = new PartitionManager(s.db, {
    retentionMs: 30 * DAY,
    now: () => NOW,
    log: createLogger("error", (l) => lines.push(l)),
  });
  assert.deepEqual(await pm.ensureDays([utcDay(NOW + 30 * DAY)]), []);
  assert.equal(lines.length, 1);
  assert.match(JSON.parse(lines[0]).error, /default partition/);
  // Ingest does not retry it for every batch; the periodic pass does.
  assert.deepEqual(await pm.ensureDays([utcDay(NOW + 30 * DAY)]), []);
  assert.equal(lines.length, 1);
  assert.equal(await pm.countDefaultRows(), 1);
});

suite("maintain reports one pass", async (s, c) => {
  await s.store.ingest(
    batch("h1", [metric("h1", "mem.used_pct", NOW - 25 * DAY, 1)]),
    null,
    new Date(NOW - 25 * DAY),
  );
  c.now = NOW + 10 * DAY;
  const report = await s.partitions.maintain();
  assert.equal(report.dropped.length, 1);
  assert.equal(report.expiredBatches, 1);
  assert.equal(report.defaultRows, 0);
  if (report.layout === "partitioned") {
    assert.deepEqual(
      report.created,
      [-1, 0, 1, 2, 3].map((d) => partitionName(utcDay(NOW + 10 * DAY) + d)),
    );
  } else {
    assert.deepEqual(report.created, []);
  }
});

Deno.test("timescaledb: compression and retention policies follow the configuration", async () => {
  const s = await backendNamed("timescaledb").open({ now: () => NOW });
  try {
    const jobs = async () =>
      await s.db.query<{ proc: string; after: string }>(
        `SELECT proc_name AS proc,
                coalesce(config->>'compress_after', config->>'drop_after') AS after
           FROM timescaledb_information.jobs
          WHERE hypertable_name = 'metric_samples' ORDER BY proc_name`,
      );
    await s.partitions.applyPolicies();
    const first = await jobs();
    assert.deepEqual(first.map((j) => j.proc), ["policy_compression", "policy_retention"]);
    assert.match(first[0].after, /^7 days$/);
    assert.match(first[1].after, /^30 days$/);
    await s.partitions.applyPolicies();
    assert.deepEqual(await jobs(), first);
    const changed = new PartitionManager(s.db, {
      retentionMs: 14 * DAY,
      compressAfterMs: 2 * DAY,
      now: () => NOW,
      log: createLogger("error", () => {}),
    });
    await changed.applyPolicies();
    const second = await jobs();
    assert.match(second[0].after, /^2 days$/);
    assert.match(second[1].after, /^14 days$/);
    const settings = await s.db.query<{ segmentby: string | null; orderby: string | null }>(
      `SELECT segmentby::text AS segmentby, orderby::text AS orderby
         FROM timescaledb_information.hypertable_compression_settings
        WHERE hypertable = 'metric_samples'::regclass`,
    );
    assert.deepEqual(settings, [{ segmentby: "series_id", orderby: `"time" DESC` }]);
  } finally {
    await s.close();
  }
});

Deno.test({
  name: `postgres: replicas making the same partitions at once all succeed${
    POSTGRES_SKIP ? ` (skipped: ${POSTGRES_SKIP})` : ""
  }`,
  ignore: !!POSTGRES_SKIP,
  fn: async () => {
    const s = await backendNamed("postgres").open({ now: () => NOW });
    try {
      const dbs = await Promise.all([1, 2, 3].map(() => s.connectAgain()));
      const managers = dbs.map((db) =>
        new PartitionManager(db, {
          retentionMs: 30 * DAY,
          daysAhead: 10,
          now: () => NOW,
          log: createLogger("error", () => {
            throw new Error("no error may be logged");
          }),
        })
      );
      const created = await Promise.all(managers.map((m) => m.ensurePartitions()));
      assert.equal(created.flat().length, 12);
      assert.equal(new Set(created.flat()).size, 12);
    } finally {
      await s.close();
    }
  },
});
