/**
 * `readJsonBody` on bodies that are cut off in transit: a 503 (retry; ingest is idempotent),
 * never a 400 that a sender would treat as a permanently bad batch.
 */
import assert from "node:assert/strict";
import { readJsonBody } from "../../../server/http/body_reader.ts";

const JSON_TYPE = { "content-type": "application/json" };

/** A body that yields `first` and then fails, as a dropped connection does. */
function cutOff(first: Uint8Array): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(first);
      } else controller.error(new Deno.errors.BadResource("connection closed"));
    },
  });
}

function post(body: ReadableStream<Uint8Array> | string, headers: Record<string, string>) {
  return new Request("http://x/api/v1/metrics", {
    method: "POST",
    headers,
    body,
    // @ts-ignore: duplex is required for stream bodies but missing from the type
    duplex: "half",
  });
}

Deno.test("readJsonBody: a plain body cut off mid-read is a 503", async () => {
  const r = await readJsonBody(post(cutOff(new TextEncoder().encode('{"id":')), JSON_TYPE), 1024);
  assert.deepEqual(r, {
    ok: false,
    status: 503,
    error: "body could not be read (BadResource); retry",
  });
});

Deno.test("readJsonBody: a gzip body cut off mid-read is a 503, a corrupt one a 400", async () => {
  const gz = new Uint8Array(
    await new Response(
      new Blob(['{"id":"x","host":"h","metrics":[]}']).stream().pipeThrough(
        new CompressionStream("gzip"),
      ),
    ).arrayBuffer(),
  );
  const headers = { ...JSON_TYPE, "content-encoding": "gzip" };
  const cut = await readJsonBody(post(cutOff(gz.subarray(0, 10)), headers), 1024);
  assert.equal(cut.ok, false);
  assert.equal((cut as { status: number }).status, 503);

  const corrupt = gz.slice();
  corrupt[12] ^= 0xff;
  const bad = await readJsonBody(
    post(new Blob([corrupt]).stream(), headers),
    1024,
  );
  assert.deepEqual(bad, { ok: false, status: 400, error: "body is not a valid gzip stream" });

  const good = await readJsonBody(post(new Blob([gz]).stream(), headers), 1024);
  assert.deepEqual(good, { ok: true, value: { id: "x", host: "h", metrics: [] } });
});
