/**
 * Helpers for spool tests: records, a spool on a temporary directory, reopening it, a real
 * SpoolFs that records its calls, and the checkpoint log read back.
 */
import assert from "node:assert/strict";
import { Counters } from "../../../agent/counters.ts";
import { metricRecord } from "../../../agent/metric_records.ts";
import { CHECKPOINT_LOG, scanCheckpointLog } from "../../../agent/spool/checkpoint_log.ts";
import { denoSpoolFs } from "../../../agent/spool/deno_spool_fs.ts";
import type { NewRecord } from "../../../agent/spool/record_frame.ts";
import { Spool, type SpoolOptions } from "../../../agent/spool/spool.ts";
import type { AppendFile, SpoolFs } from "../../../agent/spool/spool_fs.ts";
import type { MetricBatch } from "../../../shared/metric.ts";
import { capturedLogger } from "../helpers.ts";

/** A metric batch `h-1-<n>` of `items` load1 samples at second n. */
export function batch(n: number, items = 2, host = "h"): MetricBatch {
  const time = new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString();
  return {
    id: `${host}-1-${n}`,
    host,
    metrics: Array.from({ length: items }, (_, i) => ({
      time,
      host,
      name: "system.load1" as const,
      value: n + i / 100,
      labels: { i: String(i) },
    })),
  };
}

/** `metricRecord(batch(n, items, host))`. */
export function rec(n: number, items = 2, host = "h"): NewRecord {
  return metricRecord(batch(n, items, host));
}

/** The batch ids inside a record payload list. */
export function idsOf(records: { payload: Uint8Array }[]): string[] {
  return records.map((r) => JSON.parse(new TextDecoder().decode(r.payload)).id);
}

/** A spool directory with helpers to open (and reopen) a spool on it. */
export async function spoolDir(opts: Partial<SpoolOptions> = {}) {
  const dir = await Deno.makeTempDir({ prefix: "spool-test-" });
  const counters = new Counters();
  const { logger, lines } = capturedLogger();
  const open = (more: Partial<SpoolOptions> = {}) =>
    Spool.open({
      dir,
      fs: denoSpoolFs(),
      maxBytes: 1024 * 1024,
      now: Date.now,
      logger,
      counters,
      ...opts,
      ...more,
    });
  const segments = async () =>
    (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).filter((n) => n.endsWith(".seg"))
      .sort();
  const cleanup = () => Deno.remove(dir, { recursive: true });
  return { dir, counters, lines, open, segments, cleanup };
}

/** Generous claim limits. */
export const LIMITS = { maxItems: 5000, maxBytes: 4 * 1024 * 1024 };

/** One call a `recordingFs` saw: the operation and the file's name (its last path part). */
export interface FsCall {
  op: string;
  name: string;
}

/**
 * The real SpoolFs, recording every call (`writeAtomic`, `syncDir`, …, and `write`/`sync`/
 * `close` on appended files) by file name. `failWrite(name)` makes the next append to that
 * file write half its data, then throw (a full disk mid-write); `failSync(name)` and
 * `failTruncate(name)` make the next sync of an appended file, or cut of a file, throw.
 */
export function recordingFs(inner: SpoolFs = denoSpoolFs()) {
  const calls: FsCall[] = [];
  const failing = new Set<string>();
  const failingSync = new Set<string>();
  const failingTruncate = new Set<string>();
  const base = (path: string) => path.slice(path.lastIndexOf("/") + 1);
  const note = (op: string, path: string) => calls.push({ op, name: base(path) });
  const fs: SpoolFs = {
    ensureDir: (p) => (note("ensureDir", p), inner.ensureDir(p)),
    list: (p) => (note("list", p), inner.list(p)),
    readFile: (p) => (note("readFile", p), inner.readFile(p)),
    readAt: (p, o, l) => (note("readAt", p), inner.readAt(p, o, l)),
    async openAppend(p): Promise<AppendFile> {
      note("openAppend", p);
      const file = await inner.openAppend(p);
      return {
        async write(data) {
          note("write", p);
          if (failing.delete(base(p))) {
            await file.write(data.subarray(0, data.length >> 1));
            throw new Error("injected: no space left on device");
          }
          return file.write(data);
        },
        sync: () => {
          note("sync", p);
          if (failingSync.delete(base(p))) {
            return Promise.reject(new Error("injected: fdatasync: input/output error"));
          }
          return file.sync();
        },
        close: () => (note("close", p), file.close()),
      };
    },
    writeAtomic: (p, d, o) => (note("writeAtomic", p), inner.writeAtomic(p, d, o)),
    truncate: (p, l) => {
      note("truncate", p);
      if (failingTruncate.delete(base(p))) {
        return Promise.reject(new Error("injected: ftruncate: input/output error"));
      }
      return inner.truncate(p, l);
    },
    syncFile: (p) => (note("syncFile", p), inner.syncFile(p)),
    remove: (p) => (note("remove", p), inner.remove(p)),
    syncDir: (p) => (note("syncDir", p), inner.syncDir(p)),
    size: (p) => (note("size", p), inner.size(p)),
    lockExclusive: (p, t) => (note("lockExclusive", p), inner.lockExclusive(p, t)),
  };
  return {
    fs,
    calls,
    /** The calls since the last `reset()`, as `op name` strings. */
    seen: () => calls.map((c) => `${c.op} ${c.name}`),
    reset: () => void calls.splice(0),
    failWrite: (name: string) => void failing.add(name),
    failSync: (name: string) => void failingSync.add(name),
    failTruncate: (name: string) => void failingTruncate.add(name),
  };
}

/** The checkpoint log of `dir`, which must hold no torn or damaged bytes, read back. */
export async function readCheckpointLog(dir: string) {
  const bytes = await Deno.readFile(`${dir}/${CHECKPOINT_LOG}`);
  const scan = scanCheckpointLog(bytes);
  assert.equal(scan.problem, undefined, "no torn or damaged tail");
  assert.ok(scan.last, "at least one frame");
  return {
    bytes,
    frames: scan.frames,
    /** The last checkpoint, as its JSON. */
    last: JSON.parse(new TextDecoder().decode(scan.last)),
  };
}
