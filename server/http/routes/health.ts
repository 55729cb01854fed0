/**
 * `GET /healthz` (the process is alive) and `GET /readyz` (the database answers), both
 * without authentication so load balancers and orchestrators can call them.
 */
import { Hono } from "hono";
import type { MetricStore } from "../../storage/metric_store.ts";
import type { AppEnv } from "../app_env.ts";

/** What the health routes need. */
export interface HealthDeps {
  store: MetricStore;
  readyTimeoutMs: number;
}

class PingTimeout extends Error {}

async function pingWithin(store: MetricStore, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PingTimeout()), ms);
  });
  try {
    await Promise.race([store.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Health routes: `/healthz` always 200; `/readyz` 200 or 503 when the database fails or is slow. */
export function healthRoutes(deps: HealthDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    try {
      await pingWithin(deps.store, deps.readyTimeoutMs);
      return c.json({ status: "ok" });
    } catch (e) {
      const slow = e instanceof PingTimeout;
      // The database's own message may name hosts or users: log it, answer generically.
      c.get("log").warn("readiness check failed", {
        error: slow ? `no answer within ${deps.readyTimeoutMs} ms` : String((e as Error)?.message),
      });
      return c.json({
        status: "unavailable",
        error: slow ? "database did not answer in time" : "database unavailable",
      }, 503);
    }
  });
  return app;
}
