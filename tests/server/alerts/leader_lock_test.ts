/**
 * The leader lock on real PostgreSQL: one holder among replicas, fencing of writes, and
 * takeover when the holder's connection dies (as when its process is killed).
 */
import assert from "node:assert/strict";
import { AdvisoryLeaderLock, LEADER_LOCK_KEY } from "../../../server/leader/advisory_lock.ts";
import { LeadershipLost, SingleProcessLock } from "../../../server/leader/leader_lock.ts";
import { openPglite } from "../../../server/db/pglite_driver.ts";
import { openPostgres } from "../../../server/db/postgres_driver.ts";
import { silentLogger } from "../../../shared/log.ts";
import { backendNamed, POSTGRES_SKIP, TEST_DATABASE_URL } from "../storage/backends.ts";

Deno.test({
  name:
    "leader lock: one holder; writes fenced; takeover when the holder's connection dies [postgres]",
  ignore: !!POSTGRES_SKIP,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const o = await backendNamed("postgres").openDb();
    try {
      await o.db.exec("CREATE TABLE fenced_writes (who text)");
      const [{ name }] = await o.db.query<{ name: string }>("SELECT current_database() AS name");
      const url = new URL(TEST_DATABASE_URL!);
      url.pathname = `/${name}`;
      // Each replica's lock has a connection of its own (a pool of one).
      const lockDb = () => openPostgres(url.href, { log: silentLogger, max: 1 });
      const [dbA, dbB] = [await lockDb(), await lockDb()];
      const a = new AdvisoryLeaderLock(dbA, { log: silentLogger });
      const b = new AdvisoryLeaderLock(dbB, { log: silentLogger });
      assert.equal(await a.check(), true);
      assert.equal(await b.check(), false);
      assert.equal(await a.check(), true, "still held");
      assert.equal(a.term, 1, "taken once, held since");
      assert.equal(a.leading, true);
      assert.equal(b.leading, false);
      await a.fenced(async (tx) => {
        await tx.query("INSERT INTO fenced_writes VALUES ('a')");
      });
      await assert.rejects(b.fenced(() => Promise.resolve()), LeadershipLost);

      // The holder's connection dies (its process was killed): the lock is free.
      const lo = Number(LEADER_LOCK_KEY & 0xffffffffn);
      const [holder] = await o.db.query<{ pid: number }>(
        // pg_locks is cluster-wide: other tests' servers hold the same key in their databases.
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid::bigint = $1 AND granted" +
          " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        [lo],
      );
      await o.db.query("SELECT pg_terminate_backend($1)", [holder.pid]);
      // The backend exits a moment after being signalled; then the lock is free.
      let tookOver = false;
      for (let i = 0; i < 50 && !tookOver; i++) {
        tookOver = await b.check();
        if (!tookOver) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(tookOver, true, "another replica takes over");
      assert.equal(await a.check(), false, "the old holder learns it lost");
      await assert.rejects(a.fenced(() => Promise.resolve()), LeadershipLost);
      await b.fenced(async (tx) => {
        await tx.query("INSERT INTO fenced_writes VALUES ('b')");
      });

      await b.release();
      assert.equal(await a.check(), true, "a released lock is taken at the next check");
      assert.equal(a.term, 2, "a new term: states cached in the first are stale");
      await a.release();
      await dbA.close();
      await dbB.close();
      const rows = await o.db.query<{ who: string }>("SELECT who FROM fenced_writes ORDER BY who");
      assert.deepEqual(rows.map((r) => r.who), ["a", "b"]);
    } finally {
      await o.close();
    }
  },
});

Deno.test({
  name: "leader lock: on PGlite the one process always leads and holds no session",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = await openPglite();
    try {
      const lock = new SingleProcessLock(db);
      assert.equal(lock.leading, false);
      assert.equal(await lock.check(), true);
      await lock.fenced(async (tx) => {
        await tx.query("SELECT 1");
      });
      // Nothing is pinned: other work runs between checks.
      assert.deepEqual(await db.query("SELECT 1 AS x"), [{ x: 1 }]);
      await lock.release();
      assert.equal(lock.leading, false);
    } finally {
      await db.close();
    }
  },
});
