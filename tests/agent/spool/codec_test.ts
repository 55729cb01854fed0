/** The spool's building blocks: CRC-32, record frames, sequence ranges, the checkpoint. */
import assert from "node:assert/strict";
import { decodeCheckpoint, encodeCheckpoint } from "../../../agent/spool/checkpoint.ts";
import { crc32 } from "../../../agent/spool/crc32.ts";
import { encodeFrame, scanFrames, type SpoolRecord } from "../../../agent/spool/record_frame.ts";
import { SeqRanges } from "../../../agent/spool/seq_ranges.ts";

const te = new TextEncoder();

Deno.test("crc32: the standard check value and the empty input", () => {
  assert.equal(crc32(te.encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array()), 0);
});

function record(seq: number, payload = `{"n":${seq}}`): SpoolRecord {
  return {
    seq,
    kind: seq % 2 ? "metrics" : "logs",
    host: "hôst-1",
    id: `h-1-${seq}`,
    items: seq * 3,
    appendedAtMs: 1_700_000_000_123 + seq,
    payload: te.encode(payload),
    solo: seq % 3 === 0,
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

Deno.test("frames: round trip of every field", () => {
  const frames = [1, 2, 3].map((s) => encodeFrame(record(s)));
  const scan = scanFrames(concat(frames));
  assert.equal(scan.problem, undefined);
  assert.equal(scan.goodBytes, frames.reduce((n, f) => n + f.length, 0));
  for (const [i, f] of scan.frames.entries()) {
    const want = record(i + 1);
    assert.deepEqual({ ...f.record, payload: [...f.record.payload] }, {
      ...want,
      payload: [...want.payload],
    });
  }
  assert.deepEqual(scan.frames.map((f) => f.offset), [0, frames[0].length, frames[0].length * 2]);
});

Deno.test("frames: a record cut at any byte is detected and the good ones before it kept", () => {
  const good = concat([encodeFrame(record(1)), encodeFrame(record(2))]);
  const last = encodeFrame(record(3, "x".repeat(40)));
  for (let cut = 1; cut < last.length; cut++) {
    const scan = scanFrames(concat([good, last.subarray(0, cut)]));
    assert.equal(scan.frames.length, 2, `cut at ${cut}`);
    assert.equal(scan.goodBytes, good.length);
    assert.ok(scan.problem, `cut at ${cut} reported`);
  }
});

Deno.test("frames: a flipped bit anywhere in a frame is detected", () => {
  const frame = encodeFrame(record(1, "payload"));
  for (let i = 0; i < frame.length; i++) {
    const bad = frame.slice();
    bad[i] ^= 0x10;
    const scan = scanFrames(bad);
    assert.equal(scan.frames.length, 0, `byte ${i}`);
    assert.ok(scan.problem);
  }
});

Deno.test("frames: seqs must increase; zeros (a preallocated tail) are not a record", () => {
  const scan = scanFrames(concat([encodeFrame(record(5)), encodeFrame(record(4))]));
  assert.equal(scan.frames.length, 1);
  assert.match(scan.problem!, /seq 4 not above 5/);
  const zeros = scanFrames(concat([encodeFrame(record(1)), new Uint8Array(64)]));
  assert.equal(zeros.frames.length, 1);
  assert.equal(zeros.problem, "bad magic");
});

Deno.test("SeqRanges: add merges, delete splits, ofSorted and from build ranges", () => {
  const s = new SeqRanges();
  for (const q of [5, 3, 4, 9, 7, 8]) s.add(q);
  assert.deepEqual(s.toJSON(), [[3, 5], [7, 9]]);
  s.add(6);
  assert.deepEqual(s.toJSON(), [[3, 9]]);
  s.delete(5);
  s.delete(3);
  s.delete(9);
  assert.deepEqual(s.toJSON(), [[4, 4], [6, 8]]);
  assert.equal(s.size, 4);
  assert.ok(s.has(7) && !s.has(5) && !s.has(100));
  assert.deepEqual(SeqRanges.ofSorted([1, 2, 3, 7, 9, 10]).toJSON(), [[1, 3], [7, 7], [9, 10]]);
  assert.deepEqual(SeqRanges.from([[10, 12], [1, 2], [3, 4], [11, 20]]).toJSON(), [[1, 4], [
    10,
    20,
  ]]);
});

Deno.test("checkpoint: round trip, and a damaged one is refused with the field named", () => {
  const cp = {
    ackedThrough: 41,
    doneAhead: SeqRanges.ofSorted([57]),
    solo: SeqRanges.ofSorted([42, 43]),
    merged: { from: 44, to: 50, id: "h-1-44:7" },
  };
  const back = decodeCheckpoint(encodeCheckpoint(cp));
  assert.equal(back.ackedThrough, 41);
  assert.deepEqual(back.doneAhead.toJSON(), [[57, 57]]);
  assert.deepEqual(back.solo.toJSON(), [[42, 43]]);
  assert.deepEqual(back.merged, cp.merged);
  const bad = (text: string) => () => decodeCheckpoint(te.encode(text));
  assert.throws(bad("{"), SyntaxError);
  assert.throws(bad('{"version":2}'), /unknown version 2/);
  assert.throws(
    bad('{"version":1,"ackedThrough":-1,"doneAhead":[],"solo":[]}'),
    /ackedThrough must be/,
  );
  assert.throws(
    bad('{"version":1,"ackedThrough":1,"doneAhead":[[3,2]],"solo":[]}'),
    /doneAhead\[0\]/,
  );
  assert.throws(
    bad('{"version":1,"ackedThrough":1,"doneAhead":[],"solo":[],"merged":{"from":1}}'),
    /merged must be/,
  );
});
