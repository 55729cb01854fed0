/**
 * `GET /api/v1/logs/stream?q&host&level&source` (scope `read`): a live tail as server-sent
 * events, with the search's filters. Events:
 *
 * - `ready` once the subscription is in place (entries stored from then on are sent);
 * - `log` per entry, `data` the entry as the search answers it, `id` its id;
 * - `dropped` with `{"dropped": n}` when the client read too slowly and `n` entries were
 *   skipped (at most 1,000 wait per client);
 * - a `: keepalive` comment every 15 s without entries, so proxies keep the connection.
 *
 * 503 when `LOGS_STREAM_MAX_CLIENTS` tails are connected to this replica already.
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { type LogBroadcaster, matchesSearch } from "../../logs/broadcaster.ts";
import { entryJson } from "../../logs/entry_json.ts";
import { parseLogSearch } from "../../logs/search_params.ts";
import type { AppEnv } from "../app_env.ts";
import { requireAuth } from "../middleware/auth.ts";

/** Default time between keepalive comments. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/** What the live tail route needs. */
export interface LogsStreamDeps {
  broadcaster: LogBroadcaster;
  secret: string;
  now: () => number;
  heartbeatMs?: number;
}

/** The live tail route. */
export function logsStreamRoutes(deps: LogsStreamDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const heartbeatMs = deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  app.get("/api/v1/logs/stream", requireAuth("read", deps), (c) => {
    const parsed = parseLogSearch(new URL(c.req.url).searchParams, { stream: true });
    if (!parsed.ok) return c.json({ error: parsed.error }, 400);
    const sub = deps.broadcaster.subscribe(matchesSearch(parsed.value.search));
    if (!sub) {
      c.get("log").warn("live tail refused: too many connections", {
        connections: deps.broadcaster.size,
      });
      return c.json({ error: "too many live-tail connections; try again later" }, 503);
    }
    const log = c.get("log");
    return streamSSE(c, async (stream) => {
      const closed = new AbortController();
      stream.onAbort(() => {
        closed.abort();
        sub.close();
      });
      try {
        await stream.writeSSE({ event: "ready", data: "{}" });
        while (!closed.signal.aborted) {
          const beat = new AbortController();
          const timer = setTimeout(() => beat.abort(), heartbeatMs);
          const { entries, dropped } = await sub.next(
            AbortSignal.any([closed.signal, beat.signal]),
          );
          clearTimeout(timer);
          if (closed.signal.aborted) break;
          if (dropped > 0) {
            await stream.writeSSE({ event: "dropped", data: JSON.stringify({ dropped }) });
          }
          for (const e of entries) {
            await stream.writeSSE({
              event: "log",
              id: e.id.toString(),
              data: JSON.stringify(entryJson(e)),
            });
          }
          if (entries.length === 0 && dropped === 0) await stream.write(": keepalive\n\n");
        }
      } finally {
        sub.close();
      }
    }, (err) => {
      log.warn("live tail ended with an error", { error: err.message });
      sub.close();
      return Promise.resolve();
    });
  });
  return app;
}
