/**
 * `POST /api/v1/logs`: an agent sends a `LogBatch`; 202 once the new entries are committed.
 *
 * Rules, as for metrics: scope `ingest` (or `admin`); the batch `host` must equal the token's
 * `sub` (403 otherwise); the batch is validated by `validateLogBatch` (id, at most 5,000
 * entries, each message at most 64 KiB, …; 400 naming `entries[i]`); `X-Agent-Version`, when
 * present, must be printable ASCII (400). A line already stored (same host, file, offset and
 * time) is not stored again: retries and re-reads are counted as `duplicates`, and a request
 * whose every line was stored before answers `"duplicate": true`. Entries older than
 * `LOGS_RETENTION` or more than 10 minutes ahead are not stored and counted (`skipped_*`),
 * rather than refusing the batch: a log file may well hold lines older than the retention.
 */
import { Hono } from "hono";
import { validateLogBatch } from "../../../shared/log_entry.ts";
import type { LogBroadcaster } from "../../logs/broadcaster.ts";
import type { LogStore } from "../../logs/log_store.ts";
import type { AppEnv } from "../app_env.ts";
import { parseAgentVersion } from "../agent_version.ts";
import { requireAuth } from "../middleware/auth.ts";
import { jsonBody } from "../middleware/json_body.ts";

/** What the log ingest route needs. */
export interface LogsIngestDeps {
  store: LogStore;
  /** Receives every stored entry, for the live tail. */
  broadcaster?: LogBroadcaster;
  secret: string;
  now: () => number;
  bodyLimitBytes: number;
}

/** The log ingest route, mounted at `/api/v1/logs`. */
export function logsIngestRoutes(deps: LogsIngestDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post(
    "/api/v1/logs",
    requireAuth("ingest", deps),
    async (c, next) => {
      const version = parseAgentVersion(c.req.header("x-agent-version") ?? null);
      if (!version.ok) return c.json({ error: version.error }, 400);
      await next();
    },
    jsonBody(deps.bodyLimitBytes),
    async (c) => {
      const validation = validateLogBatch(c.get("body"));
      if (!validation.ok) return c.json({ error: validation.error }, 400);
      const batch = validation.value;
      const claims = c.get("claims");
      if (batch.host !== claims.sub) {
        c.get("log").warn("log batch for another host refused", {
          token_sub: claims.sub,
          batch_host: batch.host,
        });
        return c.json({ error: "batch host does not match the token subject" }, 403);
      }
      const result = await deps.store.ingest(batch, new Date(deps.now()));
      deps.broadcaster?.publish(result.stored);
      const ingested = result.stored.length;
      return c.json({
        ingested,
        duplicates: result.duplicates,
        skipped_too_old: result.tooOld,
        skipped_future: result.future,
        ...(ingested === 0 && result.duplicates > 0 ? { duplicate: true } : {}),
      }, 202);
    },
  );
  return app;
}
