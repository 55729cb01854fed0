import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { gzip, nodeGzipSync, openGzipSync } from "../../agent/gzip.ts";
import { LibzGzip } from "../../agent/libz_gzip.ts";
import { metricRecord } from "../../agent/metric_records.ts";
import { capturedLogger, fixture } from "./helpers.ts";

const text = (s: string) => new TextEncoder().encode(s);

/** Bytes no compressor can shrink (a fixed xorshift sequence). */
function noise(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function withLibz(fn: (z: LibzGzip) => void, level?: number): void {
  const z = LibzGzip.open({ level });
  try {
    fn(z);
  } finally {
    z.close();
  }
}

Deno.test("LibzGzip: one stream, many bodies, each a gzip member that gunzips to its input", () => {
  const proc = text(fixture("vm/meminfo"));
  const bodies = [
    text(""),
    text("{}"),
    proc,
    noise(100_000), // incompressible: output larger than input, within deflateBound
    text("x".repeat(300_000)), // grows both buffers past their first size
    proc, // and small again on the grown buffers
    text(JSON.stringify({ id: "b1", host: "h", metrics: [] })),
  ];
  withLibz((z) => {
    for (const [i, body] of bodies.entries()) {
      const packed = z.gzip(body);
      assert.deepEqual([...packed.subarray(0, 3)], [0x1f, 0x8b, 0x08], `body ${i}: gzip header`);
      assert.deepEqual(new Uint8Array(gunzipSync(packed)), body, `body ${i}`);
    }
  });
});

Deno.test("LibzGzip: a view into a larger buffer compresses only its bytes", () => {
  const whole = text("HEAD" + "metric ".repeat(500) + "TAIL");
  const view = whole.subarray(4, whole.length - 4);
  withLibz((z) => {
    assert.deepEqual(new Uint8Array(gunzipSync(z.gzip(view))), view);
  });
});

Deno.test("LibzGzip: compresses a real agent request body as well as node:zlib, and the server's reader takes it", async () => {
  const time = "2026-11-27T11:00:00.000Z";
  const { payload: body } = metricRecord({
    id: "batch-1",
    host: "web-1",
    metrics: Array.from({ length: 40 }, (_, i) => ({
      name: "cpu.usage_pct",
      value: i * 1.25,
      labels: { core: String(i) },
      host: "web-1",
      time,
    })),
  });
  withLibz((z) => {
    const a = z.gzip(body);
    const b = nodeGzipSync(body);
    // Same algorithm and level: within a few bytes of each other (headers may differ).
    assert.ok(Math.abs(a.length - b.length) <= 16, `libz ${a.length} vs node:zlib ${b.length}`);
    assert.deepEqual(new Uint8Array(gunzipSync(a)), body);
  });
  // And through the web DecompressionStream, which the server uses.
  const { gzipSync } = openGzipSync();
  const packed = await gzip(body, gzipSync);
  const back = new Uint8Array(
    await new Response(
      new Blob([packed as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
        new DecompressionStream("gzip"),
      ),
    ).arrayBuffer(),
  );
  assert.deepEqual(back, body);
});

Deno.test("LibzGzip: level 0 stores, level 9 compresses; an invalid level is refused", () => {
  const body = text("abc".repeat(2000));
  withLibz((z) => assert.ok(z.gzip(body).length > body.length), 0);
  withLibz((z) => assert.ok(z.gzip(body).length < 100), 9);
  for (const level of [10, -2, 1.5]) {
    assert.throws(() => LibzGzip.open({ level }), /level must be an integer from -1 to 9/);
  }
});

Deno.test("LibzGzip: refuses after close, and close twice is harmless", () => {
  const z = LibzGzip.open();
  z.close();
  z.close();
  assert.throws(() => z.gzip(text("x")), /gzip after close/);
});

Deno.test("openGzipSync: libz here; without libz, node:zlib, said once at info", () => {
  assert.equal(openGzipSync().engine, "libz");
  assert.throws(
    () => LibzGzip.open({ candidates: ["/nonexistent/libz.so.1"] }),
    /libz: could not load libz \(\/nonexistent\/libz\.so\.1: /,
  );
  const { logger, lines } = capturedLogger();
  const { gzipSync, engine } = openGzipSync(logger, { candidates: ["/nonexistent/libz.so.1"] });
  assert.equal(engine, "node:zlib");
  const body = text("y".repeat(5000));
  assert.deepEqual(new Uint8Array(gunzipSync(gzipSync(body))), body);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].level, "info");
  assert.equal(lines[0].msg, "gzip: libz not available, using node:zlib");
  assert.match(String(lines[0].error), /nonexistent/);
});

Deno.test("gzip: a body past the synchronous limit goes through a CompressionStream, not the sync engine", async () => {
  let syncCalls = 0;
  const counting = (d: Uint8Array) => (syncCalls++, nodeGzipSync(d));
  const small = text("s".repeat(1000));
  const large = text("L".repeat(300 * 1024));
  assert.deepEqual(new Uint8Array(gunzipSync(await gzip(small, counting))), small);
  assert.equal(syncCalls, 1);
  assert.deepEqual(new Uint8Array(gunzipSync(await gzip(large, counting))), large);
  assert.equal(syncCalls, 1);
});
