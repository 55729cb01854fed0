/**
 * The spool's deferred fdatasync (agent/spool/spool.ts, "the fsync policy"): which calls
 * sync, and what a machine crash (power loss, kernel panic) can take, simulated by cutting
 * every file back to what its last sync made durable.
 */
import assert from "node:assert/strict";
import type { AppendSync, Spool } from "../../../agent/spool/spool.ts";
import type { AppendFile, SpoolFs } from "../../../agent/spool/spool_fs.ts";
import { denoSpoolFs } from "../../../agent/spool/deno_spool_fs.ts";
import { idsOf, LIMITS, rec, recordingFs, spoolDir } from "./helpers.ts";

/** The segment syncs among the calls a recordingFs saw. */
const segmentSyncs = (seen: string[]) =>
  seen.filter((c) => c.startsWith("sync ") && c.endsWith(".seg"));

/** Sends the newest record alone and acknowledges it: the steady state. */
async function deliverLive(spool: Spool): Promise<void> {
  const { live } = await spool.claimLive(0);
  assert.ok(live, "a live record to send");
  await spool.complete(live);
}

/** The batch ids of every pending record, oldest first, delivered as the delivery loop would. */
async function pendingIds(spool: Spool): Promise<string[]> {
  const ids: string[] = [];
  while (spool.hasPending) {
    const { head } = await spool.claimRound(LIMITS, Infinity);
    ids.push(...idsOf(head!.records));
    await spool.complete(head!);
  }
  return ids;
}

async function withSpool(
  appendSync: AppendSync | undefined,
  fn: (spool: Spool, rfs: ReturnType<typeof recordingFs>) => Promise<void>,
  more: { segmentBytes?: number } = {},
): Promise<void> {
  const rfs = recordingFs();
  const t = await spoolDir({ fs: rfs.fs, ...(appendSync ? { appendSync } : {}), ...more });
  try {
    const spool = await t.open();
    rfs.reset();
    await fn(spool, rfs);
  } finally {
    await t.cleanup();
  }
}

Deno.test("append sync (deferred): the steady state, each batch acknowledged after its append, never fdatasyncs a segment", async () => {
  await withSpool(undefined, async (spool, rfs) => {
    for (let n = 1; n <= 5; n++) {
      await spool.append(rec(n));
      await deliverLive(spool);
    }
    assert.deepEqual(segmentSyncs(rfs.seen()), []);
    assert.equal(rfs.seen().filter((c) => c.startsWith("write ")).length, 10, "5 frames, 5 acks");
    await spool.close();
    assert.deepEqual(segmentSyncs(rfs.seen()), [], "nothing pending at close: no sync either");
  });
});

Deno.test("append sync (deferred): an append while another batch waits is synced before it resolves", async () => {
  await withSpool(undefined, async (spool, rfs) => {
    await spool.append(rec(1));
    assert.deepEqual(rfs.seen().slice(-1), ["write 00000000000000000001.seg"], "alone: not synced");
    rfs.reset();
    await spool.append(rec(2));
    assert.deepEqual(rfs.seen(), [
      "write 00000000000000000001.seg",
      "sync 00000000000000000001.seg",
    ]);
    await spool.close();
  });
});

Deno.test("append sync (deferred): syncPending syncs an unsynced pending batch once, and nothing otherwise", async () => {
  await withSpool(undefined, async (spool, rfs) => {
    await spool.syncPending();
    assert.deepEqual(rfs.seen(), [], "empty spool");
    await spool.append(rec(1));
    rfs.reset();
    await spool.syncPending();
    await spool.syncPending();
    assert.deepEqual(rfs.seen(), ["sync 00000000000000000001.seg"]);
    await deliverLive(spool);
    await spool.append(rec(2));
    await deliverLive(spool);
    rfs.reset();
    await spool.syncPending();
    assert.deepEqual(rfs.seen(), [], "unsynced frames, but all acknowledged");
    await spool.close();
  });
});

Deno.test("append sync (deferred): a full segment is synced before it is closed; close syncs what waits", async () => {
  await withSpool(undefined, async (spool, rfs) => {
    for (let n = 1; n <= 3; n++) {
      await spool.append(rec(n));
      await deliverLive(spool);
    }
    rfs.reset();
    // The segment holds about 3 frames: this append starts the next one.
    await spool.append(rec(4));
    const seen = rfs.seen();
    const sync = seen.indexOf("sync 00000000000000000001.seg");
    const close = seen.indexOf("close 00000000000000000001.seg");
    assert.ok(sync >= 0 && sync < close, `synced, then closed: ${seen.join(", ")}`);
    assert.ok(seen.includes("write 00000000000000000004.seg"), seen.join(", "));
    rfs.reset();
    await spool.close();
    assert.deepEqual(segmentSyncs(rfs.seen()), ["sync 00000000000000000004.seg"], "4 waits");
  }, { segmentBytes: 3 * (rec(1).payload.length + 80) });
});

Deno.test('append sync: "always" syncs every append, "never" none (benchmark references)', async () => {
  await withSpool("always", async (spool, rfs) => {
    for (let n = 1; n <= 3; n++) {
      await spool.append(rec(n));
      await deliverLive(spool);
    }
    assert.equal(segmentSyncs(rfs.seen()).length, 3);
    await spool.close();
  });
  await withSpool("never", async (spool, rfs) => {
    for (let n = 1; n <= 3; n++) await spool.append(rec(n));
    await spool.syncPending();
    await spool.close();
    assert.equal(segmentSyncs(rfs.seen()).length, 0);
  });
});

// ------------------------------------------------------------ a simulated machine crash

/**
 * The real SpoolFs, remembering how much of each file the last sync made durable
 * (`writeAtomic` and `truncate` sync; an opened file's existing bytes count as durable).
 * `crash()` freezes that record (later syncs, e.g. by `close()`, no longer count);
 * `applyCrash()` then cuts each file back to it, as a power loss that lost every unsynced
 * page would, and returns the files it cut.
 */
function crashFs(inner: SpoolFs = denoSpoolFs()) {
  const durable = new Map<string, number>();
  let frozen = false;
  const mark = (path: string, size: number) => {
    if (!frozen) durable.set(path, size);
  };
  const fs: SpoolFs = {
    ...inner,
    async openAppend(path): Promise<AppendFile> {
      const file = await inner.openAppend(path);
      let size = await inner.size(path);
      mark(path, size);
      return {
        async write(data) {
          await file.write(data);
          size += data.length;
        },
        async sync() {
          await file.sync();
          mark(path, size);
        },
        close: () => file.close(),
      };
    },
    async writeAtomic(path, data, opts) {
      await inner.writeAtomic(path, data, opts);
      mark(path, data.length);
    },
    async truncate(path, length) {
      await inner.truncate(path, length);
      mark(path, length);
    },
  };
  return {
    fs,
    crash: () => void (frozen = true),
    async applyCrash(keep: (path: string) => boolean = () => false): Promise<string[]> {
      const cut: string[] = [];
      for (const [path, size] of durable) {
        if (keep(path)) continue;
        const stat = await Deno.stat(path).catch(() => null);
        if (stat && stat.size > size) {
          await Deno.truncate(path, size);
          cut.push(path.slice(path.lastIndexOf("/") + 1));
        }
      }
      return cut.sort();
    },
  };
}

Deno.test("machine crash during an outage: every batch that waited survives", async () => {
  const cfs = crashFs();
  const t = await spoolDir({ fs: cfs.fs });
  try {
    const spool = await t.open();
    // Healthy for a while: appended, sent, acknowledged, never synced.
    for (let n = 1; n <= 3; n++) {
      await spool.append(rec(n));
      await deliverLive(spool);
    }
    // The server goes away: batch 4's request fails (the delivery loop then syncs), and
    // batches 5 and 6 are appended while 4 waits.
    await spool.append(rec(4));
    const { live } = await spool.claimLive(0);
    await spool.syncPending();
    await spool.release(live!);
    await spool.append(rec(5));
    await spool.append(rec(6));
    cfs.crash();
    await spool.close();
    await cfs.applyCrash();
    const reopened = await t.open();
    // 4–6 waited, so they are there; 1–3 too, since acknowledgements are never synced: they
    // are resent under their own ids, which the server de-duplicates.
    assert.deepEqual(await pendingIds(reopened), [
      "h-1-1",
      "h-1-2",
      "h-1-3",
      "h-1-4",
      "h-1-5",
      "h-1-6",
    ]);
    await reopened.close();
  } finally {
    await t.cleanup();
  }
});

Deno.test('machine crash in the steady state: only the batch in flight can be lost ("always" keeps it)', async () => {
  for (const appendSync of ["deferred", "always"] as const) {
    const cfs = crashFs();
    const t = await spoolDir({ fs: cfs.fs, appendSync });
    try {
      const spool = await t.open();
      for (let n = 1; n <= 3; n++) {
        await spool.append(rec(n));
        await deliverLive(spool);
      }
      await spool.append(rec(4)); // its request is in flight when the machine dies
      cfs.crash();
      await spool.close();
      const cut = await cfs.applyCrash();
      const reopened = await t.open();
      if (appendSync === "deferred") {
        assert.deepEqual(cut, ["00000000000000000001.seg", "checkpoint.log"]);
        assert.equal(reopened.stats().pendingRecords, 0, "batch 4 was in flight, unsynced");
      } else {
        // Acknowledgements are never synced: 1–3 are resent (the server de-duplicates), and 4.
        assert.deepEqual(cut, ["checkpoint.log"]);
        assert.deepEqual(await pendingIds(reopened), ["h-1-1", "h-1-2", "h-1-3", "h-1-4"]);
      }
      await reopened.close();
    } finally {
      await t.cleanup();
    }
  }
});

Deno.test("machine crash with the checkpoint on disk ahead of the frames: new batches are not taken for acknowledged", async () => {
  const cfs = crashFs();
  const t = await spoolDir({ fs: cfs.fs });
  try {
    const spool = await t.open();
    for (let n = 1; n <= 3; n++) {
      await spool.append(rec(n));
      await deliverLive(spool);
    }
    cfs.crash();
    await spool.close();
    // The kernel happened to write checkpoint.log back, not the segment.
    const cut = await cfs.applyCrash((path) => path.endsWith("checkpoint.log"));
    assert.deepEqual(cut, ["00000000000000000001.seg"]);
    const reopened = await t.open();
    assert.equal(reopened.stats().pendingRecords, 0);
    await reopened.append(rec(7));
    const { live } = await reopened.claimLive(0);
    assert.deepEqual(idsOf(live!.records), ["h-1-7"], "seq counted past the acknowledged 3");
    await reopened.close();
  } finally {
    await t.cleanup();
  }
});
