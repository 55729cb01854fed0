/**
 * The PostgreSQL driver: TCP_NODELAY on every connection (guarded without timing, and
 * with a generous timing bound), and COPY errors reported instead of hanging.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { silentLogger } from "../../../shared/log.ts";
import { noDelaySocketFactory } from "../../../server/db/nodelay_socket.ts";
import { openPostgres } from "../../../server/db/postgres_driver.ts";
import { backendNamed, POSTGRES_SKIP, TEST_DATABASE_URL } from "./backends.ts";

const skipped = POSTGRES_SKIP ? ` (skipped: ${POSTGRES_SKIP})` : "";

Deno.test("nodelay socket: connects to the first host with noDelay and sets TCP_NODELAY", () => {
  const calls: net.NetConnectOpts[] = [];
  const noDelay: (boolean | undefined)[] = [];
  const factory = noDelaySocketFactory((opts) => {
    calls.push(opts);
    return { setNoDelay: (v?: boolean) => noDelay.push(v) };
  });
  factory({ host: ["db.example", "db2.example"], port: [6432, 5432] });
  assert.deepEqual(calls, [{ host: "db.example", port: 6432, noDelay: true }]);
  assert.deepEqual(noDelay, [true]);
  factory({ path: "/run/postgresql/.s.PGSQL.5432" });
  assert.deepEqual(calls[1], { path: "/run/postgresql/.s.PGSQL.5432" });
});

Deno.test({
  name: `postgres: every pooled connection is opened through the noDelay factory${skipped}`,
  ignore: !!POSTGRES_SKIP,
  fn: async () => {
    const opened: net.NetConnectOpts[] = [];
    const noDelay: (boolean | undefined)[] = [];
    const db = await openPostgres(TEST_DATABASE_URL!, {
      log: silentLogger,
      max: 3,
      connect: (opts) => {
        opened.push(opts);
        const socket = net.connect(opts);
        const set = socket.setNoDelay.bind(socket);
        socket.setNoDelay = (v?: boolean) => (noDelay.push(v), set(v));
        return socket;
      },
    });
    try {
      // Three concurrent transactions force three connections.
      await Promise.all([1, 2, 3].map(() =>
        db.transaction(async (tx) => {
          await tx.query("SELECT pg_sleep(0.05)");
        })
      ));
      assert.equal(opened.length, 3);
      for (const o of opened) assert.equal((o as { noDelay?: boolean }).noDelay, true);
      assert.deepEqual(noDelay, [true, true, true]);
    } finally {
      await db.close();
    }
  },
});

Deno.test({
  // The Nagle guard itself is the structural test above (every socket has noDelay); timing
  // it here would make the suite depend on the machine's load.
  name: `postgres: 50 small COPYs in a row each land once${skipped}`,
  ignore: !!POSTGRES_SKIP,
  fn: async () => {
    const s = await backendNamed("postgres").open();
    try {
      await s.partitions.ensureDays([0]);
      for (let i = 0; i < 50; i++) {
        await s.db.transaction((tx) =>
          tx.copySamples({ time: [i * 1000], seriesId: [1], value: [i] })
        );
      }
      const rows = await s.db.query<{ n: unknown }>("SELECT count(*) AS n FROM metric_samples");
      assert.equal(Number(rows[0].n), 50);
    } finally {
      await s.close();
    }
  },
});

Deno.test({
  name:
    `postgres: a COPY the server refuses rejects with context, and the pool still works${skipped}`,
  ignore: !!POSTGRES_SKIP,
  fn: async () => {
    const s = await backendNamed("postgres").open();
    try {
      await s.db.exec("DROP TABLE metric_samples_default"); // now a day without partition fails
      await assert.rejects(
        s.db.transaction((tx) => tx.copySamples({ time: [0], seriesId: [1], value: [1] })),
        /db: copy of 1 samples failed: no partition of relation "metric_samples" found for row/,
      );
      assert.deepEqual(await s.db.query("SELECT 1 AS one"), [{ one: 1 }]);
    } finally {
      await s.close();
    }
  },
});
