/** The sender against a real HTTP server on 127.0.0.1 (no fetch mock). */
import assert from "node:assert/strict";
import { ingestUrl, Sender } from "../../agent/sender.ts";
import { TokenSource } from "../../agent/token_source.ts";
import { verifyToken } from "../../shared/jwt.ts";
import type { MetricBatch } from "../../shared/metric.ts";
import { VERSION } from "../../shared/version.ts";

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

interface Seen {
  method: string;
  path: string;
  auth: string | null;
  version: string | null;
  contentType: string | null;
  body: unknown;
}

/** Starts a server answering with `reply(n)` for the n-th request (0-based). */
async function withServer(
  reply: (n: number, seen: Seen) => Response | Promise<Response>,
  fn: (url: URL, seen: Seen[]) => Promise<void>,
) {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const s: Seen = {
      method: req.method,
      path: new URL(req.url).pathname,
      auth: req.headers.get("authorization"),
      version: req.headers.get("x-agent-version"),
      contentType: req.headers.get("content-type"),
      body: await req.json(),
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

function sender(url: URL, secret = SECRET, timeoutMs = 5000) {
  return new Sender({
    serverUrl: url,
    tokens: new TokenSource({ secret, subject: "web-1", now: Date.now }),
    fetch,
    timeoutMs,
  });
}

const json = (status: number, body: unknown) => Response.json(body, { status });

Deno.test("Sender: 202 → sent; POST JSON with a valid ingest token and the agent version", async () => {
  await withServer(() => json(202, { accepted: 1 }), async (url, seen) => {
    assert.deepEqual(await sender(url).send(BATCH), { kind: "sent", status: 202 });
    assert.equal(seen.length, 1);
    const s = seen[0];
    assert.equal(s.method, "POST");
    assert.equal(s.path, "/api/v1/metrics");
    assert.equal(s.version, VERSION);
    assert.equal(s.contentType, "application/json");
    assert.deepEqual(s.body, BATCH);
    const claims = await verifyToken(s.auth!.replace(/^Bearer /, ""), SECRET, Date.now);
    assert.deepEqual([claims.sub, claims.scope, claims.exp - claims.iat], [
      "web-1",
      "ingest",
      3600,
    ]);
  });
});

Deno.test("Sender: 500 → retry, then 202 → sent (same batch, same id)", async () => {
  await withServer(
    (n) => n === 0 ? json(500, { error: "db down" }) : json(202, {}),
    async (url, seen) => {
      const s = sender(url);
      assert.deepEqual(await s.send(BATCH), {
        kind: "retry",
        status: 500,
        reason: "server answered 500: db down",
      });
      assert.deepEqual(await s.send(BATCH), { kind: "sent", status: 202 });
      assert.deepEqual(seen.map((x) => (x.body as MetricBatch).id), ["web-1-1-1", "web-1-1-1"]);
    },
  );
});

Deno.test("Sender: 408 and 429 are retried, not dropped", async () => {
  await withServer((n) => json(n === 0 ? 408 : 429, { error: "later" }), async (url) => {
    const s = sender(url);
    assert.equal((await s.send(BATCH)).kind, "retry");
    assert.equal((await s.send(BATCH)).kind, "retry");
  });
});

Deno.test("Sender: 401 → re-mint once and retry once; still 401 → retry later, naming the secret", async () => {
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
    const outcome = await sender(url).send(BATCH);
    assert.equal(outcome.kind, "retry");
    assert.ok(outcome.kind === "retry" && outcome.unauthorized);
    assert.match(
      outcome.kind === "retry" ? outcome.reason : "",
      /401: unauthorized.*AGENT_TOKEN most likely differs from the server's secret/,
    );
    assert.equal(seen.length, 2);
  });
});

Deno.test("Sender: 401 then 202 → sent with a freshly minted token", async () => {
  await withServer(
    (n) => n === 0 ? json(401, { error: "expired" }) : json(202, {}),
    async (url, seen) => {
      assert.deepEqual(await sender(url).send(BATCH), { kind: "sent", status: 202 });
      assert.equal(seen.length, 2);
    },
  );
});

Deno.test("Sender: other 4xx → rejected with the server's message", async () => {
  await withServer(
    () => json(400, { error: 'metrics[0]: name "x" is not allowed' }),
    async (url) => {
      assert.deepEqual(await sender(url).send(BATCH), {
        kind: "rejected",
        status: 400,
        message: 'metrics[0]: name "x" is not allowed',
      });
    },
  );
  await withServer(() => new Response("too big", { status: 413 }), async (url) => {
    assert.deepEqual(await sender(url).send(BATCH), {
      kind: "rejected",
      status: 413,
      message: "too big",
    });
  });
});

Deno.test("Sender: no answer within SEND_TIMEOUT → retry", async () => {
  let release!: () => void;
  const hold = new Promise<void>((r) => release = r);
  await withServer(async () => {
    await hold;
    return json(202, {});
  }, async (url) => {
    const outcome = await sender(url, SECRET, 50).send(BATCH);
    assert.deepEqual(outcome, { kind: "retry", reason: "no answer within 50 ms (SEND_TIMEOUT)" });
    release();
  });
});

Deno.test("Sender: connection refused → retry with a network error", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const outcome = await sender(new URL(`http://127.0.0.1:${port}`)).send(BATCH);
  assert.equal(outcome.kind, "retry");
  assert.match(outcome.kind === "retry" ? outcome.reason : "", /^network error: /);
});

Deno.test("ingestUrl: keeps a path prefix and ignores a trailing slash", () => {
  assert.equal(ingestUrl(new URL("https://x.example")), "https://x.example/api/v1/metrics");
  assert.equal(
    ingestUrl(new URL("https://x.example/obs/")),
    "https://x.example/obs/api/v1/metrics",
  );
});
