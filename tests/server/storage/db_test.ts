/** The `Db` interface on every backend: bulk insert round trip, transactions, sessions. */
import assert from "node:assert/strict";
import { BACKENDS, type OpenedStore } from "./backends.ts";

function suite(name: string, fn: (s: OpenedStore) => Promise<void>) {
  for (const backend of BACKENDS) {
    Deno.test({
      name: `${backend.name}: ${name}${backend.skip ? ` (skipped: ${backend.skip})` : ""}`,
      ignore: !!backend.skip,
      fn: async () => {
        const s = await backend.open();
        try {
          await fn(s);
        } finally {
          await s.close();
        }
      },
    });
  }
}

suite("copySamples stores times, ids and values exactly", async (s) => {
  const times = [
    Date.parse("1999-12-31T23:59:59.999Z"), // before PostgreSQL's epoch: negative µs
    Date.parse("2000-01-01T00:00:00.000Z"),
    Date.parse("2026-03-10T12:34:56.789Z"),
    Date.parse("2106-02-07T06:28:16.001Z"), // past 2^32 seconds
  ];
  const ids = [1, 2 ** 31 + 7, 2 ** 40 + 3, 2 ** 52 + 1];
  const values = [-1.5, 0, Math.PI, 1e300];
  await s.db.transaction((tx) => tx.copySamples({ time: times, seriesId: ids, value: values }));
  const rows = await s.db.query<{ t: string; id: string; value: number }>(
    `SELECT to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS t,
            series_id::text AS id, value
       FROM metric_samples ORDER BY time`,
  );
  assert.deepEqual(
    rows,
    times.map((t, i) => ({
      t: new Date(t).toISOString(),
      id: String(ids[i]),
      value: values[i],
    })),
  );
});

suite("copySamples of nothing does nothing", async (s) => {
  await s.db.transaction((tx) => tx.copySamples({ time: [], seriesId: [], value: [] }));
  const rows = await s.db.query<{ n: unknown }>("SELECT count(*) AS n FROM metric_samples");
  assert.equal(Number(rows[0].n), 0);
});

suite("a transaction that throws rolls back, including its samples", async (s) => {
  await assert.rejects(
    s.db.transaction(async (tx) => {
      await tx.query("INSERT INTO hosts (host, first_seen, last_seen) VALUES ('x', now(), now())");
      await tx.copySamples({ time: [Date.now()], seriesId: [1], value: [1] });
      throw new Error("boom");
    }),
    /boom/,
  );
  assert.deepEqual(await s.db.query("SELECT host FROM hosts"), []);
  const rows = await s.db.query<{ n: unknown }>("SELECT count(*) AS n FROM metric_samples");
  assert.equal(Number(rows[0].n), 0);
});

suite("a session keeps session state such as advisory locks", async (s) => {
  const released = await s.db.session(async (session) => {
    await session.query("SELECT pg_advisory_lock(42)");
    await session.transaction((tx) => tx.query("SELECT 1 AS one"));
    // Unlocking succeeds only on the connection that holds the lock.
    const rows = await session.query<{ ok: boolean }>("SELECT pg_advisory_unlock(42) AS ok");
    return rows[0].ok;
  });
  assert.equal(released, true);
});

suite("errors carry the SQLSTATE", async (s) => {
  await assert.rejects(s.db.query("SELECT 1/0"), (e: unknown) => {
    assert.equal((e as { code?: string }).code, "22012");
    return true;
  });
});
