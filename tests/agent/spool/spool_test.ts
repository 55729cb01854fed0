/**
 * The on-disk spool on a real temporary directory: append / acknowledge / reopen, crash
 * recovery (torn last record, torn end of the checkpoint log), the size cap with
 * drop-oldest, ordering, the claims that make merged retries exact, and the checkpoint log
 * (migration, compaction, what is synced when).
 */
import assert from "node:assert/strict";
import { metricRequestBody } from "../../../agent/metric_records.ts";
import { encodeCheckpoint } from "../../../agent/spool/checkpoint.ts";
import { encodeCheckpointFrame } from "../../../agent/spool/checkpoint_log.ts";
import { encodeFrame } from "../../../agent/spool/record_frame.ts";
import { SeqRanges } from "../../../agent/spool/seq_ranges.ts";
import type { Spool } from "../../../agent/spool/spool.ts";
import { idsOf, LIMITS, readCheckpointLog, rec, recordingFs, spoolDir } from "./helpers.ts";

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

Deno.test("spool: after SIGKILL at any moment nothing acknowledged is resent", async () => {
  // A child appends, claims and acknowledges as fast as it can (compacting its checkpoint log
  // often) and prints the ids of each claim once complete() resolved; it is killed at a
  // random moment. None of the printed ids may come back; the checkpoint log reopens clean.
  for (const acks of [50, 150, 300]) {
    const t = await spoolDir();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./ack_forever.ts", import.meta.url).pathname, t.dir],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      while ((out.match(/\n/g) ?? []).length < acks) out += (await reader.read()).value ?? "";
      child.kill("SIGKILL");
      await child.status;
      for (let r = await reader.read(); !r.done; r = await reader.read()) out += r.value;
      const acked = new Set(
        out.split("\n").filter((l) => l.startsWith("ack ")).flatMap((l) => l.split(" ").slice(1)),
      );
      const spool = await t.open();
      const resent = (await drainAll(spool)).flat();
      assert.deepEqual(resent.filter((id) => acked.has(id)), [], `after ${acks} acks`);
      assert.equal(new Set(resent).size, resent.length, "each pending record sent once");
      assert.equal(t.counters.get("spool_checkpoint_damaged_total"), 0);
      await readCheckpointLog(t.dir); // clean: compacted at open
      await spool.close();
    } finally {
      await t.cleanup();
    }
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
    assert.deepEqual((await readCheckpointLog(t.dir)).last.solo, [[2, 2]]);
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
    await withBacklog(spool, [1, 2]); // record 0 acknowledged
    await spool.close();
    // A whole frame (its checksum matches) whose JSON is not a checkpoint: outside damage.
    const garbage = encodeCheckpointFrame(new TextEncoder().encode("{garbage"));
    await Deno.writeFile(`${t.dir}/checkpoint.log`, garbage, { append: true });
    spool = await t.open();
    assert.equal(spool.stats().pendingRecords, 3, "record 0, acknowledged, is resent too");
    assert.equal(t.counters.get("spool_checkpoint_damaged_total"), 1);
    assert.equal(t.counters.get("spool_checkpoint_torn_total"), 0);
    const error = t.lines.find((l) => l.level === "error")!;
    assert.equal(error.msg, "spool: checkpoint damaged; every batch in the spool will be resent");
    assert.match(String(error.error), /JSON/);
    assert.equal((await readCheckpointLog(t.dir)).frames, 1, "replaced at open");
    assert.deepEqual(await drainAll(spool), [["h-1-0"], ["h-1-1", "h-1-2"]]);
    await spool.close();
    // A log with no whole frame at all: the same.
    await Deno.writeFile(`${t.dir}/checkpoint.log`, new Uint8Array([9, 0, 0, 0, 1, 2]));
    spool = await t.open();
    assert.equal(t.counters.get("spool_checkpoint_damaged_total"), 2);
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: reopening after acknowledgements resends exactly what was not acknowledged", async () => {
  const t = await spoolDir();
  try {
    let spool = await t.open();
    await withBacklog(spool, [1, 2, 3, 4, 5, 6]); // record n has seq n + 1
    const round = await spool.claimRound({ maxItems: 4, maxBytes: 1 << 20 }, 0);
    assert.deepEqual(idsOf(round.head!.records), ["h-1-1", "h-1-2"]);
    await spool.complete(round.live!); // h-1-6, out of order
    await spool.complete(round.head!);
    const next = (await spool.claimRound({ maxItems: 2, maxBytes: 1 << 20 }, Infinity)).head!;
    assert.deepEqual(idsOf(next.records), ["h-1-3"]);
    await spool.complete(next);
    const inFlight = (await spool.claimRound(LIMITS, Infinity)).head!;
    assert.equal(inFlight.id, "h-1-4:2");
    const acknowledged = (await readCheckpointLog(t.dir)).last;
    await spool.close(); // as kill -9 leaves it: close writes nothing
    assert.deepEqual((await readCheckpointLog(t.dir)).last, acknowledged);
    assert.deepEqual(acknowledged, {
      version: 1,
      ackedThrough: 4,
      doneAhead: [[7, 7]],
      solo: [],
      merged: { from: 5, to: 6, id: "h-1-4:2" },
    });

    spool = await t.open();
    assert.equal(spool.stats().pendingRecords, 2);
    const again = (await spool.claimRound(LIMITS, Infinity)).head!;
    assert.deepEqual([again.id, again.fresh, idsOf(again.records)], [
      "h-1-4:2",
      false,
      ["h-1-4", "h-1-5"],
    ]);
    await spool.complete(again);
    assert.equal(spool.hasPending, false);
    await spool.close();
    spool = await t.open();
    assert.equal(spool.hasPending, false, "nothing acknowledged comes back");
    assert.equal(spool.nextSeq, 8);
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: a torn end of the checkpoint log is skipped: the checkpoint before it counts", async () => {
  const everythingDone = encodeCheckpointFrame(encodeCheckpoint({
    ackedThrough: 100,
    doneAhead: new SeqRanges(),
    solo: new SeqRanges(),
    merged: null,
  }));
  const tails: Array<[string, Uint8Array, RegExp]> = [
    ["cut short", everythingDone.subarray(0, everythingDone.length - 5), /cut short/],
    ["only part of a header", everythingDone.subarray(0, 5), /less than a header/],
    ["bad checksum", everythingDone.map((b, i) => i === 12 ? b ^ 1 : b), /checksum/],
    ["zeros (power loss)", new Uint8Array(4096), /zero length/],
  ];
  for (const [what, tail, problem] of tails) {
    const t = await spoolDir();
    try {
      let spool = await t.open();
      await withBacklog(spool, [1, 2]);
      const { head } = await spool.claimRound(LIMITS, Infinity);
      assert.equal(head!.id, "h-1-1:2");
      await spool.close();
      const before = await readCheckpointLog(t.dir);
      assert.ok(before.frames >= 3, `${what}: several frames appended`);
      await Deno.writeFile(`${t.dir}/checkpoint.log`, tail, { append: true });

      spool = await t.open();
      assert.equal(t.counters.get("spool_checkpoint_torn_total"), 1, what);
      assert.equal(t.counters.get("spool_checkpoint_damaged_total"), 0, what);
      const warn = t.lines.find((l) => l.level === "warn")!;
      assert.equal(
        warn.msg,
        "spool: torn end of the checkpoint log skipped; the checkpoint before it is used",
      );
      assert.equal(warn.skipped_bytes, tail.length, what);
      assert.match(String(warn.problem), problem, what);
      // Compacted at open: one frame, the torn bytes gone, so nothing follows them.
      const after = await readCheckpointLog(t.dir);
      assert.equal(after.frames, 1, what);
      assert.deepEqual(after.last, before.last, what);
      assert.equal(spool.stats().pendingRecords, 2, what);
      const again = (await spool.claimRound(LIMITS, Infinity)).head!;
      assert.deepEqual([again.id, again.fresh], ["h-1-1:2", false], what);
      await spool.complete(again);
      await spool.close();
      spool = await t.open();
      assert.equal(spool.hasPending, false, what);
      await spool.close();
    } finally {
      await t.cleanup();
    }
  }
});

Deno.test("spool: a checkpoint.json of the previous version is migrated to the log, then removed", async () => {
  const t = await spoolDir();
  try {
    let spool = await t.open();
    await withBacklog(spool, [1, 2, 3, 4]); // seqs 2..5 pending
    await spool.close();
    // As the previous version left it: record 1 acknowledged, 2..3 in flight merged.
    await Deno.remove(`${t.dir}/checkpoint.log`);
    const legacy = {
      version: 1,
      ackedThrough: 2,
      doneAhead: [[5, 5]],
      solo: [],
      merged: { from: 3, to: 4, id: "h-1-2:2" },
    };
    await Deno.writeTextFile(`${t.dir}/checkpoint.json`, JSON.stringify(legacy) + "\n");
    await Deno.writeTextFile(`${t.dir}/checkpoint.json.tmp`, "{half");

    spool = await t.open();
    const names = (await Array.fromAsync(Deno.readDir(t.dir))).map((e) => e.name);
    assert.ok(!names.includes("checkpoint.json"), "checkpoint.json removed");
    assert.ok(!names.includes("checkpoint.json.tmp"), "its temporary file too");
    const log = await readCheckpointLog(t.dir);
    assert.equal(log.frames, 1);
    assert.deepEqual(log.last, legacy);
    assert.equal(spool.stats().pendingRecords, 2);
    const head = (await spool.claimRound(LIMITS, Infinity)).head!;
    assert.deepEqual([head.id, head.fresh, idsOf(head.records)], [
      "h-1-2:2",
      false,
      ["h-1-2", "h-1-3"],
    ]);
    await spool.close();

    // A damaged checkpoint.json behaves as before: counted, logged, everything resent.
    await Deno.remove(`${t.dir}/checkpoint.log`);
    await Deno.writeTextFile(`${t.dir}/checkpoint.json`, "{garbage");
    spool = await t.open();
    assert.equal(t.counters.get("spool_checkpoint_damaged_total"), 1);
    assert.equal(
      t.lines.find((l) => l.level === "error")!.msg,
      "spool: checkpoint damaged; every batch in the spool will be resent",
    );
    assert.equal(spool.stats().pendingRecords, 5, "records 0..4: everything in the segment");
    assert.ok(!(await Array.fromAsync(Deno.readDir(t.dir))).some((e) => e.name.endsWith(".json")));
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: the checkpoint log is compacted past its threshold and keeps the state", async () => {
  const threshold = 1024;
  const t = await spoolDir({ checkpointCompactBytes: threshold });
  try {
    let spool = await t.open();
    await withBacklog(spool, [1, 2, 3]);
    const merged = (await spool.claimRound(LIMITS, Infinity)).head!;
    assert.equal(merged.id, "h-1-1:3"); // stays in flight throughout
    let largest = 0;
    let compactions = 0;
    let frames = 0;
    for (let n = 4; n < 44; n++) {
      await spool.append(rec(n));
      const { live } = await spool.claimLive(0); // marked solo: a durable write
      await spool.complete(live!); // acknowledged: an appended write
      const log = await readCheckpointLog(t.dir);
      largest = Math.max(largest, log.bytes.length);
      if (log.frames < frames) compactions++;
      frames = log.frames;
    }
    assert.ok(compactions >= 5, `${compactions} compactions`);
    assert.ok(largest <= threshold, `the log stayed within ${threshold} bytes (${largest})`);
    await spool.close();
    spool = await t.open();
    assert.equal(spool.stats().pendingRecords, 3);
    const again = (await spool.claimRound(LIMITS, Infinity)).head!;
    assert.deepEqual([again.id, again.fresh], ["h-1-1:3", false]);
    await spool.complete(again);
    assert.equal(spool.hasPending, false, "none of the acknowledged live records is resent");
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: an acknowledgement in the steady state is appended only: no writeAtomic, no sync", async () => {
  const rfs = recordingFs();
  const t = await spoolDir({ fs: rfs.fs });
  try {
    const spool = await t.open();
    assert.ok(rfs.seen().includes("writeAtomic checkpoint.log"), "replaced at open");
    for (let n = 1; n <= 3; n++) {
      await spool.append(rec(n));
      const { live } = await spool.claimLive(0);
      rfs.reset();
      await spool.complete(live!);
      assert.deepEqual(rfs.seen(), ["write checkpoint.log"], `ack ${n}`);
    }
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: a claim is appended and fdatasync'ed before it resolves; a split too", async () => {
  const rfs = recordingFs();
  const t = await spoolDir({ fs: rfs.fs });
  try {
    const spool = await t.open();
    await withBacklog(spool, [1, 2, 3]);
    rfs.reset();
    const { head } = await spool.claimRound(LIMITS, Infinity);
    assert.equal(head!.id, "h-1-1:3");
    assert.deepEqual(rfs.seen(), ["write checkpoint.log", "sync checkpoint.log"]);
    rfs.reset();
    await spool.split(head!);
    assert.deepEqual(rfs.seen(), ["write checkpoint.log", "sync checkpoint.log"]);
    await spool.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test("spool: after a failed checkpoint write the log is replaced, never appended to", async () => {
  const rfs = recordingFs();
  const t = await spoolDir({ fs: rfs.fs });
  try {
    let spool = await t.open();
    await withBacklog(spool, [1, 2]);
    const first = (await spool.claimRound({ maxItems: 2, maxBytes: 1 << 20 }, Infinity)).head!;
    rfs.failWrite("checkpoint.log");
    await assert.rejects(spool.complete(first), /checkpoint\.log: injected: no space left/);
    rfs.reset();
    const { head } = await spool.claimRound(LIMITS, Infinity);
    assert.deepEqual(idsOf(head!.records), ["h-1-2"]);
    assert.ok(rfs.seen().includes("writeAtomic checkpoint.log"), "the half frame is replaced");
    assert.ok(!rfs.seen().includes("write checkpoint.log"));
    assert.equal((await readCheckpointLog(t.dir)).frames, 1);
    await spool.close();
    spool = await t.open();
    assert.equal(t.counters.get("spool_checkpoint_torn_total"), 0);
    assert.deepEqual(await drainAll(spool), [["h-1-2"]]);
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
    const before = await Deno.readFile(`${t.dir}/checkpoint.log`);
    const beforeIno = (await Deno.stat(`${t.dir}/checkpoint.log`)).ino;
    await spool.append(rec(1));
    const { head } = await spool.claimRound(LIMITS, Infinity);
    assert.deepEqual([head!.id, head!.merged, head!.fresh], ["h-1-1", false, false]);
    assert.equal((await Deno.stat(`${t.dir}/checkpoint.log`)).ino, beforeIno, "not replaced");
    assert.deepEqual(await Deno.readFile(`${t.dir}/checkpoint.log`), before, "nothing appended");
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
