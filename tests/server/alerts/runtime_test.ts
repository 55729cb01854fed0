/**
 * The alerting loops of a replica: only the lock holder evaluates and delivers, a new term
 * reloads states, a reload requested by another replica is followed, and the messages of
 * a cycle are delivered right after it.
 */
import assert from "node:assert/strict";
import type { AlertConfig } from "../../../server/alerts/alert_config.ts";
import { createAlerting } from "../../../server/alerts/setup.ts";
import type { Queryable } from "../../../server/db/db.ts";
import type { LeaderLock } from "../../../server/leader/leader_lock.ts";
import { silentLogger } from "../../../shared/log.ts";
import { backendNamed } from "../storage/backends.ts";
import { openWorld, receiver, rules, S } from "./helpers.ts";

/** A lock the test hands out and takes away. */
class ManualLock implements LeaderLock {
  leading = false;
  term = 0;
  grant = false;
  constructor(
    private readonly db: { transaction: (fn: (tx: Queryable) => Promise<void>) => Promise<void> },
  ) {}
  check() {
    if (this.grant && !this.leading) this.term++;
    this.leading = this.grant;
    return Promise.resolve(this.leading);
  }
  fenced(fn: (tx: Queryable) => Promise<void>) {
    if (!this.leading) return Promise.reject(new Error("not leading"));
    return this.db.transaction(fn);
  }
  release() {
    this.leading = false;
    return Promise.resolve();
  }
}

Deno.test({
  name:
    "runtime: only the leader evaluates and delivers; every replica follows reloads; delivery right after a cycle",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const initial: AlertConfig = {
      rules: rules([{
        name: "Load",
        metric: "system.load1",
        window: "10s",
        op: ">",
        threshold: 1,
      }]),
      receivers: [receiver({ name: "oncall", type: "webhook", url: "http://hook.test/" })],
    };
    const w = await openWorld(backendNamed("pglite"), initial);
    try {
      const lock = new ManualLock(w.db);
      const sent: string[] = [];
      let loads = 0;
      const alerting = createAlerting({
        db: w.db,
        initial,
        load: () => {
          loads++;
          return Promise.resolve(initial);
        },
        evalIntervalMs: 15 * S,
        repeatIntervalMs: 4 * 3_600_000,
        hostDownAfterMs: 60 * S,
        retentionMs: 30 * 86_400_000,
        externalUrl: "",
        replica: "runtime-test",
        fetch: ((_url: string, init: RequestInit) => {
          sent.push((init.headers as Record<string, string>)["webhook-id"]);
          return Promise.resolve(new Response("ok"));
        }) as unknown as typeof fetch,
        now: () => w.clock.now,
        random: () => 0.5,
        newId: () => crypto.randomUUID(),
        log: silentLogger,
        timers: { setTimeout: () => 0, clearTimeout: () => {} },
        lock,
      });
      const rt = alerting.runtime;
      await w.send("h", "system.load1", 5);

      assert.equal(await rt.tick(), null, "a follower does not evaluate");
      await rt.deliver();
      assert.deepEqual(await w.messages(), []);
      // A reload on another replica: followers reload too, so a later leader is current.
      await alerting.api.control.bumpGeneration();
      await rt.tick();
      assert.equal(loads, 1);

      lock.grant = true;
      const report = await rt.tick();
      assert.equal(report?.messages, 1);
      assert.equal(sent.length, 1, "the cycle's message went out at once");
      const [n] = await alerting.api.outbox.list({ limit: 5 });
      assert.equal(n.delivery, "delivered");
      assert.equal(n.id, sent[0]);

      // Another replica asks for a reload: the leader follows at its next tick.
      await alerting.api.control.bumpGeneration();
      w.clock.now += 15 * S;
      await w.send("h", "system.load1", 5);
      await rt.tick();
      assert.equal(loads, 2);
      await rt.tick();
      assert.equal(loads, 2, "once per request");

      // Leadership lost, then regained (a new term): states are reloaded from the database,
      // where another leader meanwhile resolved the alert; so it fires anew and is notified.
      lock.grant = false;
      await rt.tick();
      await w.db.query("DELETE FROM alert_instances WHERE rule = 'Load'");
      lock.grant = true;
      w.clock.now += 15 * S;
      await w.send("h", "system.load1", 5);
      await rt.tick();
      assert.equal(sent.length, 2, "the cache of the earlier term was dropped");
      w.clock.now += 15 * S;
      await w.send("h", "system.load1", 5);
      await rt.tick();
      assert.equal(sent.length, 2);
      await rt.stop();
      assert.equal(lock.leading, false);
    } finally {
      await w.close();
    }
  },
});
