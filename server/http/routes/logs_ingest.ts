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
import { agentIngest, refuseOtherHost } from "../middleware/agent_ingest.ts";

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
    ...agentIngest(deps),
    async (c) => {
      const validation = validateLogBatch(c.get("body"));
      if (!validation.ok) return c.json({ error: validation.error }, 400);
      const batch = validation.value;
      const otherHost = refuseOtherHost(c, batch.host, "log batch");
      if (otherHost) return otherHost;
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
