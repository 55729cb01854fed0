/**
 * The Hono environment of the app: per-request variables set by middleware.
 */
import type { TokenClaims } from "../../shared/jwt.ts";
import type { Logger } from "../../shared/log.ts";

/** Variables every handler can read with `c.get(…)`. */
export interface AppEnv {
  Variables: {
    /** This request's id (also in `X-Request-Id`). */
    requestId: string;
    /** The app logger with `request_id` attached. */
    log: Logger;
    /** Claims of the verified token; set by the auth middleware. */
    claims: TokenClaims;
    /** The parsed JSON body; set by the JSON body middleware. */
    body: unknown;
    /** The validated `X-Agent-Version` (null when absent); set by `agentIngest`. */
    agentVersion: string | null;
  };
}
