/**
 * The live feed: one read per interval however many pages listen, snapshots reused within
 * the interval, a failed read reported without losing the last good data, and stop() ending
 * every listener.
 */
import assert from "node:assert/strict";
import type { FleetReader, LatestSample } from "../../../server/dashboard/fleet_reader.ts";
import { LiveFeed } from "../../../server/dashboard/live_feed.ts";
import type { HostRecord } from "../../../server/storage/metric_store.ts";
import { silentLogger } from "../../../shared/log.ts";

const T0 = Date.parse("2025-06-01T12:00:00Z");

function world() {
  const clock = { now: T0 };
  const timers: { fn: () => void; at: number; id: number }[] = [];
  let nextId = 1;
  let reads = 0;
  let fail = false;
  let hosts: HostRecord[] = [{ host: "a", lastSeen: new Date(T0), agentVersion: null }];
  const latest: LatestSample[] = [];
  const reader: FleetReader = {
    latest: () => Promise.resolve(latest),
    sparklines: () => Promise.resolve(new Map([["a", [[T0, 1]]]])),
  };
  const feed = new LiveFeed({
    store: {
      hosts: () => {
        reads++;
        return fail ? Promise.reject(new Error("connection refused")) : Promise.resolve(hosts);
      },
    },
    reader,
    alerts: () => Promise.resolve([]),
    thresholds: { staleAfterMs: 30_000, downAfterMs: 60_000 },
    refreshMs: 1000,
    now: () => clock.now,
    timers: {
      setTimeout: (fn, ms) => {
        timers.push({ fn, at: clock.now + ms, id: nextId });
        return nextId++;
      },
      clearTimeout: (id) => {
        const i = timers.findIndex((t) => t.id === id);
        if (i >= 0) timers.splice(i, 1);
      },
    },
    log: silentLogger,
  });
  const advance = async (ms: number) => {
    clock.now += ms;
    for (const t of timers.filter((t) => t.at <= clock.now)) {
      timers.splice(timers.indexOf(t), 1);
      t.fn();
    }
    await new Promise((r) => setTimeout(r, 0));
  };
  return {
    feed,
    clock,
    timers,
    advance,
    reads: () => reads,
    setFail: (f: boolean) => (fail = f),
    setHosts: (h: HostRecord[]) => (hosts = h),
  };
}

Deno.test("live feed: snapshots are reused within the interval and shared by concurrent callers", async () => {
  const w = world();
  const [a, b] = await Promise.all([w.feed.snapshot(), w.feed.snapshot()]);
  assert.equal(a, b);
  assert.equal(w.reads(), 1);
  w.clock.now += 500;
  assert.equal(await w.feed.snapshot(), a);
  w.clock.now += 600;
  const c = await w.feed.snapshot();
  assert.notEqual(c, a);
  assert.equal(w.reads(), 2);
  assert.equal(c.hosts[0].status, "up");
  assert.equal(w.timers.length, 0, "nobody listens: nothing is scheduled");
});

Deno.test("live feed: listeners get a snapshot at once, then one per interval from one read", async () => {
  const w = world();
  const s1 = w.feed.subscribe();
  const s2 = w.feed.subscribe();
  assert.equal(w.feed.size, 2);
  const first = await s1.next();
  assert.equal(first?.hosts[0].host, "a");
  assert.ok(await s2.next());
  const readsBefore = w.reads();
  const p1 = s1.next();
  const p2 = s2.next();
  w.setHosts([
    { host: "a", lastSeen: new Date(T0), agentVersion: null },
    { host: "b", lastSeen: new Date(T0 + 1000), agentVersion: null },
  ]);
  await w.advance(1000);
  const [n1, n2] = await Promise.all([p1, p2]);
  assert.equal(n1, n2, "the same snapshot for both");
  assert.deepEqual(n1?.hosts.map((h) => h.host), ["a", "b"]);
  assert.equal(w.reads() - readsBefore, 1, "one read for two listeners");
  // Time passes without data: the status changes by itself.
  const p = s1.next();
  await w.advance(45_000);
  assert.equal((await p)?.hosts[0].status, "stale");
  s1.close();
  assert.equal(s1.closed, true);
  s2.close();
  assert.equal(w.timers.length, 0, "the last listener gone, reading stops");
});

Deno.test("live feed: a failed read keeps the last hosts and says so; the next one recovers", async () => {
  const w = world();
  const sub = w.feed.subscribe();
  await sub.next();
  w.setFail(true);
  let p = sub.next();
  await w.advance(1000);
  const failed = await p;
  assert.equal(failed?.error, "the server cannot read the database right now");
  assert.deepEqual(failed?.hosts.map((h) => h.host), ["a"]);
  w.setFail(false);
  p = sub.next();
  await w.advance(1000);
  assert.equal((await p)?.error, null);
  sub.close();
});

Deno.test("live feed: stop ends every listener and sparklines are cached", async () => {
  const w = world();
  const sub = w.feed.subscribe();
  await sub.next();
  const waiting = sub.next();
  w.feed.stop();
  assert.equal(await waiting, null);
  assert.equal(sub.closed, true);
  const s1 = await w.feed.sparklines();
  assert.equal(await w.feed.sparklines(), s1);
  w.clock.now += 31_000;
  assert.notEqual(await w.feed.sparklines(), s1);
  const ctrl = new AbortController();
  const other = w.feed.subscribe();
  ctrl.abort();
  assert.equal(await other.next(ctrl.signal), null);
});
