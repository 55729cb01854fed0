/** LogSource: batch limits and ids, track-before-spool, acknowledgements moving the checkpoint; spool records and merged bodies. */
import assert from "node:assert/strict";
import { Counters } from "../../../agent/counters.ts";
import type { PolledEntry } from "../../../agent/logs/file_tail.ts";
import { logRecord, logRequestBody } from "../../../agent/logs/log_records.ts";
import {
  LogSource,
  type OutgoingLogBatch,
  type TailerLike,
} from "../../../agent/logs/log_source.ts";
import { type LogBatch, type LogEntry, validateLogBatch } from "../../../shared/log_entry.ts";
import { silentLogger } from "../../../shared/log.ts";

function entry(i: number, message = `line ${i}`): LogEntry {
  return {
    time: new Date(Date.UTC(2024, 4, 1) + i).toISOString(),
    host: "h",
    source: "/var/log/a.log",
    level: "info",
    message,
    file: "f1",
    offset: i * 10,
  };
}

/** A tailer that hands out the given polls and records what the source told it. */
class ScriptedTailer implements TailerLike {
  calls: string[] = [];
  tracked: [string, number][] = [];
  acked: string[] = [];
  constructor(private polls: PolledEntry[][]) {}
  poll() {
    this.calls.push("poll");
    return Promise.resolve({ entries: this.polls.shift() ?? [], more: false });
  }
  track(id: string, entries: readonly PolledEntry[]) {
    this.calls.push(`track ${id}`);
    this.tracked.push([id, entries.length]);
  }
  settle() {
    this.calls.push("settle");
  }
  acknowledge(ids: readonly string[]) {
    this.acked.push(...ids);
  }
  saveCheckpoint() {
    return Promise.resolve();
  }
  startWatching() {}
  waitForChange() {
    return Promise.resolve();
  }
  nextDeadline() {
    return null;
  }
  close() {
    return Promise.resolve();
  }
}

const polled = (e: LogEntry): PolledEntry => ({
  entry: e,
  tail: null as never,
  gen: 0,
  end: e.offset + 10,
});

function source(
  tailer: TailerLike,
  pushed: OutgoingLogBatch[],
  calls: string[],
  maxBatchBytes?: number,
) {
  return new LogSource({
    tailer,
    sink: {
      push: (b) => {
        calls.push(`push ${b.id}`);
        pushed.push(b);
        return Promise.resolve();
      },
    },
    host: "h",
    startMs: 1700000000000,
    now: Date.now,
    sleep: () => Promise.resolve(),
    logger: silentLogger,
    counters: new Counters(),
    maxBatchBytes,
  });
}

const decode = (b: OutgoingLogBatch) => JSON.parse(new TextDecoder().decode(b.payload)) as LogBatch;

Deno.test("log source: at most 5,000 entries per batch; ids logs-<host>-<start>-<n>; each batch tracked before it is spooled", async () => {
  const entries = Array.from({ length: 12_001 }, (_, i) => polled(entry(i)));
  const t = new ScriptedTailer([entries]);
  const pushed: OutgoingLogBatch[] = [];
  const s = source(t, pushed, t.calls);
  const r = await s.pollOnce();
  await s.flush();
  assert.equal(r.entries, 12_001);
  assert.deepEqual(pushed.map((b) => [b.id, b.entries]), [
    ["logs-h-1700000000000-1", 5000],
    ["logs-h-1700000000000-2", 5000],
    ["logs-h-1700000000000-3", 2001],
  ]);
  // Each batch is tracked before it is spooled (an acknowledgement can never come first), and
  // batches are spooled in order.
  const at = (c: string) => t.calls.indexOf(c);
  for (let n = 1; n <= 3; n++) {
    assert.ok(at(`track logs-h-1700000000000-${n}`) < at(`push logs-h-1700000000000-${n}`));
  }
  assert.ok(at("push logs-h-1700000000000-1") < at("push logs-h-1700000000000-2"));
  assert.ok(at("push logs-h-1700000000000-2") < at("push logs-h-1700000000000-3"));
  assert.ok(at("track logs-h-1700000000000-3") < at("settle"));
  for (const b of pushed) {
    const v = validateLogBatch(decode(b));
    assert.ok(v.ok, v.ok ? "" : v.error);
  }
  assert.deepEqual(decode(pushed[2]).entries.at(-1), entry(12_000));
  s.acknowledge(["logs-h-1700000000000-2"]);
  assert.deepEqual(t.acked, ["logs-h-1700000000000-2"]);
});

Deno.test("log source: batches stay within the byte limit (escaping counted)", async () => {
  const big = "\u0001".repeat(10_000); // 6 bytes each once escaped
  const entries = Array.from({ length: 10 }, (_, i) => polled(entry(i, big)));
  const t = new ScriptedTailer([entries]);
  const pushed: OutgoingLogBatch[] = [];
  const src = source(t, pushed, t.calls, 150_000);
  await src.pollOnce();
  await src.flush();
  assert.ok(pushed.length >= 4);
  for (const b of pushed) assert.ok(b.payload.length <= 150_000, `${b.payload.length} bytes`);
  assert.equal(pushed.reduce((n, b) => n + b.entries, 0), 10);
});

Deno.test("log records: a batch as a logs record; merged claims become one batch with the claim's id", () => {
  const pushed: OutgoingLogBatch[] = [];
  const mk = (id: string, es: LogEntry[]) => {
    const json = JSON.stringify({ id, host: "h", entries: es });
    return { id, host: "h", entries: es.length, payload: new TextEncoder().encode(json) };
  };
  pushed.push(
    mk("logs-h-1-1", [entry(1), entry(2)]),
    mk("logs-h-1-2", []),
    mk("logs-h-1-3", [entry(3)]),
  );
  const rec = logRecord(pushed[0]);
  assert.deepEqual({ ...rec, payload: undefined }, {
    kind: "logs",
    host: "h",
    id: "logs-h-1-1",
    items: 2,
    payload: undefined,
  });
  const solo = logRequestBody({ id: "logs-h-1-1", host: "h", merged: false, records: [rec] });
  assert.equal(solo, rec.payload);
  const merged = logRequestBody({
    id: "logs-h-1-1:3",
    host: "h",
    merged: true,
    records: pushed.map(logRecord),
  });
  const body = JSON.parse(new TextDecoder().decode(merged));
  assert.deepEqual(body, {
    id: "logs-h-1-1:3",
    host: "h",
    entries: [entry(1), entry(2), entry(3)],
  });
  assert.ok(validateLogBatch(body).ok);
});

Deno.test("acknowledgingSpool: completing a logs claim acknowledges its batches; the rest passes through", async () => {
  const { acknowledgingSpool } = await import("../../../agent/logs/acknowledging_spool.ts");
  class FakeSpool {
    #done: string[] = [];
    get hasPending() {
      return this.#done.length < 2;
    }
    complete(claim: { kind: string; id: string; records: { id: string }[] }) {
      this.#done.push(claim.id);
      return Promise.resolve();
    }
    done() {
      return this.#done;
    }
  }
  const acked: string[][] = [];
  const spool = acknowledgingSpool(new FakeSpool(), (ids) => acked.push(ids));
  assert.equal(spool.hasPending, true);
  await spool.complete({ kind: "metrics", id: "m1", records: [{ id: "m1" }] });
  await spool.complete({ kind: "logs", id: "l1:2", records: [{ id: "l1" }, { id: "l2" }] });
  assert.deepEqual(acked, [["l1", "l2"]]);
  assert.deepEqual(spool.done(), ["m1", "l1:2"]);
  assert.equal(spool.hasPending, false);
});
