/** Migrations on every backend: applied once, re-run a no-op, failures roll back, replicas race safely. */
import assert from "node:assert/strict";
import { silentLogger } from "../../../shared/log.ts";
import {
  loadMigrations,
  migrate,
  type Migration,
  parseMigrationFileName,
  sortMigrations,
} from "../../../server/db/migrate.ts";
import { detectSampleLayout } from "../../../server/storage/sample_layout.ts";
import type { Db } from "../../../server/db/db.ts";
import { backendNamed, BACKENDS, type OpenedDb, POSTGRES_SKIP } from "./backends.ts";

const log = silentLogger;

function suite(name: string, fn: (o: OpenedDb) => Promise<void>) {
  for (const backend of BACKENDS) {
    Deno.test({
      name: `${backend.name}: ${name}${backend.skip ? ` (skipped: ${backend.skip})` : ""}`,
      ignore: !!backend.skip,
      fn: async () => {
        const o = await backend.openDb();
        try {
          await fn(o);
        } finally {
          await o.close();
        }
      },
    });
  }
}

async function recorded(db: Db) {
  return await db.query<{ version: number; name: string }>(
    "SELECT version, name FROM schema_migrations ORDER BY version",
  );
}

async function tableExists(db: Db, name: string): Promise<boolean> {
  return (await db.query("SELECT 1 AS x WHERE to_regclass($1) IS NOT NULL", [name])).length > 0;
}

suite("migrations apply once; a second run is a no-op", async ({ db }) => {
  const migrations = await loadMigrations();
  const labels = migrations.map((m) => `${String(m.version).padStart(3, "0")}_${m.name}`);
  assert.equal(labels[0], "001_metrics_schema");
  assert.deepEqual(await migrate(db, { migrations, log }), { applied: labels });
  assert.deepEqual(await migrate(db, { migrations, log }), { applied: [] });
  assert.deepEqual(
    (await recorded(db)).map((r) => [Number(r.version), r.name]),
    migrations.map((m) => [m.version, m.name]),
  );
  for (const t of ["series", "hosts", "ingested_batches", "metric_samples"]) {
    assert.ok(await tableExists(db, t), t);
  }
  assert.equal(
    await detectSampleLayout(db),
    db.timescale ? "hypertable" : "partitioned",
  );
  // One index on samples: (series_id, time DESC).
  const indexes = await db.query<{ def: string }>(
    `SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index
      WHERE indrelid = 'metric_samples'::regclass`,
  );
  assert.equal(indexes.length, 1);
  assert.match(indexes[0].def, /\(series_id, "time" DESC\)/);
});

suite("a failing migration rolls back and names itself", async ({ db }) => {
  const migrations: Migration[] = [
    { version: 1, name: "one", sql: "CREATE TABLE t_one (a int)" },
    { version: 2, name: "bad", sql: "CREATE TABLE t_two (a int); SELECT no_such_function()" },
  ];
  await assert.rejects(
    migrate(db, { migrations, log }),
    /migrate: applying 002_bad: .*no_such_function/,
  );
  assert.deepEqual((await recorded(db)).map((r) => Number(r.version)), [1]);
  assert.ok(await tableExists(db, "t_one"));
  assert.ok(!await tableExists(db, "t_two"));
  // The lock was released: a fixed migration applies.
  migrations[1] = { version: 2, name: "bad", sql: "CREATE TABLE t_two (a int)" };
  assert.deepEqual(await migrate(db, { migrations, log }), { applied: ["002_bad"] });
});

Deno.test({
  name: `postgres: three replicas migrating at once apply each migration once${
    POSTGRES_SKIP ? ` (skipped: ${POSTGRES_SKIP})` : ""
  }`,
  ignore: !!POSTGRES_SKIP,
  fn: async () => {
    const o = await backendNamed("postgres").openDb();
    try {
      const replicas = await Promise.all([1, 2, 3].map(() => o.connectAgain()));
      const migrations = [
        ...await loadMigrations(),
        // Slow, and not idempotent: a second application would fail.
        { version: 999, name: "slow", sql: "SELECT pg_sleep(0.2); CREATE TABLE slow_one (a int)" },
      ];
      const results = await Promise.all(replicas.map((db) => migrate(db, { migrations, log })));
      assert.deepEqual(
        results.flatMap((r) => r.applied).sort(),
        migrations.map((m) => `${String(m.version).padStart(3, "0")}_${m.name}`).sort(),
      );
      assert.deepEqual(
        (await recorded(o.db)).map((r) => Number(r.version)),
        migrations.map((m) => m.version),
      );
    } finally {
      await o.close();
    }
  },
});

Deno.test("migrate: file names parse as NNN_name.sql", () => {
  assert.deepEqual(parseMigrationFileName("001_metrics_schema.sql"), {
    version: 1,
    name: "metrics_schema",
  });
  assert.deepEqual(parseMigrationFileName("120_add_logs.sql"), { version: 120, name: "add_logs" });
  assert.equal(parseMigrationFileName("README.md"), null);
  assert.equal(parseMigrationFileName("1-x.sql"), null);
  assert.equal(parseMigrationFileName("001_Bad Name.sql"), null);
});

Deno.test("migrate: migrations sort by version and refuse a duplicate version", () => {
  const m = (version: number, name: string) => ({ version, name, sql: "" });
  assert.deepEqual(sortMigrations([m(10, "b"), m(2, "a")]).map((x) => x.version), [2, 10]);
  assert.throws(() => sortMigrations([m(1, "a"), m(1, "b")]), /version 1 is used by both a and b/);
});

Deno.test("migrate: the repository's migrations load in order", async () => {
  const migrations = await loadMigrations();
  assert.ok(migrations.length >= 1);
  assert.deepEqual(migrations[0].name, "metrics_schema");
  // Strictly increasing; gaps are allowed (each area numbers its own range: logs from 010).
  for (let i = 1; i < migrations.length; i++) {
    assert.ok(migrations[i].version > migrations[i - 1].version);
  }
});
