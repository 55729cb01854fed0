/**
 * `GET /api/v1/hosts`: every known host with its last-seen time, agent version and
 * `up | stale | down` status computed from the injected clock; scope `read` (or `admin`).
 */
import { Hono } from "hono";
import type { MetricStore } from "../../storage/metric_store.ts";
import type { AppEnv } from "../app_env.ts";
import { hostStatus, type StatusThresholds } from "../host_status.ts";
import { requireAuth } from "../middleware/auth.ts";

/** What the hosts route needs. */
export interface HostsDeps {
  store: MetricStore;
  secret: string;
  now: () => number;
  thresholds: StatusThresholds;
}

/** The hosts route. */
export function hostsRoutes(deps: HostsDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/api/v1/hosts", requireAuth("read", deps), async (c) => {
    const records = await deps.store.hosts();
    const now = deps.now();
    const hosts = records.map((h) => ({
      host: h.host,
      last_seen: h.lastSeen.toISOString(),
      agent_version: h.agentVersion,
      status: hostStatus(h.lastSeen.getTime(), now, deps.thresholds),
    }));
    return c.json({ hosts });
  });
  return app;
}
