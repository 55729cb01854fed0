/** The Hono environment of the dashboard's routes: the app's variables plus the session. */
import type { AppEnv } from "../http/app_env.ts";
import type { Session } from "./session.ts";

/** Variables the dashboard's handlers read with `c.get(…)`. */
export interface DashEnv {
  Variables: AppEnv["Variables"] & {
    /** The signed-in session (set by `requireSession`). */
    session: Session;
    /** This session's CSRF token, for the forms of the page. */
    csrf: string;
  };
}
