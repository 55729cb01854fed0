/**
 * The tailer on real files in a temporary directory, driven by the real LogSource loop and the
 * real Deno.watchFs: append, rename rotation, copytruncate (under writers that append and ones
 * that do not, running and while the agent is stopped), delete and recreate, a file that
 * appears later, a burst of 10,000 lines while the reader is held busy, partial lines, long
 * lines with multi-byte characters, continuation lines.
 *
 * The copytruncate window (bytes written after logrotate's copy, before its truncate) is made
 * with synchronous calls: the tailer runs on this thread, so it cannot look in between.
 */
import assert from "node:assert/strict";
import { denoLogFs } from "../../../agent/logs/log_fs.ts";
import { LogTailer } from "../../../agent/logs/tailer.ts";
import { sleep } from "../../../agent/sleep.ts";
import { append, expected, keys, lines, TailHarness, type TailOptions } from "./tail_harness.ts";

const enc = new TextEncoder();

/** A writer holding the file open: appending (O_APPEND), or writing at its own offset. */
function openWriter(path: string, mode: "append" | "offset") {
  const f = Deno.openSync(
    path,
    mode === "append" ? { append: true, create: true } : {
      write: true,
      create: true,
    },
  );
  return {
    write(text: string): number {
      const data = enc.encode(text);
      let done = 0;
      while (done < data.length) done += f.writeSync(data.subarray(done));
      return data.length;
    },
    close: () => f.close(),
  };
}

const lostBytes = (h: TailHarness) =>
  h.counters.get("log_bytes_lost_total", { reason: "truncated" });

function assertNoHoleText(h: TailHarness): void {
  const bad = h.messages().filter((m) => m.includes("\uFFFD") || m.includes("\u0000"));
  assert.deepEqual(bad, [], "NUL bytes shipped as text");
}

/** Runs `fn` with a harness, always cleaned up. */
function tailTest(name: string, fn: (h: TailHarness) => Promise<void>): void {
  Deno.test({
    name: `tailer: ${name}`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const h = await TailHarness.create();
      try {
        await fn(h);
      } finally {
        await h.cleanup();
      }
    },
  });
}

function assertOnce(h: TailHarness): void {
  const k = keys(h.entries);
  assert.equal(new Set(k).size, k.length, "an entry was delivered twice");
}

/**
 * Writes lines `prefix`-0 … `prefix`-(n-1) to app.log, starts the tailer (with `o`) and waits
 * until it read them; returns the file's path.
 */
async function tailLines(
  h: TailHarness,
  prefix: string,
  n: number,
  o?: TailOptions,
): Promise<string> {
  const path = h.path("app.log");
  await append(path, lines(prefix, 0, n));
  await h.start(o);
  await h.untilCount(n);
  return path;
}

/** Stops the tailer and forgets the entries it delivered so far. */
async function stopAndForget(h: TailHarness): Promise<void> {
  await h.stop();
  h.entries.length = 0;
}

/** Keeps this thread busy for `ms`: no event is handled meanwhile. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* this thread is busy: no event is handled */ }
}

/**
 * Polls `tailer` by hand, adding the messages to `got`, until it holds `n` (the last one
 * waits for continuation lines a while) or 5 s passed.
 */
async function pollUntil(tailer: LogTailer, got: string[], n: number): Promise<void> {
  const end = Date.now() + 5000;
  while (got.length < n && Date.now() < end) {
    got.push(...(await tailer.poll()).entries.map((e) => e.entry.message));
    await sleep(50);
  }
}

/** What `withPolledTailer` gives its test. */
interface PolledTailer {
  path: string;
  w: ReturnType<typeof openWriter>;
  got: string[];
  pollUntil: (n: number) => Promise<void>;
}

/**
 * Runs `fn` with a writer holding app.log open and a tailer that watches it but is polled by
 * hand (between polls only the watch events' looks at the size happen); both closed after.
 */
async function withPolledTailer(
  h: TailHarness,
  mode: "append" | "offset",
  fn: (t: PolledTailer) => Promise<void>,
): Promise<void> {
  const path = h.path("app.log");
  const w = openWriter(path, mode);
  const tailer = await LogTailer.open(h.tailerOptions());
  const got: string[] = [];
  try {
    tailer.startWatching();
    await fn({ path, w, got, pollUntil: (n) => pollUntil(tailer, got, n) });
  } finally {
    await tailer.close();
    w.close();
  }
}

/**
 * Copytruncate while the agent is stopped: 50 lines of app.log are read, the agent stops;
 * the writer adds 10 lines (unread: in the copy), logrotate copies, the writer adds 5 lines
 * (in no file), logrotate truncates, the writer adds 10; the agent starts again and reads
 * the 20 entries (then a while longer). Returns the bytes of the 5 lines in no file.
 */
async function copytruncateWhileStopped(
  h: TailHarness,
  mode: "append" | "offset",
): Promise<number> {
  const path = h.path("app.log");
  const w = openWriter(path, mode);
  try {
    w.write(lines("a", 0, 50));
    await h.start();
    await h.untilCount(50);
    await stopAndForget(h);
    w.write(lines("a", 50, 60));
    Deno.copyFileSync(path, h.path("app.log.1"));
    const lost = w.write(lines("lost", 0, 5));
    Deno.truncateSync(path, 0);
    w.write(lines("c", 0, 10));
    await h.start();
    await h.untilCount(20);
    await sleep(300);
    return lost;
  } finally {
    w.close();
  }
}

tailTest("append: every line once, in order, with offsets and the path as source", async (h) => {
  await append(h.path("app.log"), lines("a", 0, 3));
  await h.start();
  await h.untilCount(3);
  await append(h.path("app.log"), lines("a", 3, 10));
  await h.untilCount(10);
  assert.deepEqual(h.messages(), expected("a", 0, 10));
  assert.deepEqual(h.entries.slice(0, 3).map((e) => e.offset), [0, 4, 8]);
  assert.ok(h.entries.every((e) => e.source === h.path("app.log") && e.host === "test-host"));
  assert.equal(new Set(h.entries.map((e) => e.file)).size, 1);
  assertOnce(h);
});

tailTest(
  "LOG_START_AT=end: at the very first start existing lines are skipped (from the last newline)",
  async (h) => {
    await append(h.path("app.log"), "old-1\nold-2\npart");
    await h.start({ startAt: "end" });
    await append(h.path("app.log"), "ial\nnew-1\n");
    await h.untilCount(2);
    assert.deepEqual(h.messages(), ["partial", "new-1"]);
  },
);

tailTest(
  "a file that appears later is read from its start (even at a first start with LOG_START_AT=end)",
  async (h) => {
    await h.start({ startAt: "end" });
    await sleep(300);
    await append(h.path("late.log"), lines("late", 0, 5));
    await h.untilCount(5);
    assert.deepEqual(h.messages(), expected("late", 0, 5));
  },
);

tailTest("a directory that appears later is watched once it exists", async (h) => {
  await h.start({ patterns: [`${h.dir}/sub/*.log`] });
  await sleep(300);
  await Deno.mkdir(`${h.dir}/sub`);
  await append(`${h.dir}/sub/x.log`, lines("x", 0, 3));
  await h.untilCount(3);
  assert.deepEqual(h.messages(), expected("x", 0, 3));
});

tailTest(
  "rename rotation: the renamed file is read to its end, the new one from its first byte",
  async (h) => {
    const path = await tailLines(h, "r", 100);
    // The writer keeps its handle across the rename for a while, as applications do.
    const old = await Deno.open(path, { append: true });
    await Deno.rename(path, h.path("app.log.1"));
    await old.write(enc.encode(lines("r", 100, 150)));
    await append(path, lines("r", 150, 200)); // the new file
    await old.write(enc.encode(lines("r", 200, 210))); // late writes to the old one
    old.close();
    await h.untilCount(210);
    const got = h.messages();
    assert.deepEqual([...got].sort(), [...expected("r", 0, 210)].sort());
    assertOnce(h);
    assert.equal(new Set(h.entries.map((e) => e.file)).size, 2, "two files, two ids");
    assert.ok(h.entries.every((e) => e.source === path), "the source stays the configured path");
    // The renamed file is let go once idle (it is not matched by *.log).
    await h.until(() => h.logLines.some((l) => String(l.msg).includes("let go")), "let go", 5000);
  },
);

tailTest(
  "copytruncate: the copy supplies what was not read yet; then the file is read again from its start",
  async (h) => {
    // A small read budget: a poll reads only part of what it sees, leaving unread bytes.
    const path = await tailLines(h, "c", 20, { readBudgetBytes: 64 });
    h.hold(); // reader busy: lines pile up unread
    await append(path, lines("c", 20, 60));
    await sleep(100);
    await Deno.copyFile(path, h.path("app.log.1"));
    await Deno.truncate(path, 0);
    await append(path, lines("c", 60, 80));
    h.release();
    await h.untilCount(80);
    assert.deepEqual([...h.messages()].sort(), [...expected("c", 0, 80)].sort());
    assertOnce(h);
    assert.equal(lostBytes(h), 0);
    assert.equal(h.counters.get("log_truncations_total"), 1);
  },
);

tailTest(
  "copytruncate without a copy: bytes seen but not read are counted as lost, never silently",
  async (h) => {
    const path = await tailLines(h, "t", 10, { readBudgetBytes: 16 });
    h.hold();
    await append(path, lines("t", 10, 1000)); // ~7.9 KB: a poll sees it all, reads 16 bytes
    await sleep(400);
    await Deno.truncate(path, 0);
    await append(path, lines("after", 0, 5));
    h.release();
    await h.until(() => h.messages().includes("after-4"), "after-4");
    const lost = lostBytes(h);
    assert.ok(lost > 0, "lost bytes are counted");
    const got = new Set(h.messages());
    const missing = expected("t", 0, 1000).filter((m) => !got.has(m));
    const missingBytes = missing.reduce((n, m) => n + m.length + 1, 0);
    // Every line not delivered is accounted for in bytes (give or take the line being read).
    assert.ok(
      Math.abs(lost - missingBytes) <= 8,
      `lost ${lost} bytes, ${missingBytes} undelivered`,
    );
    assert.ok(
      h.logLines.some((l) =>
        l.msg === "logs: file truncated (copytruncate); reading it again from its start" &&
        (l.lost_bytes as number) > 0
      ),
    );
    assertOnce(h);
  },
);

tailTest(
  "copytruncate under a writer that does not append: the hole is skipped, and the bytes written between copy and truncate are counted exactly",
  async (h) => {
    const path = h.path("app.log");
    const w = openWriter(path, "offset");
    try {
      let size = w.write(lines("a", 0, 100));
      await h.start();
      await h.untilCount(100);
      // logrotate: copy, (the application writes), truncate; the writer goes on at its offset.
      Deno.copyFileSync(path, h.path("app.log.1"));
      const lost1 = w.write(lines("lost1", 0, 7));
      size += lost1;
      Deno.truncateSync(path, 0);
      size += w.write(lines("c", 0, 50));
      await h.untilCount(150);
      const firstC = h.entries.find((e) => e.message === "c-0")!;
      assert.equal(firstC.offset, size - lines("c", 0, 50).length, "offsets count the hole");
      assert.equal(lostBytes(h), lost1);
      // Again, now that the file itself begins with a hole.
      Deno.copyFileSync(path, h.path("app.log.2"));
      const lost2 = w.write(lines("lost2", 0, 3));
      Deno.truncateSync(path, 0);
      w.write(lines("e", 0, 20));
      await h.until(() => h.messages().includes("e-19"), "e-19");
      await sleep(300);
      assert.deepEqual(
        [...h.messages()].sort(),
        [...expected("a", 0, 100), ...expected("c", 0, 50), ...expected("e", 0, 20)].sort(),
      );
      assert.equal(lostBytes(h), lost1 + lost2, "exactly the bytes truncated away");
      assert.equal(h.counters.get("log_truncations_total"), 2);
      assertNoHoleText(h);
      assertOnce(h);
    } finally {
      w.close();
    }
  },
);

tailTest(
  "copytruncate under a writer that does not append, while the agent is stopped: the copy is read from the acknowledged offset, the loss counted exactly",
  async (h) => {
    const lost = await copytruncateWhileStopped(h, "offset");
    assert.deepEqual(
      [...h.messages()].sort(),
      [...expected("a", 50, 60), ...expected("c", 0, 10)].sort(),
    );
    assert.equal(lostBytes(h), lost);
    assertNoHoleText(h);
    assertOnce(h);
  },
);

tailTest(
  "copytruncate under an appending writer while the agent is stopped: the copy is read from the acknowledged offset",
  async (h) => {
    // The lines written between copy and truncate are in no file, and never seen: cannot be counted.
    await copytruncateWhileStopped(h, "append");
    assert.deepEqual(
      [...h.messages()].sort(),
      [...expected("a", 50, 60), ...expected("c", 0, 10)].sort(),
    );
    assert.equal(lostBytes(h), 0);
    assertOnce(h);
  },
);

tailTest(
  "copytruncate under an appending writer: bytes written after the copy are counted when a watch event let the tailer see them before the truncation, and cannot be otherwise",
  (h) =>
    withPolledTailer(h, "append", async ({ path, w, got, pollUntil }) => {
      w.write(lines("a", 0, 100));
      await pollUntil(100);
      Deno.copyFileSync(path, h.path("app.log.1"));
      const seen = w.write(lines("seen", 0, 8));
      await sleep(300); // the write's event: the tailer looks at the size, it reads nothing
      Deno.truncateSync(path, 0);
      w.write(lines("c", 0, 20));
      await pollUntil(120);
      assert.equal(lostBytes(h), seen);
      // The same, all at once: the size with those bytes is never seen, nothing can count them.
      Deno.copyFileSync(path, h.path("app.log.2"));
      w.write(lines("unseen", 0, 8));
      Deno.truncateSync(path, 0);
      w.write(lines("e", 0, 5));
      await sleep(300);
      await pollUntil(125);
      assert.equal(lostBytes(h), seen);
      assert.deepEqual(got, [
        ...expected("a", 0, 100),
        ...expected("c", 0, 20),
        ...expected("e", 0, 5),
      ]);
      assert.equal(h.counters.get("log_truncations_total"), 2);
    }),
);

tailTest(
  "copytruncate under an appending writer: once copytruncate is seen in use, a worker samples the size while the copy is made, so bytes written just before the truncation count with no event handled",
  (h) =>
    withPolledTailer(h, "append", async ({ path, w, got, pollUntil }) => {
      w.write(lines("a", 0, 100));
      await pollUntil(100);
      // A first copytruncate: the sampler starts.
      Deno.copyFileSync(path, h.path("app.log.1"));
      Deno.truncateSync(path, 0);
      w.write(lines("b", 0, 100));
      await pollUntil(200);
      assert.equal(h.counters.get("log_truncations_total"), 1);
      // The second: the copy appears (its events handled: the sampling starts), then the
      // application writes and logrotate truncates while this thread handles nothing.
      Deno.copyFileSync(path, h.path("app.log.2"));
      await sleep(100);
      const seen = w.write(lines("unseen-by-events", 0, 6));
      busy(5);
      Deno.truncateSync(path, 0);
      w.write(lines("c", 0, 10));
      await pollUntil(210);
      assert.equal(lostBytes(h), seen);
      assert.deepEqual(got, [
        ...expected("a", 0, 100),
        ...expected("b", 0, 100),
        ...expected("c", 0, 10),
      ]);
    }),
);

tailTest(
  "after a restart, a checkpoint that shows a truncation starts the sampler at once: the first copytruncate of the new run is sampled too",
  async (h) => {
    const path = h.path("app.log");
    const w = openWriter(path, "append");
    const got: string[] = [];
    try {
      const first = await LogTailer.open(h.tailerOptions());
      w.write(lines("a", 0, 50));
      await pollUntil(first, got, 50);
      Deno.copyFileSync(path, h.path("app.log.1"));
      Deno.truncateSync(path, 0);
      w.write(lines("b", 0, 50));
      await pollUntil(first, got, 100);
      await first.close(); // the checkpoint holds generation 1 of app.log
      const second = await LogTailer.open(h.tailerOptions());
      try {
        second.startWatching();
        await sleep(200); // the worker starts
        Deno.copyFileSync(path, h.path("app.log.2"));
        await sleep(100);
        const seen = w.write(lines("unseen-by-events", 0, 6));
        busy(5);
        Deno.truncateSync(path, 0);
        w.write(lines("c", 0, 10));
        await pollUntil(second, got, 110);
        assert.equal(lostBytes(h), seen);
      } finally {
        await second.close();
      }
    } finally {
      w.close();
    }
  },
);

tailTest(
  "sizes looked at after a watch event: one seen after the truncation is never counted as the old file's (writer that does not append)",
  (h) =>
    withPolledTailer(h, "offset", async ({ path, w, got, pollUntil }) => {
      w.write(lines("a", 0, 100));
      await pollUntil(100);
      Deno.copyFileSync(path, h.path("app.log.1"));
      const lost = w.write(lines("lost", 0, 8));
      Deno.truncateSync(path, 0);
      w.write(lines("c", 0, 30));
      // The events are handled now: the looks see the new file, a hole and 30 lines, larger
      // than the old one ever was.
      await sleep(300);
      w.write(lines("c", 30, 40));
      await sleep(300);
      await pollUntil(140);
      assert.equal(lostBytes(h), lost, "exactly the bytes truncated away");
      assert.deepEqual(got, [...expected("a", 0, 100), ...expected("c", 0, 40)]);
    }),
);

tailTest(
  "NUL bytes: a run where a line starts is skipped (a hole), inside a line they are kept (replaced)",
  async (h) => {
    const path = h.path("nul.log");
    await Deno.writeFile(
      path,
      new Uint8Array([...enc.encode("x\n"), 0, 0, 0, ...enc.encode("y\na\0b\n")]),
    );
    await h.start();
    await h.untilCount(3);
    assert.deepEqual(h.messages(), ["x", "y", "a\uFFFDb"]);
    assert.deepEqual(h.entries.map((e) => e.offset), [0, 5, 7]);
  },
);

tailTest(
  "delete and recreate: the deleted file is read to its end, the new one from its start",
  async (h) => {
    const path = await tailLines(h, "d", 10);
    const old = await Deno.open(path, { append: true });
    await Deno.remove(path);
    await old.write(enc.encode(lines("d", 10, 20)));
    old.close();
    await append(path, lines("d", 20, 30));
    await h.untilCount(30);
    assert.deepEqual([...h.messages()].sort(), [...expected("d", 0, 30)].sort());
    assertOnce(h);
  },
);

tailTest(
  "a burst of 10,000 lines while the reader is held busy: all arrive once, in order",
  async (h) => {
    const path = h.path("burst.log");
    await append(path, "first\n");
    await h.start();
    await h.untilCount(1);
    h.hold(); // the sink and the watch reader both wait
    // Many separate writes: far more watch events than Deno keeps (16) while nobody reads them.
    const f = await Deno.open(path, { append: true });
    for (let i = 0; i < 10_000; i += 50) await f.write(enc.encode(lines("b", i, i + 50)));
    f.close();
    await sleep(300);
    h.release();
    await h.untilCount(10_001, 20_000);
    assert.deepEqual(h.messages().slice(1), expected("b", 0, 10_000));
    assertOnce(h);
    assert.ok(h.batches.every((b) => b.entries <= 5000));
  },
);

tailTest(
  "without any watch event, reconciliation alone finds new and rotated files within a second",
  async (h) => {
    const path = h.path("quiet.log");
    await append(path, lines("q", 0, 3));
    const real = denoLogFs();
    await h.start({
      fs: {
        ...real,
        watch: () => {
          throw new Error("no watching here");
        },
      },
    });
    await h.untilCount(3, 5000);
    await Deno.rename(path, h.path("quiet.log.1"));
    await append(path, lines("q", 3, 6));
    await h.untilCount(6, 5000);
    assert.deepEqual(h.messages(), expected("q", 0, 6));
  },
);

tailTest(
  "partial lines wait for their newline, and are flushed after LOG_PARTIAL_FLUSH",
  async (h) => {
    const path = h.path("p.log");
    await h.start({ partialFlushMs: 600 });
    await append(path, "abc");
    await sleep(200);
    await append(path, "def\n");
    await h.untilCount(1);
    assert.deepEqual(h.messages(), ["abcdef"]);
    await append(path, "lonely");
    const t0 = Date.now();
    await h.untilCount(2);
    assert.ok(Date.now() - t0 >= 500, "flushed only after LOG_PARTIAL_FLUSH");
    assert.deepEqual(h.messages(), ["abcdef", "lonely"]);
    await append(path, " rest\n");
    await h.untilCount(3);
    assert.equal(h.entries[2].message, " rest");
    assert.equal(h.entries[2].offset, 13);
  },
);

tailTest(
  "long lines with multi-byte characters are cut on a character boundary and flagged truncated",
  async (h) => {
    const path = h.path("long.log");
    const long = "é😀".repeat(20_000); // 120,000 bytes
    await h.start({ maxLineBytes: 1000 });
    await append(path, `${long}\nshort\n`);
    await h.untilCount(2);
    const [cut, next] = h.entries;
    assert.equal(cut.truncated, true);
    const bytes = enc.encode(cut.message).length;
    assert.ok(bytes <= 1000 && bytes > 990, `${bytes} bytes`);
    assert.ok(!cut.message.includes("\uFFFD"), "no broken character");
    assert.ok(long.startsWith(cut.message));
    assert.equal(next.message, "short");
    assert.equal(next.truncated, undefined);
    assert.equal(next.offset, 120_001);
  },
);

tailTest("continuation lines join the entry before them; blank lines are dropped", async (h) => {
  const path = h.path("trace.log");
  await h.start();
  await append(
    path,
    "2024-05-01T10:00:00Z ERROR boom\n" +
      "java.lang.IllegalStateException: x\n" +
      "\tat a.B.c(B.java:1)\n" +
      "\n" +
      "    at d.E.f(E.java:2)\n" +
      "   \n" +
      "2024-05-01T10:00:01Z INFO next\n",
  );
  await h.untilCount(3);
  assert.deepEqual(h.messages(), [
    "2024-05-01T10:00:00Z ERROR boom",
    "java.lang.IllegalStateException: x\n\tat a.B.c(B.java:1)\n    at d.E.f(E.java:2)",
    "2024-05-01T10:00:01Z INFO next",
  ]);
  assert.deepEqual(h.entries.map((e) => e.level), ["error", "info", "info"]);
  assert.equal(h.entries[0].time, "2024-05-01T10:00:00.000Z");
  assert.equal(h.entries[1].time.slice(0, 4) !== "2024", true, "no timestamp: the read time");
});

tailTest(
  "restart: each file resumes where the server's acknowledgement left it; re-read lines are identical",
  async (h) => {
    const path = h.path("app.log");
    await h.start({ acks: "manual", partialFlushMs: 300 });
    await append(path, lines("no-time", 0, 5));
    await h.untilCount(5);
    h.ackAll(); // the server acknowledged these
    await sleep(1200); // the checkpoint is written at most every second
    await append(path, lines("no-time", 5, 9) + "partial-without-newline");
    await h.untilCount(10);
    const firstRun = h.entries.slice(5).map((e) => ({ ...e }));
    await h.crash(); // never acknowledged: must be read again
    h.entries.length = 0;
    await append(path, "-continued\n" + lines("later", 0, 2));
    await h.start({ acks: "manual", partialFlushMs: 300 });
    await h.untilCount(7);
    // The five unacknowledged entries again, byte for byte (times included: the server drops them).
    assert.deepEqual(h.entries.slice(0, 5), firstRun);
    await h.untilCount(8);
    assert.deepEqual(h.messages().slice(5), ["-continued", "later-0", "later-1"]);
  },
);

tailTest("restart after a clean stop: nothing is read twice once acknowledged", async (h) => {
  const path = await tailLines(h, "s", 50);
  await stopAndForget(h);
  await append(path, lines("s", 50, 60));
  await h.start({ startAt: "beginning" });
  await h.untilCount(10);
  await sleep(300);
  assert.deepEqual(h.messages(), expected("s", 50, 60));
});

tailTest(
  "a file renamed while the agent was stopped is found by inode and read to its end",
  async (h) => {
    const path = await tailLines(h, "m", 10);
    await stopAndForget(h);
    await append(path, lines("m", 10, 15)); // written before the rotation
    await Deno.rename(path, h.path("app.log.1"));
    await append(path, lines("m", 15, 20)); // the new file
    await h.start();
    await h.untilCount(10);
    assert.deepEqual([...h.messages()].sort(), [...expected("m", 10, 20)].sort());
    assertOnce(h);
  },
);

tailTest(
  "a file replaced while the agent was stopped (same path, new content) is read from its start",
  async (h) => {
    const path = await tailLines(h, "old", 10);
    await stopAndForget(h);
    await Deno.remove(path);
    await append(path, lines("new", 0, 3));
    await h.start();
    await h.untilCount(3);
    assert.deepEqual(h.messages(), expected("new", 0, 3));
  },
);

tailTest(
  "a damaged checkpoint never causes a re-read of everything: the previous good one is used",
  async (h) => {
    const path = await tailLines(h, "k", 100);
    await sleep(1100);
    await append(path, lines("k", 100, 110));
    await h.untilCount(110);
    await h.stop(); // final checkpoint: offset at line 110
    // Damage the newest slot.
    const slots = [...Deno.readDirSync(h.stateDir)].map((e) => `${h.stateDir}/${e.name}`);
    const newest =
      slots.map((p) => ({ p, seq: JSON.parse(Deno.readTextFileSync(p).split("\n")[0]).seq }))
        .sort((a, b) => b.seq - a.seq)[0].p;
    Deno.writeTextFileSync(newest, "garbage");
    h.entries.length = 0;
    await h.start();
    await sleep(800);
    assert.ok(h.entries.length < 100, `re-read ${h.entries.length} lines`);
    assert.equal(h.counters.get("log_checkpoint_damaged_total"), 1);
  },
);

tailTest(
  "a crash right after the very first start does not skip lines written meanwhile (LOG_START_AT=end)",
  async (h) => {
    const path = h.path("app.log");
    await append(path, lines("before", 0, 5));
    await h.start({ startAt: "end" });
    await sleep(200);
    await h.crash();
    await append(path, lines("meanwhile", 0, 3));
    await h.start({ startAt: "end" });
    await h.untilCount(3);
    assert.deepEqual(h.messages(), expected("meanwhile", 0, 3));
  },
);
