import assert from "node:assert/strict";
import { Counters } from "../../agent/counters.ts";
import { MemoryBatchQueue } from "../../agent/memory_batch_queue.ts";
import { Sender, type SendOutcome } from "../../agent/sender.ts";
import { SendLoop } from "../../agent/send_loop.ts";
import { sleep } from "../../agent/sleep.ts";
import { TokenSource } from "../../agent/token_source.ts";
import { Backoff } from "../../shared/backoff.ts";
import type { MetricBatch } from "../../shared/metric.ts";
import { capturedLogger } from "./helpers.ts";

const batch = (id: string): MetricBatch => ({ id, host: "h", metrics: [] });

/** Waits (yielding to timers) until `cond` holds. */
async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  while (!await cond()) await new Promise((r) => setTimeout(r, 1));
}

function setup(outcomes: SendOutcome[]) {
  const queue = new MemoryBatchQueue(10);
  const counters = new Counters();
  const { logger, lines } = capturedLogger();
  const sent: string[] = [];
  const delays: number[] = [];
  const loop = new SendLoop({
    queue,
    sender: {
      send: (b) => {
        sent.push(b.id);
        return Promise.resolve(outcomes.shift() ?? { kind: "sent", status: 202 });
      },
    },
    backoff: new Backoff({ random: () => 0.5 }), // no jitter: 1 s, 2 s, 4 s …
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    now: Date.now,
    logger,
    counters,
  });
  return { queue, counters, lines, sent, delays, loop };
}

Deno.test("SendLoop: retries with growing backoff until sent, then resets", async () => {
  const retry: SendOutcome = { kind: "retry", status: 503, reason: "server answered 503: busy" };
  const { queue, loop, sent, delays, counters, lines } = setup([retry, retry]);
  await queue.push(batch("a"));
  await queue.push(batch("b"));
  const stop = new AbortController();
  const running = loop.run(stop.signal);
  await until(async () => await queue.size() === 0);
  stop.abort();
  await running;
  assert.deepEqual(sent, ["a", "a", "a", "b"]);
  assert.deepEqual(delays, [1000, 2000]);
  assert.equal(counters.get("batches_sent_total"), 2);
  assert.equal(counters.get("send_failures_total", { reason: "retryable" }), 2);
  const warn = lines.filter((l) => l.msg === "send failed; will retry");
  assert.deepEqual(warn.map((l) => [l.level, l.attempt, l.error]), [
    ["warn", 1, "server answered 503: busy"],
    ["warn", 2, "server answered 503: busy"],
  ]);
});

Deno.test("SendLoop: a rejected batch is dropped, counted and logged with the server's message", async () => {
  const { queue, loop, counters, lines } = setup([
    { kind: "rejected", status: 400, message: "metrics[0]: bad name" },
  ]);
  await queue.push(batch("bad"));
  await queue.push(batch("good"));
  assert.equal(await loop.sendOne((await queue.peek())!), true);
  assert.equal(await loop.sendOne((await queue.peek())!), true);
  assert.equal(await queue.size(), 0);
  assert.equal(counters.get("batches_dropped_total", { reason: "rejected" }), 1);
  const err = lines.find((l) => l.msg === "batch rejected by the server; dropped")!;
  assert.deepEqual([err.level, err.batch, err.status, err.server_message], [
    "error",
    "bad",
    400,
    "metrics[0]: bad name",
  ]);
});

Deno.test("SendLoop: a refused token keeps the batch and logs an error", async () => {
  const { queue, loop, lines, counters } = setup([
    { kind: "retry", status: 401, unauthorized: true, reason: "AGENT_TOKEN most likely differs" },
  ]);
  await queue.push(batch("a"));
  assert.equal(await loop.sendOne((await queue.peek())!), false);
  assert.equal(await queue.size(), 1);
  assert.equal(counters.get("send_failures_total", { reason: "unauthorized" }), 1);
  const err = lines.find((l) => l.msg === "send refused: unauthorized; will retry")!;
  assert.equal(err.level, "error");
});

Deno.test("SendLoop: run waits for work and stops when aborted", async () => {
  const { queue, loop, sent } = setup([]);
  const stop = new AbortController();
  const running = loop.run(stop.signal);
  await queue.push(batch("late"));
  await until(() => sent.length === 1);
  stop.abort();
  await running;
  assert.deepEqual(sent, ["late"]);
});

Deno.test("SendLoop: drain sends what is queued; returns 0 when all went", async () => {
  const { queue, loop, sent } = setup([{ kind: "retry", reason: "network error: reset" }]);
  for (const id of ["a", "b", "c"]) await queue.push(batch(id));
  assert.equal(await loop.drain(Date.now() + 60_000), 0);
  assert.deepEqual(sent, ["a", "a", "b", "c"]);
});

Deno.test("SendLoop: drain gives up at the deadline and reports what is left", async () => {
  const queue = new MemoryBatchQueue(10);
  for (const id of ["a", "b"]) await queue.push(batch(id));
  const loop = new SendLoop({
    queue,
    sender: { send: () => Promise.resolve({ kind: "retry", reason: "server answered 503: x" }) },
    backoff: new Backoff({ random: () => 0.5, baseMs: 1, maxMs: 2 }),
    sleep,
    now: Date.now,
    logger: capturedLogger().logger,
    counters: new Counters(),
  });
  assert.equal(await loop.drain(Date.now() + 30), 2);
});

Deno.test("SendLoop + Sender + real server: 500 then 202 delivers the batch once", async () => {
  const received: string[] = [];
  let n = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    received.push(((await req.json()) as MetricBatch).id);
    return n++ === 0
      ? Response.json({ error: "db down" }, { status: 500 })
      : new Response(null, { status: 202 });
  });
  try {
    const queue = new MemoryBatchQueue(10);
    await queue.push(batch("h-1-1"));
    const counters = new Counters();
    const loop = new SendLoop({
      queue,
      sender: new Sender({
        serverUrl: new URL(`http://127.0.0.1:${server.addr.port}`),
        tokens: new TokenSource({ secret: "k".repeat(32), subject: "h", now: Date.now }),
        fetch,
        timeoutMs: 5000,
      }),
      backoff: new Backoff({ random: () => 0.5, baseMs: 1 }),
      sleep,
      now: Date.now,
      logger: capturedLogger().logger,
      counters,
    });
    const stop = new AbortController();
    const running = loop.run(stop.signal);
    await until(async () => await queue.size() === 0);
    stop.abort();
    await running;
    assert.deepEqual(received, ["h-1-1", "h-1-1"]);
    assert.equal(counters.get("batches_sent_total"), 1);
  } finally {
    await server.shutdown();
  }
});
