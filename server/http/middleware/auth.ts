/**
 * Requires a valid bearer token allowed to perform a permission. Every refusal is the
 * same 401 `{"error":"unauthorized"}`; the reason goes to the log only.
 */
import type { MiddlewareHandler } from "hono";
import { authenticate } from "../../auth/authenticate.ts";
import type { Permission } from "../../auth/scopes.ts";
import type { AppEnv } from "../app_env.ts";

/** The one body every authentication or authorisation failure gets. */
export const UNAUTHORIZED_BODY = { error: "unauthorized" } as const;

/** What the auth middleware needs. */
export interface AuthOptions {
  secret: string;
  now: () => number;
}

/** Middleware factory: verifies the token and sets `claims`, or answers 401. */
export function requireAuth(permission: Permission, opts: AuthOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const result = await authenticate(
      c.req.header("authorization"),
      permission,
      opts.secret,
      opts.now,
    );
    if (!result.ok) {
      c.get("log").warn("request refused: unauthorized", {
        reason: result.reason,
        method: c.req.method,
        path: c.req.path,
      });
      return c.json(UNAUTHORIZED_BODY, 401, { "WWW-Authenticate": 'Bearer realm="miniobserv"' });
    }
    c.set("claims", result.claims);
    await next();
  };
}
