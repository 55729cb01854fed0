/** The checkpoint log on its own: frames and their scan, open without a spool, compaction sizes. */
import assert from "node:assert/strict";
import { Counters } from "../../../agent/counters.ts";
import { type Checkpoint, encodeCheckpoint } from "../../../agent/spool/checkpoint.ts";
import {
  CheckpointLog,
  encodeCheckpointFrame,
  scanCheckpointLog,
} from "../../../agent/spool/checkpoint_log.ts";
import { SeqRanges } from "../../../agent/spool/seq_ranges.ts";
import { capturedLogger } from "../helpers.ts";
import { readCheckpointLog, recordingFs } from "./helpers.ts";

const cp = (ackedThrough: number, done: number[] = []): Checkpoint => ({
  ackedThrough,
  doneAhead: SeqRanges.ofSorted(done),
  solo: new SeqRanges(),
  merged: null,
});
const frameOf = (c: Checkpoint) => encodeCheckpointFrame(encodeCheckpoint(c));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), at += p.length);
  return out;
};

Deno.test("checkpoint log scan: a log cut at any byte keeps every whole frame before the cut", () => {
  const a = frameOf(cp(1));
  const b = frameOf(cp(2, [5]));
  const log = concat(a, b);
  const whole = scanCheckpointLog(log);
  assert.deepEqual([whole.frames, whole.goodBytes, whole.problem], [2, log.length, undefined]);
  assert.equal(JSON.parse(new TextDecoder().decode(whole.last!)).ackedThrough, 2);
  for (let cut = 0; cut < log.length; cut++) {
    const scan = scanCheckpointLog(log.subarray(0, cut));
    const frames = cut >= a.length ? 1 : 0;
    assert.equal(scan.frames, frames, `cut at ${cut}`);
    assert.equal(scan.goodBytes, frames ? a.length : 0, `cut at ${cut}`);
    assert.equal(scan.problem === undefined, cut === 0 || cut === a.length, `cut at ${cut}`);
  }
  for (let i = 0; i < b.length; i++) {
    const bad = log.slice();
    bad[a.length + i] ^= 0x10;
    const scan = scanCheckpointLog(bad);
    assert.equal(scan.frames, 1, `flipped byte ${i} of the second frame`);
    assert.ok(scan.problem, `flipped byte ${i}`);
  }
});

Deno.test("checkpoint log: opened alone it writes nothing; the first write replaces it with one frame", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cplog-test-" });
  const rfs = recordingFs();
  const { logger } = capturedLogger();
  const opts = { dir, fs: rfs.fs, logger, counters: new Counters() };
  try {
    let { log, checkpoint } = await CheckpointLog.open(opts);
    assert.equal(checkpoint.ackedThrough, 0);
    assert.ok(!rfs.seen().some((c) => /^(write|writeAtomic|openAppend) /.test(c)));
    await log.write(cp(3), false);
    await log.write(cp(4), false);
    log.close();
    await Deno.writeFile(`${dir}/checkpoint.log`, frameOf(cp(9)).subarray(0, 7), { append: true });
    ({ log, checkpoint } = await CheckpointLog.open(opts));
    assert.equal(checkpoint.ackedThrough, 4);
    rfs.reset();
    await log.write(cp(5), true);
    assert.deepEqual(rfs.seen().filter((c) => !c.startsWith("remove ")), [
      "writeAtomic checkpoint.log",
      "openAppend checkpoint.log",
    ]);
    assert.deepEqual((await readCheckpointLog(dir)).frames, 1);
    log.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpoint log: a checkpoint larger than the threshold still gets appends between compactions", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cplog-test-" });
  const rfs = recordingFs();
  const { logger } = capturedLogger();
  try {
    const { log } = await CheckpointLog.open({
      dir,
      fs: rfs.fs,
      logger,
      counters: new Counters(),
      compactAfterBytes: 256,
    });
    // Every other seq done: a checkpoint of about 1 KiB, four times the threshold.
    const big = cp(0, Array.from({ length: 100 }, (_, i) => 2 * i + 2));
    assert.ok(frameOf(big).length > 256);
    rfs.reset();
    // Replaced at the first write, then appended until four frames: C A A A C A A A.
    for (let i = 0; i < 8; i++) await log.write(big, false);
    const seen = rfs.seen().filter((c) => c.endsWith("checkpoint.log"));
    assert.equal(seen.filter((c) => c === "writeAtomic checkpoint.log").length, 2);
    assert.equal(seen.filter((c) => c === "write checkpoint.log").length, 6);
    assert.ok((await readCheckpointLog(dir)).bytes.length <= 4 * frameOf(big).length);
    log.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
