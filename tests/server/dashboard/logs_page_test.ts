/**
 * The logs page on the log API (`logsRoutes` with an in-memory store): the filters in the
 * URL become the API's query, entries render newest first with their level and escaped,
 * "load older" carries the API's cursor, and the live tail streams through the dashboard's
 * pass-through with the cookie. Without the log API the page says search is unavailable.
 */
import assert from "node:assert/strict";
import { LogBroadcaster, matchesSearch } from "../../../server/logs/broadcaster.ts";
import type { LogSearch, LogStore, StoredLogEntry } from "../../../server/logs/log_store.ts";
import { logsRoutes } from "../../../server/http/routes/logs.ts";
import { logsQuery } from "../../../server/dashboard/page_routes.tsx";
import { TEST_SECRET } from "../http/tokens.ts";
import { dashboardTest, openDashboard } from "./harness.ts";

const T = Date.parse("2025-06-01T11:59:00Z");

function entry(
  id: number,
  level: StoredLogEntry["level"],
  message: string,
  host = "web-1",
): StoredLogEntry {
  return {
    id: BigInt(id),
    timeUs: BigInt(T + id * 1000) * 1000n,
    host,
    source: "/var/log/app.log",
    level,
    message,
    file: "f1",
    offset: id * 100,
    truncated: false,
  };
}

/** A store answering from memory, newest first, recording the searches it got. */
function memoryStore(entries: StoredLogEntry[]) {
  const searches: LogSearch[] = [];
  const store: LogStore = {
    ingest: () => Promise.reject(new Error("not used")),
    search: (s) => {
      searches.push(s);
      const match = matchesSearch(s);
      const sorted = [...entries]
        .filter((e) =>
          match(e) && (s.fromMs === null || e.timeUs >= BigInt(s.fromMs) * 1000n) &&
          (s.toMs === null || e.timeUs < BigInt(s.toMs) * 1000n)
        )
        .sort((a, b) => Number(b.timeUs - a.timeUs));
      const after = s.after;
      const rest = after ? sorted.filter((e) => e.timeUs < after.timeUs) : sorted;
      const page = rest.slice(0, s.limit);
      const more = rest.length > s.limit;
      const last = page[page.length - 1];
      return Promise.resolve({
        entries: page,
        next: more && last ? { timeUs: last.timeUs, id: last.id } : null,
      });
    },
  };
  return { store, searches };
}

dashboardTest(
  "logs page: filters from the URL, newest first, levels, escaping, load older",
  async () => {
    const entries = [
      entry(1, "info", "started"),
      entry(2, "error", `<script>alert("log")</script> boom`),
      ...Array.from({ length: 120 }, (_, i) => entry(10 + i, "warn", `slow request ${i}`)),
    ];
    const { store, searches } = memoryStore(entries);
    const broadcaster = new LogBroadcaster({ maxSubscribers: 10 });
    const h = await openDashboard({
      extend: (app, now) =>
        app.route(
          "/",
          logsRoutes({ store, broadcaster, secret: TEST_SECRET, now, bodyLimitBytes: 1 << 20 }),
        ),
    });
    try {
      const cookie = await h.signIn();
      const res = await h.request(
        "/logs?q=boom&host=web-1&level=warn&source=%2Fvar%2Flog%2Fapp.log&from=2025-06-01T11%3A00&to=",
        { cookie },
      );
      assert.equal(res.status, 200);
      const html = await res.text();
      const s = searches.at(-1)!;
      assert.deepEqual(
        [s.q, s.host, s.minLevel, s.source, s.fromMs, s.toMs, s.limit],
        [
          "boom",
          "web-1",
          "warn",
          "/var/log/app.log",
          Date.parse("2025-06-01T11:00:00Z"),
          null,
          100,
        ],
      );
      assert.match(html, /name="q" value="boom"/);
      assert.match(html, /<option value="warn" selected>warn<\/option>/);
      assert.doesNotMatch(html, /<script>alert/);
      assert.match(html, /&lt;script&gt;alert\(&quot;log&quot;\)&lt;\/script&gt; boom/);
      assert.match(html, /<span class="level level-error">error<\/span>/);
      assert.match(
        html,
        /data-api-query="q=boom&amp;host=web-1&amp;level=warn&amp;source=%2Fvar%2Flog%2Fapp.log&amp;from=2025-06-01T11%3A00%3A00.000Z"/,
      );

      const all = await (await h.request("/logs", { cookie })).text();
      const ids = [...all.matchAll(/<tr data-id="(\d+)"/g)].map((m) => Number(m[1]));
      assert.equal(ids.length, 100);
      assert.deepEqual(ids.slice(0, 3), [129, 128, 127], "newest first");
      const older = /id="load-older" href="([^"]+)"/.exec(all)![1].replaceAll("&amp;", "&");
      const page2 = await (await h.request(older, { cookie })).text();
      const ids2 = [...page2.matchAll(/<tr data-id="(\d+)"/g)].map((m) => Number(m[1]));
      assert.deepEqual(ids2, [
        ...Array.from({ length: 20 }, (_, i) => 29 - i),
        2,
        1,
      ], "the rest, by cursor");
      assert.match(page2, /No older entries/);
      assert.match(page2, /Back to newest/);

      // The same page through the JSON pass-through, with the cookie.
      const api = await (await h.request("/dashboard/api/v1/logs/query?level=error", { cookie }))
        .json();
      assert.deepEqual(api.entries.map((e: { id: number }) => e.id), [2]);

      const bad = await h.request("/logs?from=yesterday", { cookie });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /from must be a date and time/);
      const refused = await h.request("/logs?level=loud", { cookie });
      assert.equal(refused.status, 400);
      assert.match(await refused.text(), /That search cannot run: level must be one of/);
    } finally {
      await h.stop();
    }
  },
);

dashboardTest(
  "logs page: the live tail streams through the pass-through and ends when the server stops",
  async () => {
    const { store } = memoryStore([]);
    const broadcaster = new LogBroadcaster({ maxSubscribers: 10 });
    const h = await openDashboard({
      extend: (app, now) =>
        app.route(
          "/",
          logsRoutes({ store, broadcaster, secret: TEST_SECRET, now, bodyLimitBytes: 1 << 20 }),
        ),
    });
    try {
      const cookie = await h.signIn();
      const res = await h.request("/dashboard/api/v1/logs/stream?level=error", { cookie });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type")!, /text\/event-stream/);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes("event: ready")) text += (await reader.read()).value ?? "";
      broadcaster.publish([entry(7, "info", "quiet"), entry(8, "error", "disk full")]);
      while (!text.includes("event: log")) text += (await reader.read()).value ?? "";
      const data = JSON.parse(/event: log\ndata: (.*)/.exec(text)![1]);
      assert.equal(data.message, "disk full", "only entries matching the filter");
      assert.equal(broadcaster.size, 1);
      await h.stop(); // ends every dashboard stream, as a shutdown does
      while (!(await reader.read()).done) { /* drain */ }
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(broadcaster.size, 0, "the API's subscription is closed too");
    } finally {
      await h.stop();
    }
  },
);

dashboardTest("logs page: without the log API the page says search is unavailable", async () => {
  const h = await openDashboard();
  try {
    const html = await (await h.request("/logs", { cookie: await h.signIn() })).text();
    assert.match(html, /This server has no log API/);
    assert.match(html, /data-available="0"/);
  } finally {
    await h.stop();
  }
});

Deno.test("logs page: typed filters become the API's query (UTC times in ISO 8601)", () => {
  const ok = logsQuery({
    q: " a b ",
    host: " web ",
    level: "",
    source: "",
    from: "2025-06-01T10:00",
    to: "2025-06-01T11:00:30Z",
  });
  assert.deepEqual(ok.ok && [...ok.params], [
    ["q", " a b "],
    ["host", "web"],
    ["from", "2025-06-01T10:00:00.000Z"],
    ["to", "2025-06-01T11:00:30.000Z"],
  ]);
  assert.equal(
    ok.ok && ok.filterQuery,
    "q=+a+b+&host=web&from=2025-06-01T10%3A00&to=2025-06-01T11%3A00%3A30Z",
  );
  const bad = logsQuery({ q: "", host: "", level: "", source: "", from: "", to: "noon" });
  assert.deepEqual(bad, { ok: false, error: "to must be a date and time (UTC)" });
});
