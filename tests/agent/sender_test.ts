/** The sender against a real HTTP server on 127.0.0.1 (no fetch mock). */
import assert from "node:assert/strict";
import { gzip } from "../../agent/gzip.ts";
import { ingestUrl, Sender } from "../../agent/sender.ts";
import { TokenSource, TokenSources } from "../../agent/token_source.ts";
import { verifyToken } from "../../shared/jwt.ts";
import type { MetricBatch } from "../../shared/metric.ts";
import { VERSION } from "../../shared/version.ts";
import { FakeClock } from "./helpers.ts";

const SECRET = "0123456789abcdef0123456789abcdef";
const BATCH: MetricBatch = {
  id: "web-1-1-1",
  host: "web-1",
  metrics: [{
    time: "2024-01-01T00:00:00.000Z",
    host: "web-1",
    name: "system.load1",
    value: 0.5,
    labels: {},
  }],
};
const REQUEST = {
  id: BATCH.id,
  host: BATCH.host,
  body: new TextEncoder().encode(JSON.stringify(BATCH)),
};

interface Seen {
  method: string;
  path: string;
  auth: string | null;
  version: string | null;
  contentType: string | null;
  contentEncoding: string | null;
  body: unknown;
}

/** Starts a server answering with `reply(n)` for the n-th request (0-based); bodies are gunzipped. */
export async function withServer(
  reply: (n: number, seen: Seen) => Response | Promise<Response>,
  fn: (url: URL, seen: Seen[]) => Promise<void>,
) {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const gz = req.headers.get("content-encoding") === "gzip";
    const stream = gz ? req.body!.pipeThrough(new DecompressionStream("gzip")) : req.body!;
    const s: Seen = {
      method: req.method,
      path: new URL(req.url).pathname,
      auth: req.headers.get("authorization"),
      version: req.headers.get("x-agent-version"),
      contentType: req.headers.get("content-type"),
      contentEncoding: req.headers.get("content-encoding"),
      body: await new Response(stream).json(),
    };
    seen.push(s);
    return await reply(seen.length - 1, s);
  });
  try {
    await fn(new URL(`http://127.0.0.1:${server.addr.port}`), seen);
  } finally {
    await server.shutdown();
  }
}

function sender(url: URL, opts: { secret?: string; timeoutMs?: number; now?: () => number } = {}) {
  const now = opts.now ?? Date.now;
  return new Sender({
    serverUrl: url,
    tokens: new TokenSources({ secret: opts.secret ?? SECRET, now }).forHost,
    fetch,
    timeoutMs: opts.timeoutMs ?? 5000,
    now,
  });
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers });

Deno.test("Sender: 202 → sent; gzip'd JSON with a valid ingest token for the batch's host", async () => {
  await withServer(() => json(202, { ingested: 1 }), async (url, seen) => {
    assert.deepEqual(await sender(url).send(REQUEST), {
      kind: "sent",
      status: 202,
      duplicate: false,
    });
    assert.equal(seen.length, 1);
    const s = seen[0];
    assert.equal(s.method, "POST");
    assert.equal(s.path, "/api/v1/metrics");
    assert.equal(s.version, VERSION);
    assert.equal(s.contentType, "application/json");
    assert.equal(s.contentEncoding, "gzip");
    assert.deepEqual(s.body, BATCH);
    const claims = await verifyToken(s.auth!.replace(/^Bearer /, ""), SECRET, Date.now);
    assert.deepEqual([claims.sub, claims.scope, claims.exp - claims.iat], [
      "web-1",
      "ingest",
      3600,
    ]);
  });
});

Deno.test("Sender: the server's duplicate answer is reported", async () => {
  await withServer(() => json(202, { ingested: 0, duplicate: true }), async (url) => {
    assert.deepEqual(await sender(url).send(REQUEST), {
      kind: "sent",
      status: 202,
      duplicate: true,
    });
  });
});

Deno.test("Sender: 500 and 503 → retry (maybe stored); 408 and 429 → retry (not stored)", async () => {
  const statuses = [500, 503, 408, 429];
  await withServer((n) => json(statuses[n], { error: "later" }), async (url, seen) => {
    const s = sender(url);
    for (const status of statuses) {
      assert.deepEqual(await s.send(REQUEST), {
        kind: "retry",
        status,
        notStored: status < 500,
        reason: `server answered ${status}: later`,
      });
    }
    assert.deepEqual(seen.map((x) => (x.body as MetricBatch).id), Array(4).fill("web-1-1-1"));
  });
});

Deno.test("Sender: Retry-After in seconds and as an HTTP date", async () => {
  const clock = new FakeClock(Date.UTC(2024, 0, 1, 12, 0, 0));
  const answers = [
    json(429, { error: "slow down" }, { "retry-after": "7" }),
    json(503, { error: "busy" }, { "retry-after": "Mon, 01 Jan 2024 12:00:30 GMT" }),
    json(503, { error: "busy" }, { "retry-after": "soon" }),
  ];
  await withServer((n) => answers[n], async (url) => {
    const s = sender(url, { now: clock.now });
    const a = await s.send(REQUEST);
    assert.ok(a.kind === "retry" && a.retryAfterMs === 7000);
    const b = await s.send(REQUEST);
    assert.ok(b.kind === "retry" && b.retryAfterMs === 30_000);
    const c = await s.send(REQUEST);
    assert.ok(c.kind === "retry" && c.retryAfterMs === undefined, "unparseable: ignored");
  });
});

Deno.test("Sender: 401 → a freshly minted token, retried at once → sent", async () => {
  let minted = 0;
  const source = new TokenSource({ secret: SECRET, subject: "web-1", now: Date.now });
  await withServer(
    (n) => n === 0 ? json(401, { error: "unauthorized" }) : json(202, {}),
    async (url, seen) => {
      const s = new Sender({
        serverUrl: url,
        tokens: () => ({
          get: () => source.get(),
          invalidate: () => {
            minted++;
            source.invalidate();
          },
        }),
        fetch,
        timeoutMs: 5000,
        now: Date.now,
      });
      assert.deepEqual(await s.send(REQUEST), { kind: "sent", status: 202, duplicate: false });
      assert.equal(seen.length, 2);
      assert.equal(minted, 1, "the cached token was dropped and a new one minted");
    },
  );
});

Deno.test("Sender: 401 twice → retry later (not stored), naming the secret mismatch", async () => {
  // The server verifies with its own secret, which differs from the agent's.
  const serverSecret = "ffffffffffffffffffffffffffffffff";
  await withServer(async (_n, s) => {
    try {
      await verifyToken(s.auth!.replace(/^Bearer /, ""), serverSecret, Date.now);
      return json(202, {});
    } catch {
      return json(401, { error: "unauthorized" });
    }
  }, async (url, seen) => {
    const outcome = await sender(url).send(REQUEST);
    assert.ok(outcome.kind === "retry" && outcome.unauthorized && outcome.notStored);
    assert.match(
      outcome.reason,
      /401: unauthorized.*AGENT_TOKEN most likely differs from the server's secret/,
    );
    assert.equal(seen.length, 2);
  });
});

Deno.test("Sender: other 4xx → rejected with the server's message", async () => {
  await withServer(
    () => json(400, { error: 'metrics[0]: name "x" is not allowed' }),
    async (url) => {
      assert.deepEqual(await sender(url).send(REQUEST), {
        kind: "rejected",
        status: 400,
        message: 'metrics[0]: name "x" is not allowed',
      });
    },
  );
  await withServer(() => new Response("too big", { status: 413 }), async (url) => {
    assert.deepEqual(await sender(url).send(REQUEST), {
      kind: "rejected",
      status: 413,
      message: "too big",
    });
  });
});

Deno.test("Sender: no answer within SEND_TIMEOUT → retry, maybe stored", async () => {
  let release!: () => void;
  const hold = new Promise<void>((r) => release = r);
  await withServer(async () => {
    await hold;
    return json(202, {});
  }, async (url) => {
    const outcome = await sender(url, { timeoutMs: 50 }).send(REQUEST);
    assert.deepEqual(outcome, {
      kind: "retry",
      reason: "no answer within 50 ms (SEND_TIMEOUT)",
      notStored: false,
    });
    release();
  });
});

Deno.test("Sender: connection refused → retry, provably not stored", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const outcome = await sender(new URL(`http://127.0.0.1:${port}`)).send(REQUEST);
  assert.ok(outcome.kind === "retry" && outcome.notStored);
  assert.match(outcome.reason, /^network error: .*Connection refused/);
});

Deno.test("Sender: connection lost after the request was sent → retry, maybe stored", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of listener) {
      const buf = new Uint8Array(65536);
      await conn.read(buf); // the whole small request
      conn.close(); // and no answer
    }
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  const outcome = await sender(new URL(`http://127.0.0.1:${port}`)).send(REQUEST);
  assert.ok(outcome.kind === "retry" && !outcome.notStored, JSON.stringify(outcome));
  assert.match(outcome.reason, /^network error: /);
  listener.close();
  await accepting.catch(() => {});
});

Deno.test("Sender: tokens are renewed before expiry; over days none sent is expired", async () => {
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const tokens = new Set<string>();
  await withServer(async (_n, s) => {
    const token = s.auth!.replace(/^Bearer /, "");
    tokens.add(token);
    // The server checks with the same (injected) clock: expired tokens would be refused.
    await verifyToken(token, SECRET, clock.now);
    return json(202, {});
  }, async (url) => {
    const s = sender(url, { now: clock.now });
    for (let minute = 0; minute < 3 * 24 * 60; minute += 10) {
      const outcome = await s.send(REQUEST);
      assert.equal(outcome.kind, "sent", `at minute ${minute}`);
      clock.advance(10 * 60_000);
    }
  });
  // One token per 55 minutes (re-minted 5 minutes before its hour ends): 72 h → ~79 tokens.
  assert.ok(tokens.size >= 72 && tokens.size <= 90, `${tokens.size} tokens`);
});

Deno.test("gzip: round trip through DecompressionStream", async () => {
  const data = new TextEncoder().encode("x".repeat(10_000));
  const packed = await gzip(data);
  assert.ok(packed.length < 200);
  const back = new Uint8Array(
    await new Response(
      new Blob([packed as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
        new DecompressionStream("gzip"),
      ),
    )
      .arrayBuffer(),
  );
  assert.deepEqual(back, data);
});

Deno.test("ingestUrl: keeps a path prefix and ignores a trailing slash", () => {
  assert.equal(ingestUrl(new URL("https://x.example")), "https://x.example/api/v1/metrics");
  assert.equal(
    ingestUrl(new URL("https://x.example/obs/")),
    "https://x.example/obs/api/v1/metrics",
  );
});
