/**
 * `GET /api/v1/logs/query?q&host&level&source&from&to&limit&cursor` (scope `read`): entries
 * newest first by their own time, `(time DESC, id DESC)`; `q` a case-insensitive substring
 * (`%`, `_` and `\` in it match literally); `level` a minimum; `limit` 1–1,000 (default 100);
 * `next_cursor` continues with the next page (keyset, never OFFSET), null on the last page.
 */
import { Hono } from "hono";
import { encodeCursor } from "../../logs/cursor.ts";
import { entryJson } from "../../logs/entry_json.ts";
import type { LogStore } from "../../logs/log_store.ts";
import { parseLogSearch } from "../../logs/search_params.ts";
import type { AppEnv } from "../app_env.ts";
import { requireAuth } from "../middleware/auth.ts";

/** What the log query route needs. */
export interface LogsQueryDeps {
  store: LogStore;
  secret: string;
  now: () => number;
}

/** The log search route. */
export function logsQueryRoutes(deps: LogsQueryDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/api/v1/logs/query", requireAuth("read", deps), async (c) => {
    const parsed = parseLogSearch(new URL(c.req.url).searchParams, { stream: false });
    if (!parsed.ok) return c.json({ error: parsed.error }, 400);
    const page = await deps.store.search(parsed.value.search);
    return c.json({
      entries: page.entries.map(entryJson),
      next_cursor: page.next ? encodeCursor(page.next, parsed.value.filters) : null,
    });
  });
  return app;
}
