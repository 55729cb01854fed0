/** denoLogFs: reads at an offset stay at their offset when they overlap; watch events give their kind and paths. */
import assert from "node:assert/strict";
import { denoLogFs } from "../../../agent/logs/log_fs.ts";

Deno.test("log fs: overlapping reads at different offsets each read their own bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = new Uint8Array(64 * 1024).map((_, i) => (i * 7 + (i >> 8)) & 0xff);
    await Deno.writeFile(`${dir}/f`, data);
    const file = await denoLogFs().open(`${dir}/f`);
    try {
      const offsets = Array.from({ length: 200 }, (_, i) => (i * 4099) % (data.length - 64));
      const got = await Promise.all(offsets.map(async (o) => {
        const buf = new Uint8Array(64);
        const n = await file.readAt(buf, o);
        return { o, bytes: buf.subarray(0, n) };
      }));
      for (const { o, bytes } of got) assert.deepEqual(bytes, data.subarray(o, o + 64), `at ${o}`);
    } finally {
      file.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("log fs: a directory watch gives the kind and paths of its events; null once closed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const w = denoLogFs().watch(dir);
    const next = w.next();
    await Deno.writeTextFile(`${dir}/a.log`, "x\n");
    const ev = await next;
    assert.deepEqual(ev, { kind: "create", paths: [`${dir}/a.log`] });
    w.close();
    assert.equal(await w.next(), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
