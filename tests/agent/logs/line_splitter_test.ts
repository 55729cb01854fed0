/** LineSplitter: lines and offsets across chunks, CRLF, the line limit on UTF-8 boundaries, partial flushes and cuts. */
import assert from "node:assert/strict";
import { LineSplitter, type RawLine } from "../../../agent/logs/line_splitter.ts";
import { completeUtf8Length, utf8Boundary } from "../../../agent/logs/utf8.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function feed(s: LineSplitter, ...chunks: string[]): RawLine[] {
  const out: RawLine[] = [];
  for (const c of chunks) s.push(enc.encode(c), out);
  return out;
}

const view = (lines: RawLine[]) =>
  lines.map((l) => ({
    offset: l.offset,
    end: l.end,
    text: dec.decode(l.bytes),
    truncated: l.truncated,
    complete: l.complete,
  }));

Deno.test("splitter: lines with byte offsets, across chunk boundaries", () => {
  const s = new LineSplitter(100, 10);
  const lines = feed(s, "ab\ncd", "e\n\nfg");
  assert.deepEqual(view(lines), [
    { offset: 10, end: 13, text: "ab", truncated: false, complete: true },
    { offset: 13, end: 17, text: "cde", truncated: false, complete: true },
    { offset: 17, end: 18, text: "", truncated: false, complete: true },
  ]);
  assert.equal(s.readEnd, 20);
  assert.equal(s.consumed, 18);
  assert.equal(s.pendingBytes, 2);
});

Deno.test("splitter: CRLF line ends lose their CR; a lone CR inside a line stays", () => {
  const s = new LineSplitter(100, 0);
  assert.deepEqual(view(feed(s, "a\r\nb\rc\r", "\n")).map((l) => l.text), ["a", "b\rc"]);
});

Deno.test("splitter: offsets count bytes, not characters", () => {
  const s = new LineSplitter(100, 0);
  const lines = feed(s, "é\n😀x\n");
  assert.deepEqual(view(lines).map((l) => [l.offset, l.end, l.text]), [[0, 3, "é"], [3, 9, "😀x"]]);
});

Deno.test("splitter: a line over the limit is cut on a UTF-8 boundary, flagged, and its rest skipped", () => {
  const s = new LineSplitter(10, 0);
  // 4 + 4 + 4 bytes of emoji: a cut at 10 would split the third one; it is cut at 8.
  const lines = feed(s, "😀😀", "😀tail", "more\nnext\n");
  const v = view(lines);
  assert.equal(v.length, 2);
  assert.deepEqual(v[0], { offset: 0, end: 12, text: "😀😀", truncated: true, complete: false });
  assert.equal(v[1].text, "next");
  assert.equal(v[1].offset, 21); // 3 emoji (12 bytes) + "tailmore\n" (9)
  assert.equal(s.consumed, 26);
});

Deno.test("splitter: a line of exactly the limit (and its CR) is not truncated", () => {
  const s = new LineSplitter(5, 0);
  const v = view(feed(s, "12345\r\n123456\n"));
  assert.deepEqual(v.map((l) => [l.text, l.truncated]), [["12345", false], ["12345", true]]);
});

Deno.test("splitter: the fast path and the carried path give the same result for a long line in one chunk", () => {
  const text = "x".repeat(30) + "\n" + "y".repeat(3) + "\n";
  const one = view(feed(new LineSplitter(10, 0), text));
  const split = view(feed(new LineSplitter(10, 0), ...text.split("")));
  assert.deepEqual(one, split);
  assert.deepEqual(one.map((l) => [l.text, l.truncated]), [["x".repeat(10), true], ["yyy", false]]);
});

Deno.test("splitter: flushPartial emits the held line, keeps an incomplete character, and returns the cut", () => {
  const s = new LineSplitter(100, 0);
  const bytes = enc.encode("abc😀");
  const out: RawLine[] = [];
  s.push(bytes.subarray(0, 5), out); // "abc" + 2 of the emoji's 4 bytes
  assert.equal(out.length, 0);
  const cut = s.flushPartial(out);
  assert.equal(cut, 3);
  assert.deepEqual(view(out), [{
    offset: 0,
    end: 3,
    text: "abc",
    truncated: false,
    complete: false,
  }]);
  s.push(bytes.subarray(5), out);
  s.push(enc.encode("!\n"), out);
  assert.deepEqual(view(out).at(-1), {
    offset: 3,
    end: 9,
    text: "😀!",
    truncated: false,
    complete: true,
  });
  assert.equal(s.flushPartial(out), null, "nothing held");
});

Deno.test("splitter: recorded cuts reproduce a flushed partial line when the bytes are read again", () => {
  // First reading: "abc" flushed by the timer, then "def\n" arrived.
  const first = new LineSplitter(100, 0);
  const out1: RawLine[] = [];
  first.push(enc.encode("abc"), out1);
  const cut = first.flushPartial(out1)!;
  first.push(enc.encode("def\nghi\n"), out1);
  // Re-reading everything at once with the cut gives the same lines.
  const again = new LineSplitter(100, 0);
  again.setCuts([cut]);
  const out2: RawLine[] = [];
  again.push(enc.encode("abcdef\nghi\n"), out2);
  assert.deepEqual(view(out2), view(out1));
  // Also when the re-read chunk ends exactly at the cut.
  const edge = new LineSplitter(100, 0);
  edge.setCuts([cut]);
  const out3: RawLine[] = [];
  edge.push(enc.encode("abc"), out3);
  edge.push(enc.encode("def\nghi\n"), out3);
  assert.deepEqual(view(out3), view(out1));
});

Deno.test("splitter: a cut on the newline position yields the same lines as the first reading", () => {
  const first = new LineSplitter(100, 0);
  const out1: RawLine[] = [];
  first.push(enc.encode("abc"), out1);
  const cut = first.flushPartial(out1)!;
  first.push(enc.encode("\nz\n"), out1);
  const again = new LineSplitter(100, 0);
  again.setCuts([cut]);
  const out2: RawLine[] = [];
  again.push(enc.encode("abc\nz\n"), out2);
  assert.deepEqual(view(out2), view(out1));
});

Deno.test("splitter: reset starts over at an offset", () => {
  const s = new LineSplitter(100, 0);
  feed(s, "abc");
  s.reset(0);
  assert.deepEqual(view(feed(s, "x\n")).map((l) => [l.offset, l.text]), [[0, "x"]]);
});

Deno.test("utf8: boundaries", () => {
  const e = enc.encode("aé😀");
  assert.equal(utf8Boundary(e, 10), 7);
  assert.equal(utf8Boundary(e, 6), 3);
  assert.equal(utf8Boundary(e, 3), 3);
  assert.equal(utf8Boundary(e, 2), 1);
  assert.equal(completeUtf8Length(e.subarray(0, 5)), 3);
  assert.equal(completeUtf8Length(e.subarray(0, 2)), 1);
  assert.equal(completeUtf8Length(e), 7);
  assert.equal(completeUtf8Length(enc.encode("abc")), 3);
});

Deno.test("splitter: a run of NUL bytes where a line starts is a hole, skipped across chunks; inside a line NULs stay", () => {
  const s = new LineSplitter(100, 0);
  const out: RawLine[] = [];
  s.push(new Uint8Array(5000), out); // a hole longer than a chunk
  s.push(new Uint8Array([0, 0, 0, 97, 0, 98, 10, 0, 99, 10]), out);
  assert.deepEqual(view(out).map((l) => [l.offset, l.end, l.text]), [
    [5003, 5007, "a\u0000b"],
    [5008, 5010, "c"],
  ]);
  assert.equal(s.consumed, 5010);
  // A hole after a partial line belongs to that line (it is not at a line start).
  const p = new LineSplitter(100, 0);
  assert.deepEqual(view(feed(p, "x", "\u0000\u0000y\n")).map((l) => l.text), ["x\u0000\u0000y"]);
});

Deno.test("splitter: skipTo jumps over a hole only at a line start and only forward", () => {
  const s = new LineSplitter(100, 0);
  assert.equal(s.skipTo(4096), true);
  assert.equal(s.consumed, 4096);
  assert.equal(s.skipTo(10), false);
  assert.deepEqual(view(feed(s, "ab")), []);
  assert.equal(s.skipTo(5000), false, "a partial line is held");
  assert.deepEqual(view(feed(s, "\n")).map((l) => [l.offset, l.text]), [[4096, "ab"]]);
});
