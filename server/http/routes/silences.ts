/**
 * Silences: `GET /api/v1/silences` (scope `read`; `?all=true` includes expired ones),
 * `POST /api/v1/silences` and `DELETE /api/v1/silences/{id}` (scope `admin`).
 */
import { Hono } from "hono";
import type { AlertingApi } from "../../alerts/alerting_api.ts";
import { type Silence, silenceStatus, validateSilenceInput } from "../../alerts/silences.ts";
import type { AppEnv } from "../app_env.ts";
import { requireAuth } from "../middleware/auth.ts";
import { jsonBody } from "../middleware/json_body.ts";
import { parseSilenceListParams } from "./alerts_params.ts";

/** Largest silence request body. */
export const SILENCE_BODY_LIMIT_BYTES = 64 * 1024;

/** What the silence routes need. */
export interface SilenceRoutesDeps {
  api: AlertingApi;
  secret: string;
  now: () => number;
}

function view(s: Silence, now: number) {
  return {
    id: s.id,
    matchers: s.matchers,
    starts_at: new Date(s.startsAt).toISOString(),
    ends_at: new Date(s.endsAt).toISOString(),
    comment: s.comment,
    created_by: s.createdBy,
    created_at: new Date(s.createdAt).toISOString(),
    status: silenceStatus(s, now),
  };
}

/** The silence routes. */
export function silencesRoutes(deps: SilenceRoutesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { api } = deps;

  app.get("/api/v1/silences", requireAuth("read", deps), async (c) => {
    const parsed = parseSilenceListParams(new URL(c.req.url).searchParams);
    if (!parsed.ok) return c.json({ error: parsed.error }, 400);
    const now = deps.now();
    const list = await api.silences.list(now, parsed.value.all);
    return c.json({ silences: list.map((s) => view(s, now)) });
  });

  app.post(
    "/api/v1/silences",
    requireAuth("admin", deps),
    jsonBody(SILENCE_BODY_LIMIT_BYTES),
    async (c) => {
      const now = deps.now();
      const input = validateSilenceInput(c.get("body"), now);
      if (!input.ok) return c.json({ error: input.error }, 400);
      const created = await api.silences.create(input.value, api.newId(), c.get("claims").sub, now);
      c.get("log").info("silence created", { silence: created.id, by: created.createdBy });
      return c.json(view(created, now), 201);
    },
  );

  app.delete("/api/v1/silences/:id", requireAuth("admin", deps), async (c) => {
    const id = c.req.param("id");
    const result = await api.silences.expire(id, deps.now());
    if (result === "missing") return c.json({ error: "silence not found" }, 404);
    c.get("log").info("silence expired", { silence: id, by: c.get("claims").sub });
    return c.json({ id, expired: true, already: result === "expired" });
  });
  return app;
}
