/** The checkpoint: two slots written atomically, the newest valid one read, damage never losing the previous good one. */
import assert from "node:assert/strict";
import {
  decodeSlot,
  type FileCheckpoint,
  LogCheckpointStore,
} from "../../../agent/logs/checkpoint_store.ts";
import { denoLogFs } from "../../../agent/logs/log_fs.ts";
import { Counters } from "../../../agent/counters.ts";
import { capturedLogger } from "../helpers.ts";

function file(offset: number): FileCheckpoint {
  return {
    dev: 1,
    ino: 2,
    gen: 0,
    fileId: "abc123",
    source: "/var/log/a.log",
    path: "/var/log/a.log",
    fpLen: 0,
    fpSha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    offset,
    anchors: [[offset, offset + 10, 1714557600000]],
    cuts: [offset + 5],
  };
}

async function open(dir: string) {
  const { logger, lines } = capturedLogger();
  const counters = new Counters();
  const opened = await LogCheckpointStore.open(dir, denoLogFs(), logger, counters);
  return { ...opened, lines, counters };
}

Deno.test("checkpoint: a new directory has none; writes alternate slots; the newest is read back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await open(`${dir}/logs`);
    assert.equal(first.checkpoint, null);
    assert.equal(first.existed, false);
    await first.store.write({ files: [file(10)] });
    await first.store.write({ files: [file(20)] });
    await first.store.write({ files: [file(30)] });
    const names = [...Deno.readDirSync(`${dir}/logs`)].map((e) => e.name).sort();
    assert.deepEqual(names, ["checkpoint.a.json", "checkpoint.b.json"]);
    const again = await open(`${dir}/logs`);
    assert.equal(again.existed, true);
    assert.deepEqual(again.checkpoint, { files: [file(30)] });
    // The next write goes to the older slot; the newest stays.
    await again.store.write({ files: [file(40)] });
    assert.deepEqual((await open(`${dir}/logs`)).checkpoint, { files: [file(40)] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpoint: a damaged newest slot falls back to the previous good one, counted and logged", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await open(dir);
    await first.store.write({ files: [file(10)] }); // slot a, seq 1
    await first.store.write({ files: [file(20)] }); // slot b, seq 2
    const b = `${dir}/checkpoint.b.json`;
    const bytes = Deno.readFileSync(b);
    bytes[30] ^= 0x01; // one flipped bit in the body: the checksum catches it
    Deno.writeFileSync(b, bytes);
    const again = await open(dir);
    assert.deepEqual(again.checkpoint, { files: [file(10)] });
    assert.equal(again.counters.get("log_checkpoint_damaged_total"), 1);
    assert.ok(again.lines.some((l) => String(l.msg).includes("checkpoint slot damaged")));
    // Writing again replaces the damaged slot, not the good one.
    await again.store.write({ files: [file(30)] });
    assert.deepEqual((await open(dir)).checkpoint, { files: [file(30)] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpoint: both slots damaged: existed but none usable (the tailer then treats files as at a first start)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    Deno.writeTextFileSync(`${dir}/checkpoint.a.json`, "{not json");
    Deno.writeTextFileSync(`${dir}/checkpoint.b.json`, "");
    const o = await open(dir);
    assert.equal(o.checkpoint, null);
    assert.equal(o.existed, true);
    assert.equal(o.counters.get("log_checkpoint_damaged_total"), 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpoint: decodeSlot refuses a cut-short file and bad fields by name", async () => {
  const enc = new TextEncoder();
  await assert.rejects(decodeSlot(enc.encode('{"version":1}')), /no checksum line/);
  const body = JSON.stringify({ version: 1, seq: 1, files: [{ ...file(1), offset: -1 }] });
  const { sha256Hex } = await import("../../../agent/logs/checkpoint_store.ts");
  const sum = await sha256Hex(enc.encode(body));
  await assert.rejects(decodeSlot(enc.encode(`${body}\n${sum}\n`)), /files\[0\]\.offset/);
});

Deno.test("checkpoint: fpAt (where the fingerprint starts, after a hole) is kept when set, absent when 0, checked", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await open(dir);
    await first.store.write({ files: [{ ...file(9000), fpAt: 8192 }, file(5)] });
    assert.deepEqual((await open(dir)).checkpoint, {
      files: [{ ...file(9000), fpAt: 8192 }, file(5)],
    });
    const enc = new TextEncoder();
    const { sha256Hex } = await import("../../../agent/logs/checkpoint_store.ts");
    const body = JSON.stringify({ version: 1, seq: 1, files: [{ ...file(1), fpAt: -3 }] });
    const sum = await sha256Hex(enc.encode(body));
    await assert.rejects(decodeSlot(enc.encode(`${body}\n${sum}\n`)), /files\[0\]\.fpAt/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
