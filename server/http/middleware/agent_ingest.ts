/**
 * The front of every agent ingest route (`/api/v1/metrics`, `/api/v1/logs`), in order:
 * an `ingest` (or `admin`) token, a valid `X-Agent-Version` (checked before the body is
 * read, so a bad header costs the server nothing; set as `agentVersion`), then the JSON body
 * within the limit. `refuseOtherHost` is the one rule after validation: an agent writes only
 * its own host's data.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app_env.ts";
import { parseAgentVersion } from "../agent_version.ts";
import { type AuthOptions, requireAuth } from "./auth.ts";
import { jsonBody } from "./json_body.ts";

/** The middleware chain before an ingest handler: auth, agent version, JSON body. */
export function agentIngest(
  deps: AuthOptions & { bodyLimitBytes: number },
): [MiddlewareHandler<AppEnv>, MiddlewareHandler<AppEnv>, MiddlewareHandler<AppEnv>] {
  return [
    requireAuth("ingest", deps),
    async (c, next) => {
      const version = parseAgentVersion(c.req.header("x-agent-version") ?? null);
      if (!version.ok) return c.json({ error: version.error }, 400);
      c.set("agentVersion", version.value);
      await next();
    },
    jsonBody(deps.bodyLimitBytes),
  ];
}

/** A 403 (logged) when the batch's host is not the token's subject; null when it is. */
export function refuseOtherHost(c: Context<AppEnv>, host: string, what: string): Response | null {
  const claims = c.get("claims");
  if (host === claims.sub) return null;
  c.get("log").warn(`${what} for another host refused`, {
    token_sub: claims.sub,
    batch_host: host,
  });
  return c.json({ error: "batch host does not match the token subject" }, 403);
}
