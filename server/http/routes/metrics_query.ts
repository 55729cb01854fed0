/**
 * `GET /api/v1/metrics/query` (time-bucketed series) and `GET /api/v1/metrics/latest`
 * (newest value of every series of a host); scope `read` (or `admin`).
 */
import { Hono } from "hono";
import type { MetricStore } from "../../storage/metric_store.ts";
import type { AppEnv } from "../app_env.ts";
import { requireAuth } from "../middleware/auth.ts";
import { parseLatestParams, parseMetricQuery } from "../query_params.ts";

/** What the query routes need. */
export interface QueryDeps {
  store: MetricStore;
  secret: string;
  now: () => number;
  retentionMs: number;
}

function searchParams(url: string): URLSearchParams {
  return new URL(url).searchParams;
}

/** The query routes. */
export function metricsQueryRoutes(deps: QueryDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/api/v1/metrics/query", requireAuth("read", deps), async (c) => {
    const parsed = parseMetricQuery(searchParams(c.req.url), {
      nowMs: deps.now(),
      retentionMs: deps.retentionMs,
    });
    if (!parsed.ok) return c.json({ error: parsed.error }, 400);
    const q = parsed.value;
    const series = await deps.store.query(q);
    return c.json({
      host: q.host,
      name: q.name,
      from: q.from.toISOString(),
      to: q.to.toISOString(),
      bucket: q.bucket,
      agg: q.agg,
      series,
    });
  });
  app.get("/api/v1/metrics/latest", requireAuth("read", deps), async (c) => {
    const parsed = parseLatestParams(searchParams(c.req.url));
    if (!parsed.ok) return c.json({ error: parsed.error }, 400);
    const metrics = await deps.store.latest(parsed.value);
    return c.json({ host: parsed.value, metrics });
  });
  return app;
}
