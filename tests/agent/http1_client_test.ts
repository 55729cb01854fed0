/**
 * The agent's HTTP/1.1 client over real sockets: a real `Deno.serve` for the normal path,
 * a raw `Deno.listen` TCP server for what Deno.serve cannot be made to do (chunked bodies
 * written by hand, one byte at a time, 1xx, closing idle connections, malformed answers),
 * and `Deno.serve` over TLS with a self-signed certificate when `openssl` is available.
 */
import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  CONNECT_ERROR_PREFIX,
  createHttp1Fetch,
  type Http1Fetch,
  type Http1FetchOptions,
} from "../../agent/http1_client.ts";
import { Sender } from "../../agent/sender.ts";
import { TokenSources } from "../../agent/token_source.ts";

/** The Sender's test for "the connection was never made" (agent/sender.ts, isConnectError). */
const SENDER_CONNECT_ERROR =
  /client error \(Connect\)|tcp connect error|dns error|Connection refused|No route to host|Network is unreachable/i;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// The client must fit wherever the agent takes a `fetch` (Sender, instrumentFetch).
const _fitsFetch: (f: ReturnType<typeof createHttp1Fetch>) => typeof fetch = (f) => f;

/** The client, each call failing after 5 s instead of hanging the test run. */
function client(options?: Http1FetchOptions): Http1Fetch {
  const http1 = createHttp1Fetch(options);
  const timed =
    ((input, init) => within(http1(input, init), `an answer from ${input}`)) as Http1Fetch;
  timed.close = http1.close;
  return timed;
}

/** Runs `fn` with a fresh client (see `client`), closed afterwards whatever happens. */
async function withClient(
  fn: (http1: Http1Fetch) => Promise<void>,
  options?: Http1FetchOptions,
): Promise<void> {
  const http1 = client(options);
  try {
    await fn(http1);
  } finally {
    http1.close();
  }
}

/** What `promise` rejects with; fails when it resolves, or does neither within 5 s. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  let settled = false;
  const outcome = promise.then(() => settled = true, (e) => e);
  const e = await within(outcome, "expected a rejection");
  if (settled) assert.fail("expected a rejection");
  return e;
}

// ---------------------------------------------------------------------------------------
// Deno.serve

interface Received {
  method: string;
  path: string;
  headers: Headers;
  body: Uint8Array;
  port: number;
}

/** A Deno.serve on 127.0.0.1 answering `reply(n, received)` for the n-th request. */
async function withServe(
  reply: (n: number, r: Received) => Response,
  fn: (url: URL, received: Received[]) => Promise<void>,
  tls?: { cert: string; key: string },
): Promise<void> {
  const received: Received[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, ...tls },
    async (req, info) => {
      const r: Received = {
        method: req.method,
        path: new URL(req.url).pathname + new URL(req.url).search,
        headers: req.headers,
        body: new Uint8Array(await req.arrayBuffer()),
        port: info.remoteAddr.port,
      };
      received.push(r);
      return reply(received.length - 1, r);
    },
  );
  try {
    await fn(new URL(`${tls ? "https" : "http"}://127.0.0.1:${server.addr.port}`), received);
  } finally {
    await server.shutdown();
  }
}

Deno.test("http1: a POST with a gzip body and headers arrives intact; status, headers and body come back", async () => {
  const json = JSON.stringify({ metrics: Array.from({ length: 50 }, (_, i) => ({ i })) });
  const body = new Uint8Array(gzipSync(encoder.encode(json)));
  await withServe(() => {
    const headers = new Headers({ "X-Reply": "yes", "Content-Type": "application/json" });
    headers.append("X-Multi", "a");
    headers.append("X-Multi", "b");
    return new Response(JSON.stringify({ ingested: 1 }), { status: 202, headers });
  }, async (url, received) => {
    await withClient(async (http1) => {
      const res = await http1(new URL("/api/v1/metrics?x=1", url), {
        method: "POST",
        body,
        headers: {
          "Authorization": "Bearer abc.def.ghi",
          "Content-Type": "application/json",
          "Content-Encoding": "gzip",
          "X-Agent-Version": "1.2.3",
        },
      });
      assert.ok(res instanceof Response);
      assert.equal(res.status, 202);
      assert.equal(res.statusText, "Accepted");
      assert.equal(res.headers.get("x-reply"), "yes");
      assert.equal(res.headers.get("X-MULTI"), "a, b");
      assert.deepEqual(await res.json(), { ingested: 1 });

      assert.equal(received.length, 1);
      const r = received[0];
      assert.equal(r.method, "POST");
      assert.equal(r.path, "/api/v1/metrics?x=1");
      assert.equal(r.headers.get("host"), url.host);
      assert.equal(r.headers.get("authorization"), "Bearer abc.def.ghi");
      assert.equal(r.headers.get("content-type"), "application/json");
      assert.equal(r.headers.get("content-encoding"), "gzip");
      assert.equal(r.headers.get("x-agent-version"), "1.2.3");
      assert.equal(r.headers.get("content-length"), String(body.length));
      assert.deepEqual(r.body, body);
      assert.equal(decoder.decode(gunzipSync(r.body)), json);
    });
  });
});

Deno.test("http1: sequential requests reuse one connection; Retry-After of a 503 is readable", async () => {
  await withServe(
    (n) =>
      n === 1
        ? new Response('{"error":"busy"}', { status: 503, headers: { "Retry-After": "7" } })
        : new Response(null, { status: 204 }),
    async (url, received) => {
      await withClient(async (http1) => {
        const first = await http1(url, { method: "POST", body: "one" });
        assert.equal(first.status, 204);
        assert.equal(first.body, null);
        const second = await http1(url, { method: "POST", body: "two" });
        assert.equal(second.status, 503);
        assert.equal(second.headers.get("retry-after"), "7");
        assert.deepEqual(await second.json(), { error: "busy" });
        const third = await http1(url.href); // GET, no body
        assert.equal(third.status, 204);
        assert.deepEqual(received.map((r) => [r.method, decoder.decode(r.body)]), [
          ["POST", "one"],
          ["POST", "two"],
          ["GET", ""],
        ]);
        assert.equal(new Set(received.map((r) => r.port)).size, 1, "one connection");
      });
    },
  );
});

Deno.test("http1: concurrent requests wait their turn on the one connection", async () => {
  await withServe((n) => new Response(`answer ${n}`), async (url, received) => {
    await withClient(async (http1) => {
      const answers = await Promise.all(
        [0, 1, 2].map(async (i) => {
          const res = await http1(url, { method: "POST", body: `request ${i}` });
          return await res.text();
        }),
      );
      assert.deepEqual(answers, ["answer 0", "answer 1", "answer 2"]);
      assert.deepEqual(received.map((r) => decoder.decode(r.body)), [
        "request 0",
        "request 1",
        "request 2",
      ]);
      assert.equal(new Set(received.map((r) => r.port)).size, 1, "one connection");
    });
  });
});

Deno.test("http1: the Sender works over it (sent; 503 → retry with Retry-After)", async () => {
  await withServe(
    (n) =>
      n === 0
        ? Response.json({ ingested: 1 }, { status: 202 })
        : Response.json({ error: "later" }, { status: 503, headers: { "Retry-After": "30" } }),
    async (url, received) => {
      await withClient(async (http1) => {
        const sender = new Sender({
          serverUrl: url,
          tokens: new TokenSources({ secret: "0123456789abcdef0123456789abcdef", now: Date.now })
            .forHost,
          fetch: http1,
          timeoutMs: 5000,
          now: Date.now,
        });
        const req = { id: "b-1", host: "web-1", body: encoder.encode('{"id":"b-1"}') };
        assert.deepEqual(await sender.send(req), { kind: "sent", status: 202, duplicate: false });
        assert.deepEqual(await sender.send(req), {
          kind: "retry",
          status: 503,
          notStored: false,
          reason: "server answered 503: later",
          retryAfterMs: 30_000,
        });
        assert.equal(decoder.decode(gunzipSync(received[0].body)), '{"id":"b-1"}');
        assert.equal(received[0].headers.get("content-encoding"), "gzip");
      });
    },
  );
});

// ---------------------------------------------------------------------------------------
// A raw TCP server

/** One request as the raw server read it, and on which connection (0-based, accept order). */
interface RawRequest {
  conn: number;
  head: string;
  body: string;
}

interface RawServer {
  url: URL;
  /** Connections accepted so far. */
  connections: number;
  requests: RawRequest[];
}

/** Reads requests off one connection (the client never pipelines). */
class RequestReader {
  #buf = new Uint8Array(0);
  constructor(private readonly conn: Deno.Conn) {}

  /** The next request; null on EOF (or a reset) before one begins. */
  async next(): Promise<{ head: string; body: string } | null> {
    let end: number;
    while ((end = decoder.decode(this.#buf).indexOf("\r\n\r\n")) < 0) {
      if (!(await this.#more())) return null;
    }
    const head = decoder.decode(this.#buf.subarray(0, end));
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    while (this.#buf.length < end + 4 + length) {
      if (!(await this.#more())) throw new Error("EOF in a request body");
    }
    const body = decoder.decode(this.#buf.subarray(end + 4, end + 4 + length));
    this.#buf = this.#buf.slice(end + 4 + length);
    return { head, body };
  }

  async #more(): Promise<boolean> {
    const chunk = new Uint8Array(4096);
    let n: number | null;
    try {
      n = await this.conn.read(chunk);
    } catch {
      return false;
    }
    if (n === null) return false;
    const joined = new Uint8Array(this.#buf.length + n);
    joined.set(this.#buf);
    joined.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = joined;
    return true;
  }
}

/** Writes all of `text` (Latin-1/ASCII). */
async function send(conn: Deno.Conn, text: string | Uint8Array): Promise<void> {
  let bytes = typeof text === "string" ? encoder.encode(text) : text;
  while (bytes.length > 0) bytes = bytes.subarray(await conn.write(bytes));
}

/**
 * A raw TCP server on 127.0.0.1: `handle(conn, index, read)` runs for each accepted
 * connection, `read()` giving the next request (recorded in `server.requests`). The
 * connection is closed when `handle` returns; everything is closed after `fn`.
 */
async function withRawServer(
  handle: (
    conn: Deno.Conn,
    index: number,
    read: () => Promise<{ head: string; body: string } | null>,
  ) => Promise<void>,
  fn: (server: RawServer) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const server: RawServer = {
    url: new URL(`http://127.0.0.1:${listener.addr.port}/ingest`),
    connections: 0,
    requests: [],
  };
  const open = new Set<Deno.Conn>();
  const handlers: Promise<void>[] = [];
  const close = (conn: Deno.Conn) => {
    if (!open.delete(conn)) return;
    try {
      conn.close();
    } catch { /* closed */ }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const index = server.connections++;
        open.add(conn);
        const reader = new RequestReader(conn);
        const read = async () => {
          const req = await reader.next();
          if (req !== null) server.requests.push({ conn: index, ...req });
          return req;
        };
        handlers.push(
          handle(conn, index, read).catch(() => {}).finally(() => close(conn)),
        );
      }
    } catch { /* listener closed */ }
  })();
  try {
    await fn(server);
  } finally {
    listener.close();
    await accepting;
    for (const conn of [...open]) close(conn);
    await Promise.all(handlers);
  }
}

/** A handler answering every request on the connection with `answer(request index)`. */
function answering(answer: (n: number) => string) {
  let n = 0;
  return async (
    conn: Deno.Conn,
    _index: number,
    read: () => Promise<{ head: string; body: string } | null>,
  ) => {
    while (await read() !== null) await send(conn, answer(n++));
  };
}

/** `promise`, or a failure after `ms` (a wait that would otherwise hang the test run). */
async function within<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A promise with its resolve function. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

Deno.test("http1: a chunked response is decoded (extensions and trailers ignored)", async () => {
  await withRawServer(
    answering(() =>
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n" +
      "5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n"
    ),
    async (server) => {
      await withClient(async (http1) => {
        for (let i = 0; i < 2; i++) {
          const res = await http1(server.url, { method: "POST", body: "x" });
          assert.equal(res.status, 200);
          assert.equal(await res.text(), "hello 0123456789");
        }
        assert.equal(server.connections, 1, "kept after a chunked body");
      });
    },
  );
});

Deno.test("http1: a response written one byte at a time parses", async () => {
  const answer = "HTTP/1.1 201 Created\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  await withRawServer(async (conn, _i, read) => {
    (conn as Deno.TcpConn).setNoDelay(true);
    while (await read() !== null) {
      for (const byte of encoder.encode(answer)) {
        await send(conn, new Uint8Array([byte]));
        await new Promise((r) => setTimeout(r, 0));
      }
    }
  }, async (server) => {
    let reads = 0; // reads that returned bytes, on the client side
    const http1 = client({
      connect: async (url) => {
        const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
        const read = conn.read.bind(conn);
        conn.read = async (p) => {
          const n = await read(p);
          if (n !== null) reads++;
          return n;
        };
        return conn;
      },
    });
    try {
      const res = await http1(server.url, { method: "POST", body: "x" });
      assert.ok(reads > 20, `the answer came in ${reads} reads`);
      assert.equal(res.status, 201);
      assert.equal(res.headers.get("x-a"), "1");
      assert.equal(await res.text(), "abcde");
    } finally {
      http1.close();
    }
  });
});

Deno.test("http1: 100 Continue (and 103) before the real response are skipped", async () => {
  await withRawServer(
    answering(() =>
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" +
      "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok"
    ),
    async (server) => {
      await withClient(async (http1) => {
        const res = await http1(server.url, { method: "POST", body: "x" });
        assert.equal(res.status, 202);
        assert.equal(res.headers.get("link"), null);
        assert.equal(await res.text(), "ok");
      });
    },
  );
});

Deno.test("http1: Connection: close → the next request opens a new connection", async () => {
  const closedByClient = deferred<boolean>();
  await withRawServer(async (conn, index, read) => {
    await read();
    await send(conn, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\na");
    if (index === 0) closedByClient.resolve(await read() === null);
  }, async (server) => {
    await withClient(async (http1) => {
      assert.equal(await (await http1(server.url, { method: "POST", body: "1" })).text(), "a");
      assert.ok(await within(closedByClient.promise, "the client closes the first connection"));
      assert.equal(await (await http1(server.url, { method: "POST", body: "2" })).text(), "a");
      assert.deepEqual(server.requests.map((r) => [r.conn, r.body]), [[0, "1"], [1, "2"]]);
    });
  });
});

Deno.test("http1: HTTP/1.0 without keep-alive is not reused; with keep-alive it is", async () => {
  for (const [connection, expected] of [["", 2], ["Connection: keep-alive\r\n", 1]] as const) {
    await withRawServer(
      answering(() => `HTTP/1.0 200 OK\r\n${connection}Content-Length: 1\r\n\r\na`),
      async (server) => {
        await withClient(async (http1) => {
          await (await http1(server.url, { method: "POST", body: "1" })).text();
          await (await http1(server.url, { method: "POST", body: "2" })).text();
          assert.equal(server.connections, expected, JSON.stringify(connection));
        });
      },
    );
  }
});

Deno.test("http1: a body without length runs until EOF; the connection is not reused", async () => {
  await withRawServer(async (conn, _i, read) => {
    await read();
    await send(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ");
    await send(conn, "the end");
    // Returning closes the connection: the end of the body.
  }, async (server) => {
    await withClient(async (http1) => {
      assert.equal(await (await http1(server.url, { method: "POST" })).text(), "until the end");
      assert.equal(await (await http1(server.url, { method: "POST" })).text(), "until the end");
      assert.equal(server.connections, 2);
    });
  });
});

Deno.test("http1: an idle connection the server closed is retried once on a fresh one", async () => {
  const closedIdle = deferred();
  await withRawServer(async (conn, index, read) => {
    await read();
    await send(conn, `HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${index}`);
    if (index === 0) {
      conn.close(); // the server's idle timeout, without saying Connection: close
      closedIdle.resolve();
      return;
    }
    while (await read() !== null) await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
  }, async (server) => {
    await withClient(async (http1) => {
      assert.equal(await (await http1(server.url, { method: "POST", body: "first" })).text(), "0");
      await closedIdle.promise;
      await new Promise((r) => setTimeout(r, 20)); // let the FIN arrive
      const res = await http1(server.url, { method: "POST", body: "second" });
      assert.equal(await res.text(), "1");
      assert.deepEqual(server.requests.map((r) => [r.conn, r.body]), [[0, "first"], [
        1,
        "second",
      ]]);
    });
  });
});

Deno.test("http1: a fresh connection closed before any response is an error (no retry)", async () => {
  await withRawServer(async (_conn, _i, read) => {
    await read(); // and close without answering
  }, async (server) => {
    await withClient(async (http1) => {
      const e = await rejection(http1(server.url, { method: "POST", body: "x" }));
      assert.ok(e instanceof Error);
      assert.match(e.message, /closed the connection before responding|reset/i);
      assert.doesNotMatch(e.message, SENDER_CONNECT_ERROR);
      assert.equal(server.connections, 1);
      assert.equal(server.requests.length, 1);
    });
  });
});

Deno.test("http1: malformed or refused answers reject, naming what was wrong, and close the connection", async () => {
  const cases: [string, RegExp, number?][] = [
    ["HTTP/1.1 2OO OK\r\n\r\n", /malformed status line/],
    ["ICY 200 OK\r\n\r\n", /malformed status line/],
    ["HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n", /unexpected status 600/],
    ["HTTP/1.1 101 Switching Protocols\r\n\r\n", /unexpected status 101/],
    ["HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", /malformed header line/],
    ["HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", /malformed header line/],
    ["HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n", /obsolete line folding/],
    ["HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", /malformed value of header X-A/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", /malformed Content-Length/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", /conflicting/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", /malformed chunk size/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", /no CRLF after/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", /unsupported Transfer-Encoding/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", /exceeds 50 bytes/, 50],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n", /exceeds 50 bytes/, 50],
    ["HTTP/1.1 200 OK\r\nX-Big: " + "x".repeat(2000) + "\r\n\r\n", /larger than 1024 bytes/],
  ];
  for (const [answer, expected, maxBodyBytes] of cases) {
    const closed = deferred<boolean>();
    await withRawServer(async (conn, _i, read) => {
      await read();
      await send(conn, answer);
      closed.resolve(await read() === null);
    }, async (server) => {
      await withClient(async (http1) => {
        const e = await rejection(http1(server.url, { method: "POST", body: "x" }));
        assert.ok(e instanceof Error, String(e));
        assert.match(e.message, expected, JSON.stringify(answer));
        assert.doesNotMatch(e.message, SENDER_CONNECT_ERROR);
        assert.ok(
          await within(closed.promise, `connection closed after ${JSON.stringify(answer)}`),
        );
      }, { maxHeaderBytes: 1024, maxBodyBytes });
    });
  }
});

Deno.test("http1: oversize response headers → error", async () => {
  await withRawServer(
    answering(() => "HTTP/1.1 200 OK\r\n" + "X-Filler: 0123456789\r\n".repeat(4000) + "\r\n"),
    async (server) => {
      await withClient(async (http1) => { // default limit: 64 KiB; this head is ~92 KB
        const e = await rejection(http1(server.url, { method: "POST", body: "x" }));
        assert.match((e as Error).message, /response head larger than 65536 bytes/);
      });
    },
  );
});

Deno.test("http1: connection refused → 'tcp connect error: …', as the Sender classifies it", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await withClient(async (http1) => {
    const e = await rejection(http1(`http://127.0.0.1:${port}/x`, { method: "POST", body: "x" }));
    assert.ok(e instanceof Error);
    assert.ok(e.message.startsWith(CONNECT_ERROR_PREFIX), e.message);
    assert.ok(e.message.startsWith("tcp connect error: "), e.message);
    assert.match(e.message, SENDER_CONNECT_ERROR);
    assert.ok(e.cause instanceof Deno.errors.ConnectionRefused);

    // And the Sender calls it "provably not stored".
    const sender = new Sender({
      serverUrl: new URL(`http://127.0.0.1:${port}`),
      tokens: new TokenSources({ secret: "0123456789abcdef0123456789abcdef", now: Date.now })
        .forHost,
      fetch: http1,
      timeoutMs: 5000,
      now: Date.now,
    });
    const outcome = await sender.send({ id: "b", host: "h", body: encoder.encode("{}") });
    assert.equal(outcome.kind, "retry");
    assert.equal(outcome.kind === "retry" && outcome.notStored, true);
  });
});

Deno.test("http1: an aborted signal rejects at once with its reason, without connecting", async () => {
  await withRawServer(
    answering(() => "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    async (server) => {
      await withClient(async (http1) => {
        const controller = new AbortController();
        controller.abort();
        const e = await rejection(http1(server.url, { method: "POST", signal: controller.signal }));
        assert.ok(e instanceof DOMException);
        assert.equal(e.name, "AbortError");
        const reason = new Error("shutting down");
        const e2 = await rejection(http1(server.url, { signal: AbortSignal.abort(reason) }));
        assert.equal(e2, reason);
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(server.connections, 0);
      });
    },
  );
});

Deno.test("http1: an abort mid-request rejects with AbortError and closes the connection", async () => {
  const gotRequest = deferred();
  const serverSawClose = deferred<boolean>();
  await withRawServer(async (_conn, index, read) => {
    if (index > 0) {
      while (await read() !== null) {
        await send(_conn, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
      }
      return;
    }
    await read();
    gotRequest.resolve(); // and never answer
    serverSawClose.resolve(await read() === null);
  }, async (server) => {
    await withClient(async (http1) => {
      const controller = new AbortController();
      const pending = rejection(http1(server.url, { method: "POST", signal: controller.signal }));
      await gotRequest.promise;
      controller.abort();
      const e = await within(pending, "the aborted request rejects");
      assert.ok(e instanceof DOMException);
      assert.equal(e.name, "AbortError");
      assert.ok(await within(serverSawClose.promise, "the server sees the connection closed"));
      // The client is still usable: the next request opens a new connection.
      const res = await http1(server.url, { method: "POST", signal: new AbortController().signal });
      assert.equal(res.status, 200);
      assert.equal(server.connections, 2);
    });
  });
});

Deno.test("http1: header injection, bad names and unsupported inputs are refused before sending", async () => {
  await withRawServer(
    answering(() => "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    async (server) => {
      await withClient(async (http1) => {
        const refused: [string, Parameters<typeof http1>][] = [
          ["CR LF in a value", [server.url, { headers: { "X-A": "1\r\nInjected: yes" } }]],
          ["LF in a value", [server.url, { headers: { "X-A": "1\nInjected: yes" } }]],
          ["CR in a value", [server.url, { headers: [["X-A", "1\rx"]] }]],
          ["a name with a colon", [server.url, { headers: { "X-A: 1\r\nY": "2" } }]],
          ["a name with a space", [server.url, { headers: { "X A": "2" } }]],
          ["a value beyond Latin-1", [server.url, { headers: { "X-A": "€" } }]],
          ["a method with a space", [server.url, { method: "POST /x" }]],
          ["a GET with a body", [server.url, { body: "x" }]],
          ["ftp:", ["ftp://127.0.0.1/x", {}]],
          ["credentials", [`http://u:p@${server.url.host}/`, {}]],
          ["a stream body", [server.url, { method: "POST", body: new Blob(["x"]).stream() }]],
        ];
        for (const [what, args] of refused) {
          const e = await rejection(http1(...args));
          assert.ok(e instanceof TypeError, `${what}: ${e}`);
        }
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(server.connections, 0);
      });
    },
  );
});

Deno.test("http1: a caller's Host and Content-Length are replaced by the client's own", async () => {
  await withRawServer(
    answering(() => "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    async (server) => {
      await withClient(async (http1) => {
        await http1(server.url, {
          method: "post",
          body: "abc",
          headers: new Headers({ "Host": "evil.example", "Content-Length": "99", "X-B": "b" }),
        });
        const head = server.requests[0].head;
        assert.equal(
          head,
          `POST /ingest HTTP/1.1\r\nHost: ${server.url.host}\r\nx-b: b\r\nContent-Length: 3`,
        );
        assert.equal(server.requests[0].body, "abc");
      });
    },
  );
});

/** Whether this machine has an IPv6 loopback to listen on. */
const IPV6 = (() => {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "http1: an IPv6 literal host ([::1]) works (needs IPv6 loopback)",
  ignore: !IPV6,
  async fn() {
    const listener = Deno.listen({ hostname: "::1", port: 0 });
    const serving = (async () => {
      const conn = await listener.accept();
      const reader = new RequestReader(conn);
      const req = await reader.next();
      await send(
        conn,
        `HTTP/1.1 200 OK\r\nContent-Length: ${req!.head.length}\r\n\r\n${req!.head}`,
      );
      await reader.next(); // until the client closes
      conn.close();
    })();
    const http1 = client();
    try {
      const res = await http1(`http://[::1]:${listener.addr.port}/v6`, { method: "POST" });
      assert.equal(
        await res.text(),
        `POST /v6 HTTP/1.1\r\nHost: [::1]:${listener.addr.port}\r\nContent-Length: 0`,
      );
    } finally {
      http1.close();
      await serving;
      listener.close();
    }
  },
});

// ---------------------------------------------------------------------------------------
// TLS

/** Whether `openssl` can be run (to make a self-signed certificate). */
const OPENSSL = (() => {
  try {
    return new Deno.Command("openssl", { args: ["version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();
if (!OPENSSL) console.log("http1_client_test: no openssl, the https test is skipped");

/** A self-signed certificate for 127.0.0.1 and localhost, made by openssl. */
async function selfSigned(): Promise<{ cert: string; key: string }> {
  const dir = await Deno.makeTempDir({ prefix: "http1_tls_" });
  try {
    const out = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-addext",
        "basicConstraints=critical,CA:FALSE", // rustls refuses a CA as the server's certificate
        "-keyout",
        `${dir}/key.pem`,
        "-out",
        `${dir}/cert.pem`,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`openssl: ${decoder.decode(out.stderr)}`);
    return {
      cert: await Deno.readTextFile(`${dir}/cert.pem`),
      key: await Deno.readTextFile(`${dir}/key.pem`),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "http1: https against Deno.serve with a self-signed certificate (needs openssl)",
  ignore: !OPENSSL,
  fn: async () => {
    const tls = await selfSigned();
    await withServe((n) => new Response(`tls ${n}`, { status: 202 }), async (url, received) => {
      await withClient(async (http1) => {
        for (let i = 0; i < 2; i++) {
          const res = await http1(new URL("/api/v1/metrics", url), {
            method: "POST",
            body: `secret ${i}`,
          });
          assert.equal(res.status, 202);
          assert.equal(await res.text(), `tls ${i}`);
        }
        assert.deepEqual(received.map((r) => decoder.decode(r.body)), ["secret 0", "secret 1"]);
        assert.equal(new Set(received.map((r) => r.port)).size, 1, "one connection");
      }, {
        connect: (u) =>
          Deno.connectTls({ hostname: u.hostname, port: Number(u.port), caCerts: [tls.cert] }),
      });

      // Without the CA the handshake fails: a connect error, nothing was sent.
      const untrusting = client();
      try {
        const e = await rejection(untrusting(url, { method: "POST", body: "x" }));
        assert.ok(e instanceof Error);
        assert.ok(e.message.startsWith("tcp connect error: "), e.message);
        assert.match(e.message, SENDER_CONNECT_ERROR);
        assert.equal(received.length, 2);
      } finally {
        untrusting.close();
      }
    }, tls);
  },
});
