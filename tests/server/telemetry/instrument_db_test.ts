import assert from "node:assert/strict";
import { createRegistry } from "../../../shared/telemetry/registry.ts";
import { instrumentDb, sqlOperation } from "../../../server/telemetry/instrument_db.ts";
import { createServerMetrics } from "../../../server/telemetry/server_metrics.ts";
import { sampleValue, ScriptedDb } from "./helpers.ts";

Deno.test("sqlOperation: the statement's verb, bounded", () => {
  assert.equal(sqlOperation("SELECT 1"), "select");
  assert.equal(sqlOperation("  -- comment\n insert INTO t VALUES (1)"), "insert");
  assert.equal(sqlOperation("/* x */ UPDATE t SET a = 1"), "update");
  assert.equal(sqlOperation("DELETE FROM t"), "delete");
  assert.equal(sqlOperation("WITH x AS (SELECT 1) SELECT * FROM x"), "select");
  assert.equal(
    sqlOperation("WITH x AS (DELETE FROM t RETURNING *) SELECT count(*) FROM x"),
    "delete",
  );
  assert.equal(sqlOperation("(SELECT 1) UNION (SELECT 2)"), "select");
  assert.equal(sqlOperation("CREATE TABLE IF NOT EXISTS p PARTITION OF t"), "ddl");
  assert.equal(sqlOperation("DROP TABLE p"), "ddl");
  assert.equal(sqlOperation("BEGIN"), "other");
  assert.equal(sqlOperation("SELECT pg_advisory_lock(1)"), "select");
  assert.equal(sqlOperation(""), "other");
});

Deno.test("instrumentDb: every statement timed by operation, transactions as a whole, COPY as copy", async () => {
  const registry = createRegistry();
  const m = createServerMetrics(registry);
  let clock = 0;
  const inner = new ScriptedDb(() => clock += 2);
  const db = instrumentDb(inner, m, () => clock);
  assert.equal(db.kind, "pglite");
  assert.equal(db.timescale, false);
  await db.query("SELECT 1");
  await db.exec("CREATE TABLE x (a int)");
  await db.transaction(async (tx) => {
    await tx.query("INSERT INTO x VALUES (1)");
    await tx.copySamples({ time: [1, 2], seriesId: [1, 1], value: [0, 1] });
  });
  await db.session(async (s) => {
    await s.query("SELECT pg_advisory_lock(1)");
    await s.transaction((tx) => tx.query("UPDATE x SET a = 2"));
  });
  await db.close();
  assert.ok(inner.closed);
  assert.deepEqual(inner.statements, [
    "SELECT 1",
    "CREATE TABLE x (a int)",
    "INSERT INTO x VALUES (1)",
    "COPY 2",
    "SELECT pg_advisory_lock(1)",
    "UPDATE x SET a = 2",
  ]);
  const text = await registry.metrics();
  const count = (op: string) =>
    sampleValue(text, `miniobserv_db_query_duration_seconds_count{operation="${op}"}`);
  assert.equal(count("select"), 2);
  assert.equal(count("ddl"), 1);
  assert.equal(count("insert"), 1);
  assert.equal(count("copy"), 1);
  assert.equal(count("update"), 1);
  assert.equal(count("transaction"), 2);
  assert.equal(
    sampleValue(text, 'miniobserv_db_query_duration_seconds_sum{operation="copy"}'),
    0.002,
  );
});

Deno.test("instrumentDb: a failing statement is counted as an error and still timed, and rethrown", async () => {
  const registry = createRegistry();
  const m = createServerMetrics(registry);
  const inner = new ScriptedDb();
  inner.failOn = /^DELETE/;
  const db = instrumentDb(inner, m);
  await assert.rejects(db.query("DELETE FROM x"), /failed: DELETE/);
  const text = await registry.metrics();
  assert.equal(sampleValue(text, 'miniobserv_db_query_errors_total{operation="delete"}'), 1);
  assert.equal(
    sampleValue(text, 'miniobserv_db_query_duration_seconds_count{operation="delete"}'),
    1,
  );
});
