/**
 * Parses a JSON request body within a size limit into `c.get("body")`, answering
 * 415/413/400 `{"error":…}` itself when the body is refused.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app_env.ts";
import { readJsonBody } from "../body_reader.ts";

/** Middleware factory: streams at most `limitBytes` (after gzip decompression) and parses JSON. */
export function jsonBody(limitBytes: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const result = await readJsonBody(c.req.raw, limitBytes);
    if (!result.ok) {
      c.get("log").debug("request body refused", { status: result.status, error: result.error });
      return c.json({ error: result.error }, result.status);
    }
    c.set("body", result.value);
    await next();
  };
}
