/**
 * `POST /api/v1/metrics`: an agent sends a `MetricBatch`; 202 once the rows are committed.
 *
 * Rules: scope `ingest` (or `admin`); the batch `host` must equal the token's `sub`, so an
 * agent can only write its own host's data (403 otherwise); every sample must lie between
 * now − retention and now + 10 min; a batch id already stored answers
 * `{"ingested":0,"duplicate":true}`. `X-Agent-Version`, when present, must be at most 64
 * printable ASCII characters (400 otherwise) and is recorded for the host.
 */
import { Hono } from "hono";
import { validateBatch } from "../../../shared/metric.ts";
import type { MetricStore } from "../../storage/metric_store.ts";
import type { AppEnv } from "../app_env.ts";
import { checkBatchWindow } from "../batch_window.ts";
import { agentIngest, refuseOtherHost } from "../middleware/agent_ingest.ts";

/** What the ingest route needs. */
export interface IngestDeps {
  store: MetricStore;
  secret: string;
  now: () => number;
  retentionMs: number;
  bodyLimitBytes: number;
}

/** The ingest route, mounted at `/api/v1/metrics`. */
export function metricsIngestRoutes(deps: IngestDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post(
    "/api/v1/metrics",
    ...agentIngest(deps),
    async (c) => {
      const validation = validateBatch(c.get("body"));
      if (!validation.ok) return c.json({ error: validation.error }, 400);
      const batch = validation.value;
      const otherHost = refuseOtherHost(c, batch.host, "batch");
      if (otherHost) return otherHost;
      const now = deps.now();
      const windowError = checkBatchWindow(batch, now, deps.retentionMs);
      if (windowError) return c.json({ error: windowError }, 400);
      const result = await deps.store.ingest(batch, c.get("agentVersion"), new Date(now));
      if (result.duplicate) return c.json({ ingested: 0, duplicate: true }, 202);
      return c.json({ ingested: result.ingested }, 202);
    },
  );
  return app;
}
