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
 * The real SpoolFs (or `inner`), remembering how much of each file the last sync made
 * durable (`writeAtomic`, `truncate` and `syncFile` sync; an opened file's existing bytes
 * count as durable only once synced). `crash()` freezes that record (later syncs, e.g. by
 * `close()`, no longer count) and `thaw()` lets syncs count again (a `kill -9` and a
 * restart: the page cache kept everything, the disk only what was synced). `applyCrash()`
 * then cuts each file back to its durable size, as a power loss that lost every unsynced
 * page would, and returns the names of the files it cut.
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
      const existed = await Deno.stat(path).then(() => true, () => false);
      const file = await inner.openAppend(path);
      let size = await inner.size(path);
      if (!existed) mark(path, 0);
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
    async syncFile(path) {
      await inner.syncFile(path);
      const stat = await Deno.stat(path).catch(() => null);
      if (stat) mark(path, stat.size);
    },
  };
  return {
    fs,
    crash: () => void (frozen = true),
    thaw: () => void (frozen = false),
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

/**
 * Runs `fn` on a spool on a crashFs (over `inner`, default the real fs), after `healthy`
 * batches appended, sent and acknowledged, unsynced (default 3); removes the directory after.
 */
async function withCrashRig(
  fn: (rig: CrashRig) => Promise<void>,
  opts: { appendSync?: AppendSync; inner?: SpoolFs; healthy?: number } = {},
): Promise<void> {
  const cfs = crashFs(opts.inner);
  const t = await spoolDir({
    fs: cfs.fs,
    ...(opts.appendSync ? { appendSync: opts.appendSync } : {}),
  });
  try {
    const spool = await t.open();
    for (let n = 1; n <= (opts.healthy ?? 3); n++) {
      await spool.append(rec(n));
      await deliverLive(spool);
    }
    await fn({
      spool,
      async powerLoss(keep, which = spool) {
        cfs.crash();
        await which.close();
        return await cfs.applyCrash(keep);
      },
      async killAndRestart() {
        cfs.crash(); // the page cache keeps everything: close() below syncs nothing real
        await spool.close();
        cfs.thaw();
        return await t.open();
      },
      async reopenedIds() {
        const reopened = await t.open();
        try {
          return await pendingIds(reopened);
        } finally {
          await reopened.close();
        }
      },
      open: t.open,
    });
  } finally {
    await t.cleanup();
  }
}

interface CrashRig {
  spool: Spool;
  /**
   * The machine dies now: `which` (default `spool`) closes without its syncs counting, and
   * the files are cut back; returns the names of those cut.
   */
  powerLoss(keep?: (path: string) => boolean, which?: Spool): Promise<string[]>;
  /** `kill -9` of the agent holding `spool` and a restart: the spool reopened. */
  killAndRestart(): Promise<Spool>;
  /** The batch ids pending after a reopen, delivered as the delivery loop would. */
  reopenedIds(): Promise<string[]>;
  open(): Promise<Spool>;
}

Deno.test("machine crash right after a failed request: the batch that now waits survives", async () => {
  await withCrashRig(async ({ spool, powerLoss, reopenedIds }) => {
    await spool.append(rec(4));
    const { live } = await spool.claimLive(0);
    await spool.syncPending(); // what the delivery loop does when the request fails
    await spool.release(live!);
    await powerLoss();
    // 4 waited, so it is there; 1–3 too, since acknowledgements are never synced: they are
    // resent under their own ids, which the server de-duplicates.
    assert.deepEqual(await reopenedIds(), ["h-1-1", "h-1-2", "h-1-3", "h-1-4"]);
  });
});

Deno.test("machine crash during an outage: batches appended while others wait survive", async () => {
  await withCrashRig(async ({ spool, powerLoss, reopenedIds }) => {
    await spool.append(rec(4)); // its request is in flight: unsynced
    await spool.append(rec(5)); // appended while 4 waits: synced, 4 with it
    await spool.append(rec(6));
    await powerLoss();
    assert.deepEqual(await reopenedIds(), ["h-1-1", "h-1-2", "h-1-3", "h-1-4", "h-1-5", "h-1-6"]);
  });
});

Deno.test('machine crash in the steady state: only the batch in flight can be lost ("always" keeps it)', async () => {
  for (const appendSync of ["deferred", "always"] as const) {
    await withCrashRig(async ({ spool, powerLoss, reopenedIds }) => {
      await spool.append(rec(4)); // its request is in flight when the machine dies
      const cut = await powerLoss();
      if (appendSync === "deferred") {
        assert.deepEqual(cut, ["00000000000000000001.seg", "checkpoint.log"]);
        assert.deepEqual(await reopenedIds(), [], "batch 4 was in flight, unsynced");
      } else {
        // Acknowledgements are never synced: 1–3 are resent (the server de-duplicates), and 4.
        assert.deepEqual(cut, ["checkpoint.log"]);
        assert.deepEqual(await reopenedIds(), ["h-1-1", "h-1-2", "h-1-3", "h-1-4"]);
      }
    }, { appendSync });
  }
});

Deno.test("kill -9, restart while the server is away, then a machine crash: the batch from before the kill survives", async () => {
  await withCrashRig(async ({ spool, killAndRestart, powerLoss, reopenedIds }) => {
    await spool.append(rec(4)); // in flight, unsynced, when the agent is killed
    const restarted = await killAndRestart(); // finds 4 pending: syncs its segment
    await restarted.append(rec(5)); // a new segment, synced since 4 waits
    const cut = await powerLoss(undefined, restarted);
    assert.ok(!cut.includes("00000000000000000001.seg"), `cut: ${cut.join(", ")}`);
    const ids = await reopenedIds();
    assert.deepEqual(ids.filter((id) => id === "h-1-4" || id === "h-1-5"), ["h-1-4", "h-1-5"]);
  });
});

Deno.test("machine crash with the checkpoint on disk ahead of the frames: new batches are not taken for acknowledged", async () => {
  await withCrashRig(async ({ powerLoss, open, reopenedIds }) => {
    // The kernel happened to write checkpoint.log back, not the segment.
    const cut = await powerLoss((path) => path.endsWith("checkpoint.log"));
    assert.deepEqual(cut, ["00000000000000000001.seg"]);
    const reopened = await open();
    assert.equal(reopened.stats().pendingRecords, 0);
    assert.deepEqual(await reopened.append(rec(7)), { seq: 4 }, "counted past the acknowledged 3");
    await reopened.close();
    assert.deepEqual(await reopenedIds(), ["h-1-7"]);
  });
});

Deno.test("a failed fdatasync on append: the record is refused, the one before stays durable (the cut syncs, or a later sync does)", async () => {
  for (const cutFails of [false, true]) {
    const rfs = recordingFs();
    await withCrashRig(async ({ spool, powerLoss, reopenedIds }) => {
      await spool.append(rec(1)); // alone: unsynced
      rfs.failSync("00000000000000000001.seg");
      if (cutFails) rfs.failTruncate("00000000000000000001.seg");
      await assert.rejects(
        spool.append(rec(2)),
        /spool: appending batch h-1-2: injected: fdatasync/,
      );
      rfs.reset();
      await spool.syncPending();
      assert.deepEqual(
        rfs.seen(),
        cutFails ? ["syncFile 00000000000000000001.seg"] : [],
        "a segment whose cut failed is synced when next asked",
      );
      await powerLoss();
      const ids = await reopenedIds();
      assert.equal(ids[0], "h-1-1", `batch 1 survives (cut ${cutFails ? "failed" : "worked"})`);
      assert.equal(
        ids.includes("h-1-2"),
        cutFails,
        "batch 2 only where its frame could not be cut",
      );
    }, { inner: rfs.fs, healthy: 0 });
  }
});
