/**
 * Gives every request an id: in `c.get("requestId")`, in the logger's fields and in the
 * `X-Request-Id` response header, whatever the response (404, 500, timeout included).
 */
import type { MiddlewareHandler } from "hono";
import type { Logger } from "../../../shared/log.ts";
import type { AppEnv } from "../app_env.ts";
import { internalErrorResponse } from "./errors.ts";

/** Name of the response header carrying the request id. */
export const REQUEST_ID_HEADER = "X-Request-Id";

/** Options of the request id middleware. */
export interface RequestIdOptions {
  newRequestId: () => string;
  log: Logger;
  now: () => number;
}

/**
 * Outermost middleware: assigns the id, logs one line per request at debug, and turns
 * anything thrown that Hono's error handler did not catch (a non-Error value) into a 500.
 */
export function requestId(opts: RequestIdOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const id = opts.newRequestId();
    const log = opts.log.child({ request_id: id });
    c.set("requestId", id);
    c.set("log", log);
    const started = opts.now();
    try {
      await next();
    } catch (e) {
      c.res = internalErrorResponse(c, e);
    }
    c.res.headers.set(REQUEST_ID_HEADER, id);
    log.debug("request", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: opts.now() - started,
    });
  };
}
