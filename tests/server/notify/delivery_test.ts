/**
 * Delivery from the durable outbox: a real local HTTP receiver that fails the first three
 * attempts gets one delivery, the same `webhook-id` on every attempt and a signature it
 * verifies, across a server restart between attempts; plus what is retried and what is
 * not, giving up after 24 h, and per-receiver ordering.
 */
import assert from "node:assert/strict";
import { Evaluator } from "../../../server/alerts/evaluator.ts";
import { SilenceStore } from "../../../server/alerts/silence_store.ts";
import type { Db } from "../../../server/db/db.ts";
import { loadMigrations, migrate } from "../../../server/db/migrate.ts";
import { openPglite } from "../../../server/db/pglite_driver.ts";
import { openPostgres } from "../../../server/db/postgres_driver.ts";
import {
  classifyStatus,
  DeliveryWorker,
  type OutboxPort,
  parseRetryAfter,
} from "../../../server/notify/delivery_worker.ts";
import { OutboxStore, type PendingMessage } from "../../../server/notify/outbox_store.ts";
import type { DeliveryState } from "../../../server/notify/outbox_store.ts";
import { SqlMetricStore } from "../../../server/storage/sql_metric_store.ts";
import { silentLogger } from "../../../shared/log.ts";
import { POSTGRES_SKIP, TEST_DATABASE_URL } from "../storage/backends.ts";
import { receiver, rules, S, startReceiver, T0, verifyStandardWebhook } from "../alerts/helpers.ts";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** A database that can be closed and opened again, as a server restart does. */
interface RestartableDb {
  open(): Promise<Db>;
  destroy(): Promise<void>;
}

async function pgliteOnDisk(): Promise<RestartableDb> {
  const dir = await Deno.makeTempDir({ prefix: "miniobserv-delivery-" });
  return {
    open: async () => {
      const db = await openPglite(dir);
      await migrate(db, { migrations: await loadMigrations(), log: silentLogger });
      return db;
    },
    destroy: () => Deno.remove(dir, { recursive: true }),
  };
}

async function postgresDatabase(): Promise<RestartableDb> {
  const admin = await openPostgres(TEST_DATABASE_URL!, { log: silentLogger, max: 1 });
  const name = `miniobserv_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await admin.exec(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  return {
    open: async () => {
      const db = await openPostgres(url.href, { log: silentLogger });
      await migrate(db, { migrations: await loadMigrations(), log: silentLogger });
      return db;
    },
    destroy: async () => {
      await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}

for (
  const [name, make, skip] of [
    ["pglite", pgliteOnDisk, undefined],
    ["postgres", postgresDatabase, POSTGRES_SKIP],
  ] as const
) {
  Deno.test({
    name:
      `delivery: receiver failing three times gets one signed delivery, same webhook-id, across a restart [${name}]`,
    ignore: !!skip,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const answers = [500, 429, 503];
      const verified: boolean[] = [];
      const hook = startReceiver(async (n, req) => {
        verified.push(await verifyStandardWebhook(SECRET, req.headers, req.body));
        return answers[n] ?? 200;
      });
      const restartable = await make();
      const clock = { now: T0 };
      const config = {
        rules: rules([{
          name: "Load",
          metric: "system.load1",
          window: "10s",
          op: ">",
          threshold: 1,
        }]),
        receivers: [receiver({ name: "oncall", type: "webhook", url: hook.url, secret: SECRET })],
      };
      /** The parts a server process has; `restart()` closes the database and builds them anew. */
      const server = async () => {
        const db = await restartable.open();
        const outbox = new OutboxStore(db);
        return {
          db,
          outbox,
          evaluator: new Evaluator({
            db,
            write: (fn) => db.transaction((tx) => fn(tx)),
            config: () => config,
            silences: new SilenceStore(db),
            now: () => clock.now,
            newId: () => `msg_${crypto.randomUUID().replaceAll("-", "")}`,
            log: silentLogger,
            replica: "r",
            hostDownAfterMs: 3_600_000,
            repeatIntervalMs: 4 * 3_600_000,
            externalUrl: "",
            budgetMs: 60_000,
          }),
          worker: new DeliveryWorker({
            outbox,
            receivers: () => config.receivers,
            fetch,
            now: () => clock.now,
            random: () => 0.5, // no jitter: delays of exactly 2 s, 4 s, 8 s
            log: silentLogger,
          }),
        };
      };
      let s = await server();
      try {
        const store = new SqlMetricStore(s.db, {
          retentionMs: 30 * 86_400_000,
          log: silentLogger,
          now: () => clock.now,
        });
        await store.ingest(
          {
            id: "b1",
            host: "web-1",
            metrics: [{
              host: "web-1",
              name: "system.load1",
              time: new Date(clock.now - S).toISOString(),
              value: 7,
              labels: {},
            }],
          },
          null,
          new Date(clock.now),
        );
        await s.evaluator.runCycle();
        const [queued] = await s.outbox.list({ limit: 10 });
        assert.equal(queued.delivery, "pending");

        assert.deepEqual(await s.worker.round(), { attempted: 1, delivered: 0 }); // 500
        clock.now += 1999;
        assert.deepEqual(await s.worker.round(), { attempted: 0, delivered: 0 }, "not due yet");
        clock.now += 1;
        assert.deepEqual(await s.worker.round(), { attempted: 1, delivered: 0 }); // 429

        // The server restarts between attempts: nothing is lost, nothing queued twice.
        await s.db.close();
        s = await server();
        clock.now += 5 * S;
        await s.evaluator.runCycle();
        assert.equal((await s.outbox.list({ limit: 10 })).length, 1);

        assert.deepEqual(await s.worker.round(), { attempted: 1, delivered: 0 }); // 503
        let [rec] = await s.outbox.list({ limit: 10 });
        assert.equal(rec.attempts, 3);
        assert.equal(rec.last_status, 503);
        assert.equal(rec.next_attempt_at, new Date(clock.now + 8 * S).toISOString());
        clock.now += 8 * S;
        assert.deepEqual(await s.worker.drain(), { attempted: 1, delivered: 1 }); // 200
        clock.now += 3_600_000;
        assert.deepEqual(await s.worker.drain(), { attempted: 0, delivered: 0 });

        assert.equal(hook.requests.length, 4);
        assert.deepEqual(hook.requests.map((r) => r.status), [500, 429, 503, 200]);
        const ids = new Set(hook.requests.map((r) => r.headers["webhook-id"]));
        assert.deepEqual([...ids], [queued.id], "the same webhook-id on every attempt");
        assert.equal(new Set(hook.requests.map((r) => r.body)).size, 1, "the same body");
        assert.equal(
          new Set(hook.requests.map((r) => r.headers["webhook-timestamp"])).size,
          4,
          "a fresh timestamp per attempt",
        );
        assert.deepEqual(verified, [true, true, true, true]);
        assert.equal(JSON.parse(hook.requests[3].body).version, "4");
        [rec] = await s.outbox.list({ limit: 10 });
        assert.equal(rec.delivery, "delivered");
        assert.equal(rec.attempts, 4);
        assert.equal(rec.last_status, 200);
        assert.equal(rec.last_error, null);
      } finally {
        await s.db.close();
        await hook.close();
        await restartable.destroy();
      }
    },
  });
}

/** An outbox in memory, to test the worker's decisions alone. */
class MemoryOutbox implements OutboxPort {
  rows:
    (PendingMessage & { delivery: DeliveryState; status: number | null; error: string | null })[] =
      [];
  add(id: string, receiverName: string, createdAt: number) {
    this.rows.push({
      id,
      receiver: receiverName,
      receiverType: "webhook",
      body: "{}",
      attempts: 0,
      createdAt,
      nextAttemptAt: createdAt,
      delivery: "pending",
      status: null,
      error: null,
    });
  }
  heads(): Promise<PendingMessage[]> {
    const seen = new Set<string>();
    return Promise.resolve(this.rows.filter((r) => {
      if (r.delivery !== "pending" || seen.has(r.receiver)) return false;
      seen.add(r.receiver);
      return true;
    }));
  }
  recordAttempt(
    id: string,
    delivery: DeliveryState,
    _at: number,
    status: number | null,
    error: string | null,
    next: number,
  ) {
    const r = this.rows.find((x) => x.id === id)!;
    Object.assign(r, { delivery, status, error, nextAttemptAt: next, attempts: r.attempts + 1 });
    return Promise.resolve();
  }
}

function workerWith(
  outbox: MemoryOutbox,
  clock: { now: number },
  respond: (url: string) => Response | Promise<Response>,
) {
  const sent: string[] = [];
  const worker = new DeliveryWorker({
    outbox,
    receivers: () => [
      receiver({ name: "a", type: "webhook", url: "http://a.test/" }),
      receiver({ name: "b", type: "slack", url: "http://b.test/" }),
    ],
    fetch: (async (input: string | URL | Request, init?: RequestInit) => {
      sent.push(`${String(input)} ${(init?.headers as Record<string, string>)["webhook-id"]}`);
      return await respond(String(input));
    }) as typeof fetch,
    now: () => clock.now,
    random: () => 0.5,
    log: silentLogger,
  });
  return { worker, sent };
}

Deno.test("delivery: 4xx other than 429 fails at once; 429, 5xx and network errors retry", async () => {
  const clock = { now: T0 };
  const outbox = new MemoryOutbox();
  outbox.add("m1", "a", T0);
  outbox.add("m2", "b", T0);
  const { worker } = workerWith(outbox, clock, (url) => {
    if (url.startsWith("http://a")) return new Response("bad", { status: 400 });
    throw new TypeError("connection refused");
  });
  await worker.round();
  assert.equal(outbox.rows[0].delivery, "failed");
  assert.equal(outbox.rows[0].error, "HTTP 400: bad");
  assert.equal(outbox.rows[1].delivery, "pending");
  assert.equal(outbox.rows[1].error, "connection refused");
  assert.equal(outbox.rows[1].nextAttemptAt, T0 + 2000);
  assert.equal(classifyStatus(204), "delivered");
  assert.equal(classifyStatus(429), "retry");
  assert.equal(classifyStatus(502), "retry");
  assert.equal(classifyStatus(404), "failed");
  assert.equal(classifyStatus(301), "failed");
  assert.equal(parseRetryAfter("120"), 120_000);
  assert.equal(parseRetryAfter("soon"), null);
});

Deno.test("delivery: Retry-After is honoured; messages are given up after 24 h", async () => {
  const clock = { now: T0 };
  const outbox = new MemoryOutbox();
  outbox.add("m1", "a", T0);
  const { worker } = workerWith(
    outbox,
    clock,
    () => new Response("", { status: 429, headers: { "retry-after": "30" } }),
  );
  await worker.round();
  assert.equal(outbox.rows[0].nextAttemptAt, T0 + 30_000);
  clock.now = T0 + 24 * 3_600_000 - 1000;
  outbox.rows[0].nextAttemptAt = clock.now;
  await worker.round();
  assert.equal(outbox.rows[0].delivery, "failed");
  assert.match(outbox.rows[0].error!, /^gave up after 2 attempts over 24 h: HTTP 429/);
});

Deno.test("delivery: one receiver's messages go out in order; a failing head holds back the rest", async () => {
  const clock = { now: T0 };
  const outbox = new MemoryOutbox();
  outbox.add("firing", "a", T0);
  outbox.add("resolved", "a", T0);
  outbox.add("other", "b", T0);
  let fail = true;
  const { worker, sent } = workerWith(
    outbox,
    clock,
    (url) => new Response("", { status: fail && url.startsWith("http://a") ? 503 : 200 }),
  );
  await worker.drain();
  assert.deepEqual(sent, ["http://a.test/ firing", "http://b.test/ other"]);
  assert.equal(outbox.rows[1].delivery, "pending", "resolved waits behind firing");
  fail = false;
  clock.now += 10_000;
  await worker.drain();
  assert.deepEqual(sent.slice(2), ["http://a.test/ firing", "http://a.test/ resolved"]);
  assert.ok(outbox.rows.every((r) => r.delivery === "delivered"));
});

Deno.test("delivery: a message for a receiver no longer configured fails with the reason", async () => {
  const clock = { now: T0 };
  const outbox = new MemoryOutbox();
  outbox.add("m1", "gone", T0);
  const { worker, sent } = workerWith(outbox, clock, () => new Response(""));
  await worker.round();
  assert.equal(sent.length, 0);
  assert.equal(outbox.rows[0].delivery, "failed");
  assert.match(outbox.rows[0].error!, /receiver "gone" is no longer configured/);
});

Deno.test({
  name: "delivery: an attempt without an answer times out and is retried",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const hang = Promise.withResolvers<number>();
    const hook = startReceiver(() => hang.promise);
    const clock = { now: T0 };
    const outbox = new MemoryOutbox();
    outbox.add("m1", "slow", T0);
    const worker = new DeliveryWorker({
      outbox,
      receivers: () => [receiver({ name: "slow", type: "webhook", url: hook.url })],
      fetch,
      now: () => clock.now,
      random: () => 0.5,
      log: silentLogger,
      timeoutMs: 200,
    });
    try {
      await worker.round();
      assert.equal(outbox.rows[0].delivery, "pending");
      assert.equal(outbox.rows[0].error, "no answer within 0.2 s");
    } finally {
      hang.resolve(200);
      await hook.close();
    }
  },
});
