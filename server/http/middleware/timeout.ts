/**
 * Bounds how long a request may take: past the limit the client gets a 503 JSON answer.
 * The handler keeps running in the background (a store call cannot be cancelled), but
 * its eventual answer is discarded.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app_env.ts";

/** Middleware factory: answers 503 `{"error":"request timed out"}` after `timeoutMs`. */
export function requestTimeout(timeoutMs: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      const winner = await Promise.race([next().then(() => "done" as const), timedOut]);
      if (winner === "timeout") {
        c.get("log").warn("request timed out", {
          method: c.req.method,
          path: c.req.path,
          timeout_ms: timeoutMs,
        });
        return c.json({ error: "request timed out" }, 503);
      }
    } finally {
      clearTimeout(timer);
    }
  };
}
