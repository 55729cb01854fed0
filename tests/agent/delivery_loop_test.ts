/**
 * The delivery loop with the real spool (temporary directory) and the real sender against
 * an in-process fake server (`Deno.serve` on 127.0.0.1) that, like the real one, stores a
 * batch id once and answers `{"ingested":0,"duplicate":true}` to a repeat.
 */
import assert from "node:assert/strict";
import { Counters } from "../../agent/counters.ts";
import { DeliveryLoop } from "../../agent/delivery_loop.ts";
import { metricRequestBody } from "../../agent/metric_records.ts";
import { Sender } from "../../agent/sender.ts";
import { sleep as realSleep } from "../../agent/sleep.ts";
import { denoSpoolFs } from "../../agent/spool/deno_spool_fs.ts";
import { RejectedStore } from "../../agent/spool/rejected_store.ts";
import { Spool } from "../../agent/spool/spool.ts";
import { TokenSources } from "../../agent/token_source.ts";
import { Backoff } from "../../shared/backoff.ts";
import type { Logger } from "../../shared/log.ts";
import type { MetricBatch } from "../../shared/metric.ts";
import { capturedLogger, FakeClock } from "./helpers.ts";
import type { SpoolFs } from "../../agent/spool/spool_fs.ts";
import { rec, recordingFs } from "./spool/helpers.ts";

const SECRET = "0123456789abcdef0123456789abcdef";

/** A fake ingest server; `reply` may override the answer (undefined → store and 202). */
class FakeIngest {
  /** Every request as received: id and metric count. */
  readonly requests: { id: string; metrics: number; at: number }[] = [];
  /** Stored samples: `<metric labels.i>@<time>` → times stored. */
  readonly stored = new Map<string, number>();
  readonly ids = new Set<string>();
  server: Deno.HttpServer<Deno.NetAddr> | null = null;
  reply: (n: number, batch: MetricBatch) => Response | undefined = () => undefined;

  constructor(readonly port: number) {}

  static async start(): Promise<FakeIngest> {
    const f = new FakeIngest(freePort());
    await f.up();
    return f;
  }

  up(): Promise<void> {
    this.server = Deno.serve(
      { hostname: "127.0.0.1", port: this.port, onListen() {} },
      async (req) => {
        const body = req.body!.pipeThrough(new DecompressionStream("gzip"));
        const batch = await new Response(body).json() as MetricBatch;
        this.requests.push({ id: batch.id, metrics: batch.metrics.length, at: Date.now() });
        const custom = this.reply(this.requests.length - 1, batch);
        if (custom) return custom;
        return this.store(batch);
      },
    );
    return Promise.resolve();
  }

  /** Stores like the server does: once per batch id. */
  store(batch: MetricBatch): Response {
    if (this.ids.has(batch.id)) {
      return Response.json({ ingested: 0, duplicate: true }, { status: 202 });
    }
    this.ids.add(batch.id);
    for (const m of batch.metrics) {
      const key = `${m.labels.i}@${m.time}`;
      this.stored.set(key, (this.stored.get(key) ?? 0) + 1);
    }
    return Response.json({ ingested: batch.metrics.length }, { status: 202 });
  }

  async down(): Promise<void> {
    await this.server?.shutdown();
    this.server = null;
  }

  get url(): URL {
    return new URL(`http://127.0.0.1:${this.port}`);
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

interface RigOptions {
  url: URL;
  /** Fake time: sleeps return at once and advance this clock. Default: real time. */
  clock?: FakeClock;
  random?: number;
  baseMs?: number;
  onSleep?: (ms: number) => void | Promise<void>;
  logger?: Logger;
  /** The spool's file system (default: the real one). */
  fs?: SpoolFs;
}

async function rig(o: RigOptions) {
  const dir = await Deno.makeTempDir({ prefix: "delivery-test-" });
  const counters = new Counters();
  const captured = capturedLogger(o.clock?.now);
  const logger = o.logger ?? captured.logger;
  const now = o.clock?.now ?? Date.now;
  const fs = o.fs ?? denoSpoolFs();
  const openSpool = () =>
    Spool.open({ dir: `${dir}/spool`, fs, maxBytes: 8 << 20, now, logger, counters });
  const spool = await openSpool();
  const rejected = await RejectedStore.open({
    dir: `${dir}/rejected`,
    fs,
    maxBytes: 1 << 20,
    now,
    logger,
    counters,
  });
  const sleeps: number[] = [];
  const clock = o.clock;
  const loop = new DeliveryLoop({
    spool,
    sender: new Sender({
      serverUrl: o.url,
      tokens: new TokenSources({ secret: SECRET, now }).forHost,
      fetch,
      timeoutMs: 5000,
      now,
    }),
    requestBody: metricRequestBody,
    rejected,
    limits: { maxItems: 5000, maxBytes: 4 << 20 },
    backoff: new Backoff({ random: () => o.random ?? 0.5, baseMs: o.baseMs }),
    sleep: clock
      ? async (ms, signal) => {
        sleeps.push(ms);
        clock.advance(ms);
        await o.onSleep?.(ms);
        // Yield to the network without real waiting.
        await realSleep(1, signal);
      }
      : realSleep,
    now,
    logger,
    counters,
  });
  const stop = new AbortController();
  const abort = new AbortController();
  let running: Promise<number> | null = null;
  return {
    dir,
    spool,
    loop,
    counters,
    lines: captured.lines,
    sleeps,
    openSpool,
    start() {
      running = loop.run({ stop: stop.signal, abort: abort.signal });
      return running;
    },
    /** Waits until `cond`, then stops the loop and waits for it. */
    async until(cond: () => boolean, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error("condition not met in time");
        await realSleep(2);
      }
    },
    async stop() {
      stop.abort();
      abort.abort();
      const left = await running;
      await spool.close();
      return left;
    },
    /**
     * A backlog as an outage leaves it: record 0 (appended while nothing waited, so sent
     * alone) is already delivered; records `ns` came after it and may be merged.
     */
    async backlog(ns: number[], items = 2) {
      await spool.append(rec(0, items));
      for (const n of ns) await spool.append(rec(n, items));
      const { head } = await spool.claimRound({ maxItems: 5000, maxBytes: 1 << 22 }, Infinity);
      assert.equal(head!.id, "h-1-0");
      await spool.complete(head!);
    },
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

const allOnce = (f: FakeIngest, n: number, items: number) => {
  assert.equal(f.stored.size, n * items);
  for (const [k, v] of f.stored) assert.equal(v, 1, `${k} stored ${v} times`);
};

Deno.test("delivery: 500, 503, 408, 429 and a refused connection are retried with backoff; each sample stored once", async () => {
  const fake = new FakeIngest(freePort()); // not listening yet: connection refused
  const statuses = [500, 503, 408, 429];
  fake.reply = (n) =>
    n < statuses.length ? Response.json({ error: "later" }, { status: statuses[n] }) : undefined;
  const r = await rig({
    url: fake.url,
    clock: new FakeClock(),
    onSleep: async () => {
      if (r.sleeps.length === 2) await fake.up(); // after two refused attempts
    },
  });
  try {
    await r.backlog([1, 2, 3]);
    r.start();
    await r.until(() => !r.spool.hasPending);
    await r.stop();
    allOnce(fake, 3, 2);
    // Refused twice, then 500, 503, 408, 429: six failures, no jitter at random()=0.5.
    assert.deepEqual(r.sleeps, [1000, 2000, 4000, 8000, 16000, 32000]);
    assert.deepEqual(fake.requests.map((q) => q.id), Array(5).fill("h-1-1:3"));
    assert.equal(r.counters.get("send_failures_total", { reason: "network" }), 2);
    assert.equal(r.counters.get("send_failures_total", { reason: "status" }), 4);
    assert.equal(r.counters.get("batches_delivered_total"), 3);
    const warns = r.lines.filter((l) => l.level === "warn");
    assert.equal(warns.length, 1, "one warning, not one per attempt");
    assert.ok(r.lines.some((l) => l.msg === "server reachable again; delivering what is spooled"));
  } finally {
    await fake.down();
    await r.cleanup();
  }
});

/**
 * Runs `fn` with a fake server answering request number `failing` (from 0) with 503 and a
 * rig whose spool's file system records its calls (fake time).
 */
async function withOne503(
  failing: number,
  fn: (
    r: Awaited<ReturnType<typeof rig>>,
    rfs: ReturnType<typeof recordingFs>,
    fake: FakeIngest,
  ) => Promise<void>,
): Promise<void> {
  const fake = await FakeIngest.start();
  fake.reply = (n) =>
    n === failing ? Response.json({ error: "later" }, { status: 503 }) : undefined;
  const rfs = recordingFs();
  const r = await rig({ url: fake.url, clock: new FakeClock(), fs: rfs.fs });
  try {
    await fn(r, rfs, fake);
  } finally {
    await fake.down();
    await r.cleanup();
  }
}

Deno.test("delivery: a failed request makes its batch durable (fdatasync) before it waits; a delivered one never is", async () => {
  await withOne503(1, async (r, rfs, fake) => {
    const segmentSyncs = () => rfs.seen().filter((c) => /^sync \d+\.seg$/.test(c));
    r.start();
    await r.spool.append(rec(1)); // delivered at once
    // Acknowledged, not just received: rec(2) must be appended alone (nothing pending).
    await r.until(() => r.counters.get("batches_delivered_total") === 1 && !r.spool.hasPending);
    assert.deepEqual(segmentSyncs(), [], "the steady state pays no fdatasync");
    await r.spool.append(rec(2)); // 503, then delivered on the retry
    await r.until(() => r.counters.get("batches_delivered_total") === 2);
    await r.stop();
    assert.deepEqual(segmentSyncs(), ["sync 00000000000000000001.seg"]);
    assert.deepEqual(fake.requests.map((q) => q.id), ["h-1-1", "h-1-2", "h-1-2"]);
  });
});

Deno.test("delivery: an fdatasync that fails after a failed request is logged and counted; delivery goes on", async () => {
  await withOne503(0, async (r, rfs, fake) => {
    rfs.failSync("00000000000000000001.seg");
    await r.spool.append(rec(1)); // alone: unsynced; its 503 asks for the failing sync
    r.start();
    await r.until(() => r.counters.get("batches_delivered_total") === 1);
    await r.stop();
    assert.equal(r.counters.get("spool_sync_errors_total"), 1);
    const line = r.lines.find((l) => l.msg === "spool: could not fdatasync batches that wait");
    assert.equal(line?.level, "error");
    assert.match(String(line?.error), /injected: fdatasync/);
    assert.deepEqual(fake.requests.map((q) => q.id), ["h-1-1", "h-1-1"]);
  });
});

Deno.test("delivery: backoff arithmetic with a fixed random source: 1 s doubling to 60 s, ±25 %", async () => {
  for (const [random, factor] of [[0, 0.75], [0.5, 1], [0.999999, 1.25]] as const) {
    const fake = new FakeIngest(freePort()); // never up
    const r = await rig({ url: fake.url, clock: new FakeClock(), random });
    try {
      await r.spool.append(rec(1));
      r.start();
      await r.until(() => r.sleeps.length >= 9);
      await r.stop();
      const want = [1, 2, 4, 8, 16, 32, 60, 60, 60].map((s) => Math.round(s * 1000 * factor));
      assert.deepEqual(r.sleeps.slice(0, 9), want, `random()=${random}`);
    } finally {
      await r.cleanup();
    }
  }
});

Deno.test("delivery: Retry-After (seconds or date) sets the wait when longer than the backoff", async () => {
  const clock = new FakeClock(Date.UTC(2024, 0, 1, 12, 0, 0));
  const fake = await FakeIngest.start();
  fake.reply = (n) => {
    if (n === 0) return Response.json({}, { status: 429, headers: { "retry-after": "7" } });
    if (n === 1) {
      const at = new Date(clock.now() + 30_000).toUTCString();
      return Response.json({}, { status: 503, headers: { "retry-after": at } });
    }
    if (n === 2) return Response.json({}, { status: 503, headers: { "retry-after": "1" } });
    return undefined;
  };
  const r = await rig({ url: fake.url, clock });
  try {
    await r.spool.append(rec(1));
    r.start();
    await r.until(() => !r.spool.hasPending);
    await r.stop();
    // max(backoff, Retry-After): 7 s over 1 s, 30 s over 2 s, then 4 s over 1 s.
    assert.deepEqual(r.sleeps, [7000, 30_000, 4000]);
    allOnce(fake, 1, 2);
  } finally {
    await fake.down();
    await r.cleanup();
  }
});

Deno.test("delivery: no request before a Retry-After has passed, not even for new data", async () => {
  const fake = await FakeIngest.start();
  fake.reply = (n) =>
    n === 0 ? Response.json({}, { status: 429, headers: { "retry-after": "1" } }) : undefined;
  const r = await rig({ url: fake.url, baseMs: 50 });
  try {
    await r.spool.append(rec(1));
    r.start();
    await r.until(() => fake.requests.length === 1);
    const refusedAt = fake.requests[0].at;
    await realSleep(200);
    await r.spool.append(rec(2)); // would be probed at once without the Retry-After
    await r.until(() => !r.spool.hasPending);
    await r.stop();
    assert.ok(fake.requests[1].at - refusedAt >= 950, `${fake.requests[1].at - refusedAt} ms`);
    allOnce(fake, 2, 2);
  } finally {
    await fake.down();
    await r.cleanup();
  }
});

Deno.test("delivery: 400 → the batch goes to rejected/ with the server's message; the rest goes on", async () => {
  const fake = await FakeIngest.start();
  fake.reply = (_n, b) =>
    b.metrics.some((m) => m.time.startsWith("2024-01-01T00:00:01"))
      ? Response.json({ error: "metrics[0]: older than METRICS_RETENTION" }, { status: 400 })
      : undefined;
  const r = await rig({ url: fake.url, clock: new FakeClock() });
  try {
    await r.backlog([1, 2, 3]);
    r.start();
    await r.until(() => !r.spool.hasPending);
    await r.stop();
    // The merge of 1..3 is refused, split, and only batch 1 is set aside.
    assert.deepEqual(fake.requests.map((q) => q.id), ["h-1-1:3", "h-1-1", "h-1-2", "h-1-3"]);
    assert.deepEqual([...fake.ids].sort(), ["h-1-2", "h-1-3"]);
    assert.deepEqual(r.sleeps, [], "a rejection is no reason to back off");
    const files = [...Deno.readDirSync(`${r.dir}/rejected`)].map((e) => e.name);
    assert.equal(files.length, 1);
    assert.match(files[0], /^\d{8}T\d{6}_\d{3}Z-h-1-1\.json$/);
    const saved = JSON.parse(Deno.readTextFileSync(`${r.dir}/rejected/${files[0]}`));
    assert.equal(saved.status, 400);
    assert.equal(saved.server_message, "metrics[0]: older than METRICS_RETENTION");
    assert.equal(saved.batch.id, "h-1-1");
    assert.equal(saved.batch.metrics.length, 2);
    assert.equal(r.counters.get("batches_rejected_total"), 1);
    assert.equal(r.counters.get("merged_requests_split_total"), 1);
    const err = r.lines.find((l) => l.msg === "batch rejected by the server; moved to rejected/")!;
    assert.equal(err.server_message, "metrics[0]: older than METRICS_RETENTION");
  } finally {
    await fake.down();
    await r.cleanup();
  }
});

Deno.test("delivery: a token refused even when fresh keeps the data and logs the cause once a minute", async () => {
  const fake = await FakeIngest.start();
  fake.reply = () => Response.json({ error: "unauthorized" }, { status: 401 });
  const clock = new FakeClock();
  const start = clock.now();
  const r = await rig({ url: fake.url, clock });
  try {
    for (const n of [1, 2]) await r.spool.append(rec(n));
    r.start();
    await r.until(() => clock.now() - start >= 183_000);
    await r.stop();
    const errors = r.lines.filter((l) => l.level === "error");
    assert.ok(errors.length >= 3 && errors.length <= 4, `${errors.length} errors in 3 minutes`);
    for (const e of errors) {
      assert.match(String(e.msg), /AGENT_TOKEN most likely differs from the server's secret/);
    }
    const times = errors.map((e) => Date.parse(String(e.time)));
    for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 60_000);
    // Each attempt was a request and its re-minted retry; nothing was dropped.
    assert.equal(fake.requests.length % 2, 0);
    const spool = await r.openSpool();
    assert.equal(spool.stats().pendingRecords, 2);
    await spool.close();
  } finally {
    await fake.down();
    await r.cleanup();
  }
});

Deno.test("delivery: a backlog drains oldest first in merged requests while live data goes at once", async () => {
  const fake = await FakeIngest.start();
  const r = await rig({ url: fake.url });
  try {
    await r.backlog(Array.from({ length: 30 }, (_, i) => i + 1), 200);
    r.start();
    await r.until(() => !r.spool.hasPending);
    await r.stop();
    const ids = fake.requests.map((q) => q.id);
    // Round 1: the oldest 25 batches (5,000 metrics) and, beside them, the newest alone.
    assert.deepEqual(new Set(ids.slice(0, 2)), new Set(["h-1-1:25", "h-1-30"]));
    assert.deepEqual(ids.slice(2), ["h-1-26:4"]);
    assert.ok(fake.requests.every((q) => q.metrics <= 5000));
    allOnce(fake, 30, 200);
  } finally {
    await fake.down();
    await r.cleanup();
  }
});

Deno.test("delivery: while backing off, a new batch is tried at once; its success ends the backoff", async () => {
  const fake = new FakeIngest(freePort());
  const r = await rig({ url: fake.url, baseMs: 60_000 });
  try {
    await r.backlog([1, 2, 3]);
    r.start();
    await r.until(() => r.counters.get("send_failures_total", { reason: "network" }) >= 1);
    await fake.up(); // the server is back, but the loop waits ~60 s
    const appendedAt = Date.now();
    await r.spool.append(rec(4));
    await r.until(() => !r.spool.hasPending, 5000);
    const took = Date.now() - appendedAt;
    await r.stop();
    assert.ok(took < 2000, `delivered ${took} ms after the new batch, not after the backoff`);
    assert.deepEqual(fake.requests.map((q) => q.id), ["h-1-4", "h-1-1:3"]);
    allOnce(fake, 4, 2);
  } finally {
    await fake.down();
    await r.cleanup();
  }
});

Deno.test("delivery: a batch stored whose answer was lost is resent under its id and stored once", async () => {
  const fake = await FakeIngest.start();
  fake.reply = (n, b) => {
    if (n !== 0) return undefined;
    fake.store(b); // committed…
    return Response.json({ error: "internal error" }, { status: 500 }); // …but the answer fails
  };
  const r = await rig({ url: fake.url, clock: new FakeClock() });
  try {
    await r.backlog([1, 2]);
    r.start();
    await r.until(() => !r.spool.hasPending);
    // More data after the retry is merged anew, never with the batches already sent.
    await r.spool.append(rec(3));
    await r.until(() => !r.spool.hasPending);
    await r.stop();
    assert.deepEqual(fake.requests.map((q) => q.id), ["h-1-1:2", "h-1-1:2", "h-1-3"]);
    assert.equal(r.counters.get("requests_duplicate_total"), 1);
    allOnce(fake, 3, 2);
  } finally {
    await fake.down();
    await r.cleanup();
  }
});

Deno.test("delivery: on shutdown pending data is tried until the deadline; the rest stays spooled", async () => {
  const fake = await FakeIngest.start();
  fake.reply = () => Response.json({ error: "db down" }, { status: 503 });
  const r = await rig({ url: fake.url, baseMs: 100 });
  try {
    await r.backlog([1, 2, 3]);
    const stop = new AbortController();
    const abort = new AbortController();
    const t0 = Date.now();
    stop.abort(); // shutdown requested before the first round
    setTimeout(() => abort.abort(), 500);
    const left = await r.loop.run({ stop: stop.signal, abort: abort.signal });
    const took = Date.now() - t0;
    assert.equal(left, 3);
    assert.ok(took >= 450 && took < 1500, `${took} ms`);
    assert.ok(fake.requests.length >= 2, "tried, and retried within the deadline");
    await r.spool.close();
    const spool = await r.openSpool();
    assert.equal(spool.stats().pendingRecords, 3);
    // The request was maybe stored (503): the next start resends the very same batch.
    assert.equal(
      (await spool.claimRound({ maxItems: 5000, maxBytes: 1 << 22 }, 0)).head!.id,
      "h-1-1:3",
    );
    await spool.close();
  } finally {
    await fake.down();
    await r.cleanup();
  }
});

Deno.test("delivery: on shutdown with the server up, everything pending goes and run returns 0", async () => {
  const fake = await FakeIngest.start();
  const r = await rig({ url: fake.url });
  try {
    for (const n of [1, 2, 3]) await r.spool.append(rec(n));
    const stop = new AbortController();
    stop.abort();
    const left = await r.loop.run({ stop: stop.signal, abort: new AbortController().signal });
    assert.equal(left, 0);
    allOnce(fake, 3, 2);
    await r.spool.close();
  } finally {
    await fake.down();
    await r.cleanup();
  }
});
