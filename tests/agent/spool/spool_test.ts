/**
 * The on-disk spool on a real temporary directory: append / acknowledge / reopen, crash
 * recovery (torn last record), the size cap with drop-oldest, ordering, and the claims
 * that make merged retries exact.
 */
import assert from "node:assert/strict";
import { metricRequestBody } from "../../../agent/metric_records.ts";
import { encodeFrame } from "../../../agent/spool/record_frame.ts";
import type { Spool } from "../../../agent/spool/spool.ts";
import { idsOf, LIMITS, rec, spoolDir } from "./helpers.ts";

async function appendAll(spool: Spool, ns: number[], items = 2, host = "h") {
  for (const n of ns) await spool.append(rec(n, items, host));
}

/**
 * A backlog as an outage leaves it: record 0 was appended while nothing waited (so it is
 * solo by birth) and has been delivered; records `ns` arrived after it and may be merged.
 */
async function withBacklog(spool: Spool, ns: number[], items = 2, host = "h") {
  await spool.append(rec(0, items, host));
  await appendAll(spool, ns, items, host);
  const { head } = await spool.claimRound(LIMITS, Infinity);
  assert.deepEqual([head!.id, head!.merged], [`${host}-1-0`, false]);
  await spool.complete(head!);
}

/** Delivers everything the way the delivery loop does (head claims only); returns the request ids. */
async function drainAll(spool: Spool, limits = LIMITS): Promise<string[][]> {
  const out: string[][] = [];
  while (spool.hasPending) {
    const { head } = await spool.claimRound(limits, Infinity);
    out.push(idsOf(head!.records));
    await spool.complete(head!);
  }
  return out;
}

Deno.test("spool: append, claim, acknowledge; reopen resends only what was not acknowledged", async () => {
  const t = await spoolDir();
  try {
    let spool = await t.open();
    await appendAll(spool, [1, 2, 3, 4, 5]);
    assert.equal(spool.stats().pendingRecords, 5);
    // The first was appended while nothing waited: it goes alone, under its own id.
    const first = (await spool.claimRound(LIMITS, Infinity)).head!;
    assert.deepEqual([first.id, first.merged, idsOf(first.records)], ["h-1-1", false, ["h-1-1"]]);
    await spool.complete(first);
    const { head } = await spool.claimRound({ maxItems: 4, maxBytes: 1 << 20 }, Infinity);
    assert.deepEqual(idsOf(head!.records), ["h-1-2", "h-1-3"]);
    assert.deepEqual([head!.id, head!.merged], ["h-1-2:2", true]);
    await spool.complete(head!);
    await spool.close();

    spool = await t.open();
    assert.equal(spool.stats().pendingRecords, 2);
    assert.deepEqual(await drainAll(spool), [["h-1-4", "h-1-5"]]);
    await spool.close();

    spool = await t.open();
    assert.equal(spool.hasPending, false);
    assert.equal(spool.nextSeq, 6, "sequence numbers are never reused");
    assert.deepEqual(await t.segments(), [], "finished segments are deleted");
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: records come back oldest first, byte for byte, across segments and reopen", async () => {
  const t = await spoolDir({ segmentBytes: 600, cacheBytes: 0 });
  try {
    let spool = await t.open();
    await appendAll(spool, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await spool.close();
    assert.ok((await t.segments()).length >= 3, "several segments");
    spool = await t.open();
    const requests = await drainAll(spool, { maxItems: 6, maxBytes: 1 << 20 });
    assert.deepEqual(requests.flat(), [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `h-1-${n}`));
    assert.ok(requests.every((r) => r.length <= 3), "at most 6 items (3 batches) per request");
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: a torn last record (crash mid-write) is detected, skipped and cut off", async () => {
  const t = await spoolDir();
  try {
    let spool = await t.open();
    await appendAll(spool, [1, 2, 3]);
    await spool.close();
    // Simulate kill -9 during the write of a fourth record: only part of its frame landed.
    const [seg] = await t.segments();
    const path = `${t.dir}/${seg}`;
    const before = (await Deno.stat(path)).size;
    const torn = encodeFrame({ ...rec(4), seq: 4, appendedAtMs: Date.now() });
    await Deno.writeFile(path, torn.subarray(0, torn.length - 7), { append: true });

    spool = await t.open();
    assert.equal(spool.stats().pendingRecords, 3);
    assert.equal((await Deno.stat(path)).size, before, "the torn bytes are cut off");
    assert.equal(t.counters.get("spool_torn_records_total"), 1);
    const warn = t.lines.find((l) =>
      l.msg === "spool: torn last record skipped (the agent stopped mid-write)"
    )!;
    assert.equal(warn.skipped_bytes, torn.length - 7);
    // Appending goes on cleanly after the cut, and everything reads back.
    await appendAll(spool, [5]);
    await spool.close();
    spool = await t.open();
    assert.deepEqual(await drainAll(spool), [["h-1-1"], ["h-1-2", "h-1-3", "h-1-5"]]);
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: a last record with a bad checksum is dropped, earlier ones kept", async () => {
  const t = await spoolDir();
  try {
    let spool = await t.open();
    await appendAll(spool, [1, 2]);
    await spool.close();
    const [seg] = await t.segments();
    const bytes = await Deno.readFile(`${t.dir}/${seg}`);
    bytes[bytes.length - 3] ^= 0xff; // inside the payload of record 2
    await Deno.writeFile(`${t.dir}/${seg}`, bytes);
    spool = await t.open();
    assert.deepEqual(await drainAll(spool), [["h-1-1"]]);
    assert.match(String(t.lines.find((l) => l.level === "warn")!.problem), /checksum/);
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: damage inside an older segment skips the rest of that segment only", async () => {
  const t = await spoolDir({ segmentBytes: 400 });
  try {
    let spool = await t.open();
    await appendAll(spool, [1, 2, 3, 4, 5, 6]);
    await spool.close();
    const segs = await t.segments();
    assert.ok(segs.length >= 2);
    const first = await Deno.readFile(`${t.dir}/${segs[0]}`);
    first[first.length - 3] ^= 0xff;
    await Deno.writeFile(`${t.dir}/${segs[0]}`, first);
    spool = await t.open();
    const ids = (await drainAll(spool)).flat();
    assert.equal(t.counters.get("spool_damaged_segments_total"), 1);
    assert.ok(!ids.includes("h-1-2") || ids.length < 6, "the damaged record is not sent");
    assert.ok(ids.includes("h-1-6"), "later segments are read");
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: records appended by a process killed with SIGKILL are all there", async () => {
  // A child appends as fast as it can and prints each seq once append resolved; it is killed
  // at a random moment. Every printed record must reopen intact; a torn tail is skipped.
  const t = await spoolDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./append_forever.ts", import.meta.url).pathname, t.dir],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while ((out.match(/\n/g) ?? []).length < 200) out += (await reader.read()).value ?? "";
    child.kill("SIGKILL");
    await child.status;
    for (let r = await reader.read(); !r.done; r = await reader.read()) out += r.value;
    const printed = out.trim().split("\n").map(Number);
    const spool = await t.open();
    const ids = (await drainAll(spool)).flat();
    for (const seq of printed) assert.ok(ids.includes(`h-1-${seq}`), `record ${seq} survived`);
    assert.deepEqual(ids, [...ids].sort((a, b) => Number(a.slice(4)) - Number(b.slice(4))));
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: a merged claim in flight at a crash is resent unchanged, under the same id", async () => {
  const t = await spoolDir();
  try {
    let spool = await t.open();
    await withBacklog(spool, [1, 2, 3]);
    const { head } = await spool.claimRound(LIMITS, Infinity);
    assert.equal(head!.id, "h-1-1:3");
    assert.equal(head!.fresh, true);
    await spool.close(); // "crash": no answer recorded
    spool = await t.open();
    await appendAll(spool, [4, 5]); // more data arrived since
    const again = (await spool.claimRound(LIMITS, Infinity)).head!;
    assert.equal(again.id, "h-1-1:3");
    assert.equal(again.fresh, false);
    assert.deepEqual(idsOf(again.records), ["h-1-1", "h-1-2", "h-1-3"]);
    assert.deepEqual(metricRequestBody(again), metricRequestBody(head!));
    // Not released on a "not stored" answer: the first attempt may have been stored.
    await spool.release(again);
    assert.equal((await spool.claimRound(LIMITS, Infinity)).head!.id, "h-1-1:3");
    await spool.complete(again);
    assert.deepEqual(await drainAll(spool), [["h-1-4", "h-1-5"]]);
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: a record once sent alone is never merged, even after a restart", async () => {
  const t = await spoolDir();
  try {
    let spool = await t.open();
    await withBacklog(spool, [1]); // not solo by birth: marked in the checkpoint before sending
    const solo = (await spool.claimRound(LIMITS, Infinity)).head!;
    assert.deepEqual([solo.id, solo.merged, solo.fresh], ["h-1-1", false, true]);
    const cp = JSON.parse(await Deno.readTextFile(`${t.dir}/checkpoint.json`));
    assert.deepEqual(cp.solo, [[2, 2]]);
    await spool.close();
    spool = await t.open();
    await appendAll(spool, [2, 3]);
    assert.deepEqual(await drainAll(spool), [["h-1-1"], ["h-1-2", "h-1-3"]]);
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: a fresh claim released (nothing stored) may be regrouped", async () => {
  const t = await spoolDir();
  try {
    const spool = await t.open();
    await withBacklog(spool, [1]);
    const first = (await spool.claimRound(LIMITS, Infinity)).head!;
    await spool.release(first); // connection refused
    await appendAll(spool, [2]);
    const second = (await spool.claimRound(LIMITS, Infinity)).head!;
    assert.equal(second.id, "h-1-1:2");
    await spool.release(second);
    await appendAll(spool, [3]);
    assert.equal((await spool.claimRound(LIMITS, Infinity)).head!.id, "h-1-1:3");
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: the live lane takes the newest record alone; out-of-order acks survive reopen", async () => {
  const t = await spoolDir();
  try {
    let spool = await t.open();
    await withBacklog(spool, [1, 2, 3, 4, 5]); // record n has seq n + 1
    const round = await spool.claimRound({ maxItems: 4, maxBytes: 1 << 20 }, 0);
    assert.deepEqual(idsOf(round.head!.records), ["h-1-1", "h-1-2"]);
    assert.deepEqual(idsOf(round.live!.records), ["h-1-5"]);
    assert.equal(round.newestSeq, 6);
    await spool.complete(round.live!); // the live one is acknowledged first
    await spool.close(); // the head's answer never came
    spool = await t.open();
    const ids = (await drainAll(spool)).flat();
    assert.deepEqual(ids, ["h-1-1", "h-1-2", "h-1-3", "h-1-4"], "5 is not resent");
    // Nothing newer than the last round: no live claim.
    await appendAll(spool, [6]);
    assert.equal((await spool.claimLive(7)).live, null);
    assert.deepEqual(idsOf((await spool.claimLive(6)).live!.records), ["h-1-6"]);
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: merging stops at the item and byte limits, a host change and a solo record", async () => {
  const t = await spoolDir();
  try {
    const spool = await t.open();
    await withBacklog(spool, [1, 2, 3], 10);
    await appendAll(spool, [4, 5], 10, "other");
    const a = (await spool.claimRound({ maxItems: 25, maxBytes: 1 << 20 }, Infinity)).head!;
    assert.deepEqual([idsOf(a.records), a.items], [["h-1-1", "h-1-2"], 20]);
    await spool.complete(a);
    const b = (await spool.claimRound(LIMITS, Infinity)).head!;
    assert.deepEqual(idsOf(b.records), ["h-1-3"], "other host not merged");
    await spool.complete(b);
    const c = (await spool.claimRound({ maxItems: 5000, maxBytes: 10 }, Infinity)).head!;
    assert.deepEqual(idsOf(c.records), ["other-1-4"], "a single record goes even over maxBytes");
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: a merged body is one valid batch with the claim's id and every metric", async () => {
  const t = await spoolDir();
  try {
    const spool = await t.open();
    await withBacklog(spool, [1, 2, 3], 3);
    const { head } = await spool.claimRound(LIMITS, Infinity);
    const body = JSON.parse(new TextDecoder().decode(metricRequestBody(head!)));
    assert.equal(body.id, "h-1-1:3");
    assert.equal(body.host, "h");
    assert.equal(body.metrics.length, 9);
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: over the size cap the oldest batches are dropped, counted and logged", async () => {
  const t = await spoolDir({ maxBytes: 8 * 1024, segmentBytes: 1024 });
  try {
    const spool = await t.open();
    for (let n = 1; n <= 60; n++) await spool.append(rec(n, 2));
    const stats = spool.stats();
    assert.ok(stats.totalBytes <= 8 * 1024, `${stats.totalBytes} within the cap`);
    let onDisk = 0;
    for (const s of await t.segments()) onDisk += (await Deno.stat(`${t.dir}/${s}`)).size;
    assert.equal(onDisk, stats.totalBytes);
    const dropped = t.counters.get("spool_dropped_batches_total", {
      kind: "metrics",
      reason: "full",
    });
    assert.ok(dropped > 0);
    assert.equal(dropped + stats.pendingRecords, 60, "every batch is either kept or counted");
    assert.equal(
      t.counters.get("spool_dropped_items_total", { kind: "metrics", reason: "full" }),
      dropped * 2,
    );
    const logged = t.lines.filter((l) =>
      l.msg === "spool full (AGENT_SPOOL_MAX_BYTES); oldest batches dropped"
    );
    assert.equal(logged.reduce((n, l) => n + Number(l.batches), 0), dropped);
    assert.ok(
      logged.every((l) => Number(l.metrics) > 0 && Number(l.bytes) > 0 && l.collected_from),
    );
    // What remains is the newest, in order.
    const ids = (await drainAll(spool)).flat();
    assert.equal(ids.at(-1), "h-1-60");
    assert.deepEqual(
      ids,
      Array.from({ length: ids.length }, (_, i) => `h-1-${61 - ids.length + i}`),
    );
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: when full, metric batches are dropped before log batches", async () => {
  const t = await spoolDir({ maxBytes: 4 * 1024, segmentBytes: 1024 });
  try {
    const spool = await t.open();
    // The oldest segment holds a log batch; the metric segments after it go first.
    await spool.append({ ...rec(1), kind: "logs", id: "logs-1" });
    for (let n = 2; n <= 40; n++) await spool.append(rec(n));
    assert.ok(
      t.counters.get("spool_dropped_batches_total", { kind: "metrics", reason: "full" }) > 0,
    );
    assert.equal(
      t.counters.get("spool_dropped_batches_total", { kind: "logs", reason: "full" }),
      0,
    );
    const { head } = await spool.claimRound(LIMITS, Infinity);
    assert.equal(head!.kind, "logs");
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: a batch larger than the whole cap is refused and counted", async () => {
  const t = await spoolDir({ maxBytes: 64 * 1024 });
  try {
    const spool = await t.open();
    assert.deepEqual(await spool.append(rec(1, 1000)), { dropped: "too_large" });
    assert.equal(spool.hasPending, false);
    assert.equal(
      t.counters.get("spool_dropped_batches_total", { kind: "metrics", reason: "too_large" }),
      1,
    );
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: a second agent cannot open a spool in use", async () => {
  const t = await spoolDir();
  try {
    const spool = await t.open();
    await assert.rejects(
      t.open({ lockTimeoutMs: 100 }),
      /another agent process is using this spool/,
    );
    await spool.close();
    (await t.open()).close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: a damaged checkpoint means resending everything, not losing it", async () => {
  const t = await spoolDir();
  try {
    let spool = await t.open();
    await appendAll(spool, [1, 2]);
    await spool.close();
    await Deno.writeTextFile(`${t.dir}/checkpoint.json`, "{garbage");
    spool = await t.open();
    assert.equal(spool.stats().pendingRecords, 2);
    assert.equal(t.counters.get("spool_checkpoint_damaged_total"), 1);
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: waitForAppend wakes on the next append", async () => {
  const t = await spoolDir();
  try {
    const spool = await t.open();
    const woke = spool.waitForAppend();
    await spool.append(rec(1));
    await woke;
    const stop = new AbortController();
    const aborted = spool.waitForAppend(stop.signal);
    stop.abort();
    await aborted;
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: a batch appended while nothing waits goes alone, with no checkpoint write before it", async () => {
  const t = await spoolDir();
  try {
    const spool = await t.open();
    const before = await Deno.readTextFile(`${t.dir}/checkpoint.json`);
    const beforeIno = (await Deno.stat(`${t.dir}/checkpoint.json`)).ino;
    await spool.append(rec(1));
    const { head } = await spool.claimRound(LIMITS, Infinity);
    assert.deepEqual([head!.id, head!.merged, head!.fresh], ["h-1-1", false, false]);
    assert.equal((await Deno.stat(`${t.dir}/checkpoint.json`)).ino, beforeIno, "not rewritten");
    assert.equal(await Deno.readTextFile(`${t.dir}/checkpoint.json`), before);
    // Its solo mark lives in its own frame: after a crash it is still never merged.
    await spool.close();
    const again = await t.open();
    await again.append(rec(2));
    assert.deepEqual(await drainAll(again), [["h-1-1"], ["h-1-2"]]);
    await again.close();
  } finally {
    await t.cleanup();
  }
});
