/**
 * `GET /api/v1/notifications` (scope `read`): the outbox with each message's delivery
 * status, newest first; `?delivery=pending|delivered|failed&limit=`.
 */
import { Hono } from "hono";
import type { AlertingApi } from "../../alerts/alerting_api.ts";
import type { AppEnv } from "../app_env.ts";
import { requireAuth } from "../middleware/auth.ts";
import { parseNotificationParams } from "./alerts_params.ts";

/** What the notifications route needs. */
export interface NotificationRoutesDeps {
  api: AlertingApi;
  secret: string;
  now: () => number;
}

/** The notifications route. */
export function notificationsRoutes(deps: NotificationRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/api/v1/notifications", requireAuth("read", deps), async (c) => {
    const parsed = parseNotificationParams(new URL(c.req.url).searchParams);
    if (!parsed.ok) return c.json({ error: parsed.error }, 400);
    return c.json({ notifications: await deps.api.outbox.list(parsed.value) });
  });
  return app;
}
