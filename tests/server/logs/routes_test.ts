/**
 * The log routes through `app.request()`, mounted on the real `createApp` as `server/main.ts`
 * will mount them, on real storage (PGlite with pg_trgm, and PostgreSQL when
 * `TEST_DATABASE_URL` is set): ingest rules, search parameters and cursors, the live tail.
 */
import assert from "node:assert/strict";
import { createApp } from "../../../server/http/app.ts";
import { logsRoutes } from "../../../server/http/routes/logs.ts";
import { LogBroadcaster } from "../../../server/logs/broadcaster.ts";
import type { MetricStore } from "../../../server/storage/metric_store.ts";
import type { LogEntry } from "../../../shared/log_entry.ts";
import { createLogger } from "../../../shared/log.ts";
import { validToken } from "../http/tokens.ts";
import { TEST_SECRET } from "../http/tokens.ts";
import { LOG_BACKENDS, type OpenedLogs } from "./log_backends.ts";

const NOW = Date.parse("2025-06-01T12:00:00Z");
const T0 = NOW - 3_600_000;

interface H {
  app: ReturnType<typeof createApp>;
  logs: OpenedLogs;
  broadcaster: LogBroadcaster;
  log: Record<string, unknown>[];
  tokens: { ingest: string; read: string; admin: string; otherIngest: string };
}

function e(i: number, over: Partial<LogEntry> = {}): LogEntry {
  return {
    time: new Date(T0 + i * 1000).toISOString(),
    host: "web-1",
    source: "/var/log/app.log",
    level: "info",
    message: `line ${i}`,
    file: "f1",
    offset: i * 10,
    ...over,
  };
}

const batch = (id: string, entries: LogEntry[], host = "web-1") => ({ id, host, entries });

function routeTest(name: string, fn: (h: H) => Promise<void>, opts: { maxClients?: number } = {}) {
  for (
    const b of LOG_BACKENDS.filter((x) => x.name === "pglite+pg_trgm" || x.name === "postgres")
  ) {
    Deno.test({
      name: `logs http [${b.name}]: ${name}`,
      ignore: !!b.skip,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        const logs = await b.open({ now: () => NOW });
        try {
          const log: Record<string, unknown>[] = [];
          let n = 0;
          const app = createApp({
            store: {} as MetricStore,
            secret: TEST_SECRET,
            now: () => NOW,
            log: createLogger("debug", (l) => log.push(JSON.parse(l))),
            config: {
              retentionMs: 30 * 86_400_000,
              hostStaleAfterMs: 30_000,
              hostDownAfterMs: 60_000,
              requestTimeoutMs: 30_000,
            },
            newRequestId: () => `req-${++n}`,
          });
          const broadcaster = new LogBroadcaster({
            maxSubscribers: opts.maxClients ?? 10,
            maxQueue: 5,
          });
          app.route(
            "/",
            logsRoutes({
              store: logs.store,
              broadcaster,
              secret: TEST_SECRET,
              now: () => NOW,
              bodyLimitBytes: 5 * 1024 * 1024,
              heartbeatMs: 200,
            }),
          );
          const tokens = {
            ingest: await validToken("web-1", "ingest", NOW),
            read: await validToken("reader", "read", NOW),
            admin: await validToken("web-1", "admin", NOW),
            otherIngest: await validToken("web-2", "ingest", NOW),
          };
          await fn({ app, logs, broadcaster, log, tokens });
        } finally {
          await logs.close();
        }
      },
    });
  }
}

function post(h: H, body: unknown, token: string | null, headers: Record<string, string> = {}) {
  return h.app.request("/api/v1/logs", {
    method: "POST",
    body: typeof body === "string" || body instanceof Uint8Array
      ? body as BodyInit
      : JSON.stringify(body),
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
  });
}

function get(h: H, path: string, token: string | null) {
  return h.app.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

async function query(h: H, qs: string) {
  const res = await get(h, `/api/v1/logs/query${qs}`, h.tokens.read);
  return { status: res.status, body: await res.json() };
}

routeTest(
  "POST /api/v1/logs stores a batch and answers 202 with counts; a retry is a duplicate",
  async (h) => {
    const res = await post(h, batch("b1", [e(1), e(2)]), h.tokens.ingest, {
      "x-agent-version": "0.1.0",
    });
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), {
      ingested: 2,
      duplicates: 0,
      skipped_too_old: 0,
      skipped_future: 0,
    });
    const again = await post(h, batch("b1", [e(1), e(2)]), h.tokens.ingest);
    assert.deepEqual(await again.json(), {
      ingested: 0,
      duplicates: 2,
      skipped_too_old: 0,
      skipped_future: 0,
      duplicate: true,
    });
    const admin = await post(h, batch("b2", [e(3)]), h.tokens.admin);
    assert.equal(admin.status, 202);
    const skipped = await post(
      h,
      batch("b3", [e(4, { time: "2020-01-01T00:00:00Z" })]),
      h.tokens.ingest,
    );
    assert.deepEqual(await skipped.json(), {
      ingested: 0,
      duplicates: 0,
      skipped_too_old: 1,
      skipped_future: 0,
    });
  },
);

routeTest("POST /api/v1/logs: gzip bodies are accepted", async (h) => {
  const json = new TextEncoder().encode(JSON.stringify(batch("gz", [e(1)])));
  const gz = new Uint8Array(
    await new Response(new Blob([json]).stream().pipeThrough(new CompressionStream("gzip")))
      .arrayBuffer(),
  );
  const res = await post(h, gz, h.tokens.ingest, { "content-encoding": "gzip" });
  assert.equal(res.status, 202);
});

routeTest("POST /api/v1/logs refusals: 401, 403, 400 naming the entry, 413, 415", async (h) => {
  const ok = batch("b", [e(1)]);
  assert.equal((await post(h, ok, null)).status, 401);
  assert.equal((await post(h, ok, h.tokens.read)).status, 401, "read tokens cannot ingest");
  const other = await post(h, ok, h.tokens.otherIngest);
  assert.equal(other.status, 403);
  assert.deepEqual(await other.json(), { error: "batch host does not match the token subject" });
  const bad = await post(h, batch("b", [e(1), e(2, { level: "loud" as never })]), h.tokens.ingest);
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /^entries\[1\]: level "loud"/);
  const tooMany = await post(
    h,
    batch("b", Array.from({ length: 5001 }, (_, i) => e(i))),
    h.tokens.ingest,
  );
  assert.equal(tooMany.status, 400);
  const long = await post(h, batch("b", [e(1, { message: "x".repeat(65_537) })]), h.tokens.ingest);
  assert.match((await long.json()).error, /message is longer than 65536 bytes/);
  const version = await post(h, ok, h.tokens.ingest, { "x-agent-version": "é" });
  assert.equal(version.status, 400);
  const type = await post(h, ok, h.tokens.ingest, { "content-type": "text/plain" });
  assert.equal(type.status, 415);
  const huge = await post(h, "x".repeat(5 * 1024 * 1024 + 1), h.tokens.ingest);
  assert.equal(huge.status, 413);
  assert.equal((await query(h, "")).body.entries.length, 0, "nothing was stored");
});

routeTest("GET /api/v1/logs/query: filters, newest first, limit, and a cursor walk", async (h) => {
  const entries = Array.from(
    { length: 30 },
    (_, i) =>
      e(i, {
        level: (["info", "warn", "error"] as const)[i % 3],
        message: i === 5 ? "Quota 50% used_up" : `line ${i}`,
      }),
  );
  assert.equal((await post(h, batch("b", entries), h.tokens.ingest)).status, 202);
  const all = await query(h, "");
  assert.equal(all.status, 200);
  assert.equal(all.body.entries.length, 30);
  assert.equal(all.body.entries[0].message, "line 29");
  assert.equal(all.body.next_cursor, null);
  assert.deepEqual(Object.keys(all.body.entries[0]).sort(), [
    "file",
    "host",
    "id",
    "level",
    "message",
    "offset",
    "source",
    "time",
    "truncated",
  ]);
  assert.equal(all.body.entries[0].time, new Date(T0 + 29_000).toISOString());
  const q = await query(h, "?q=" + encodeURIComponent("50%_USED"));
  assert.deepEqual(q.body.entries.map((x: LogEntry) => x.message), []);
  const q2 = await query(h, "?q=" + encodeURIComponent("50% used_"));
  assert.deepEqual(q2.body.entries.map((x: LogEntry) => x.message), ["Quota 50% used_up"]);
  const warn = await query(h, "?level=warning&host=web-1&source=%2Fvar%2Flog%2Fapp.log");
  assert.equal(warn.body.entries.length, 20);
  const range = await query(
    h,
    `?from=${new Date(T0 + 10_000).toISOString()}&to=${new Date(T0 + 13_000).toISOString()}`,
  );
  assert.deepEqual(range.body.entries.map((x: LogEntry) => x.message), [
    "line 12",
    "line 11",
    "line 10",
  ]);
  // Walk with limit 7 and the cursor.
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: { body: { entries: LogEntry[]; next_cursor: string | null } } = await query(
      h,
      `?level=warn&limit=7${cursor ? `&cursor=${cursor}` : ""}`,
    );
    seen.push(...page.body.entries.map((x) => x.message));
    cursor = page.body.next_cursor;
    pages++;
  } while (cursor);
  assert.equal(pages, 3);
  assert.deepEqual(seen, warn.body.entries.map((x: LogEntry) => x.message));
});

routeTest("GET /api/v1/logs/query: bad parameters are 400s naming them; scopes", async (h) => {
  const bad: [string, RegExp][] = [
    ["?level=loud", /level must be one of/],
    ["?limit=0", /limit must be a whole number from 1 to 1000/],
    ["?limit=1001", /limit must be/],
    ["?limit=ten", /limit must be/],
    ["?from=yesterday", /from must be an ISO 8601 instant/],
    ["?from=2025-06-01T12:00:00Z&to=2025-06-01T11:00:00Z", /from must be earlier than to/],
    ["?cursor=not-a-cursor", /cursor is not a cursor this server issued/],
    ["?q=a&q=b", /q is given more than once/],
    ["?sort=asc", /unknown parameter "sort"/],
    ["?host=" + encodeURIComponent("a\u0001"), /host contains control characters/],
  ];
  for (const [qs, re] of bad) {
    const r = await query(h, qs);
    assert.equal(r.status, 400, qs);
    assert.match(r.body.error, re, qs);
  }
  assert.equal((await get(h, "/api/v1/logs/query", null)).status, 401);
  assert.equal(
    (await get(h, "/api/v1/logs/query", h.tokens.ingest)).status,
    401,
    "ingest tokens cannot read",
  );
  assert.equal((await get(h, "/api/v1/logs/query", h.tokens.admin)).status, 200);
  assert.equal((await h.app.request("/api/v1/logs/query", { method: "DELETE" })).status, 405);
});

routeTest("GET /api/v1/logs/query: a cursor only continues the query it came from", async (h) => {
  await post(h, batch("b", Array.from({ length: 5 }, (_, i) => e(i))), h.tokens.ingest);
  const first = await query(h, "?limit=2&level=info");
  assert.ok(first.body.next_cursor);
  const other = await query(h, `?limit=2&level=warn&cursor=${first.body.next_cursor}`);
  assert.equal(other.status, 400);
  assert.match(other.body.error, /cursor belongs to a query with other filters/);
  const same = await query(h, `?limit=3&level=info&cursor=${first.body.next_cursor}`);
  assert.deepEqual(same.body.entries.map((x: LogEntry) => x.message), [
    "line 2",
    "line 1",
    "line 0",
  ]);
});

/** Reads server-sent events from a response until `until` returns true or the time runs out. */
async function readEvents(
  res: Response,
  until: (events: { event: string; data: string; id?: string }[]) => boolean,
  timeoutMs = 5000,
) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: { event: string; data: string; id?: string }[] = [];
  let buf = "";
  const deadline = Date.now() + timeoutMs;
  while (!until(events)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no matching events: ${JSON.stringify(events)}`);
    const r = await Promise.race([
      reader.read(),
      new Promise<null>((r) => setTimeout(() => r(null), left)),
    ]);
    if (r === null || r.done) break;
    buf += r.value;
    let i;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const ev: { event: string; data: string; id?: string } = { event: "message", data: "" };
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) ev.event = line.slice(7);
        else if (line.startsWith("data: ")) ev.data += line.slice(6);
        else if (line.startsWith("id: ")) ev.id = line.slice(4);
        else if (line.startsWith(":")) ev.event = "comment";
      }
      events.push(ev);
    }
  }
  await reader.cancel().catch(() => {});
  return events;
}

routeTest(
  "GET /api/v1/logs/stream: a live tail of newly stored entries, with the search's filters",
  async (h) => {
    const res = await get(h, "/api/v1/logs/stream?level=error&q=BOOM", h.tokens.read);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    const reading = readEvents(res, (ev) => ev.filter((x) => x.event === "log").length >= 2);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.broadcaster.size, 1);
    await post(
      h,
      batch("s1", [
        e(1, { level: "error", message: "boom one" }),
        e(2, { level: "info", message: "boom but info" }),
        e(3, { level: "fatal", message: "quiet" }),
      ]),
      h.tokens.ingest,
    );
    await post(h, batch("s1", [e(1, { level: "error", message: "boom one" })]), h.tokens.ingest); // duplicate: not streamed
    await post(h, batch("s2", [e(4, { level: "fatal", message: "BOOM two" })]), h.tokens.ingest);
    const events = await reading;
    assert.equal(events[0].event, "ready");
    const logs = events.filter((x) => x.event === "log").map((x) => JSON.parse(x.data));
    assert.deepEqual(logs.map((x) => x.message), ["boom one", "BOOM two"]);
    assert.equal(logs[0].level, "error");
    assert.equal(typeof logs[0].id, "number");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.broadcaster.size, 0, "the subscription ends with the connection");
  },
);

routeTest(
  "GET /api/v1/logs/stream: keepalives, dropped counts for slow readers, limits and refusals",
  async (h) => {
    const res = await get(h, "/api/v1/logs/stream", h.tokens.read);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = (await reader.read()).value ?? "";
    assert.match(text, /event: ready/);
    // Not reading while 8 entries arrive: the queue keeps 5 and counts the rest.
    await post(h, batch("d", Array.from({ length: 8 }, (_, i) => e(i))), h.tokens.ingest);
    const deadline = Date.now() + 3000;
    while (!/: keepalive/.test(text) && Date.now() < deadline) {
      text += (await reader.read()).value ?? "";
    }
    assert.match(text, /event: dropped\ndata: \{"dropped":3\}/);
    assert.equal((text.match(/event: log/g) ?? []).length, 5);
    assert.match(text, /: keepalive/);
    await reader.cancel();
    const bad = await get(h, "/api/v1/logs/stream?cursor=x", h.tokens.read);
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /cursor is not supported by the live tail/);
    assert.equal((await get(h, "/api/v1/logs/stream", h.tokens.ingest)).status, 401);
  },
);

routeTest("GET /api/v1/logs/stream: 503 past LOGS_STREAM_MAX_CLIENTS", async (h) => {
  const first = await get(h, "/api/v1/logs/stream", h.tokens.read);
  assert.equal(first.status, 200);
  const second = await get(h, "/api/v1/logs/stream", h.tokens.read);
  assert.equal(second.status, 503);
  assert.deepEqual(await second.json(), {
    error: "too many live-tail connections; try again later",
  });
  await first.body!.cancel();
}, { maxClients: 1 });
