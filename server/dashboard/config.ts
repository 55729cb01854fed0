/**
 * The dashboard's settings, read from environment variables and validated once (pure: the
 * environment and the listen address are passed in by `main.ts`).
 *
 * | variable                  | meaning                                                              | default  |
 * | ------------------------- | -------------------------------------------------------------------- | -------- |
 * | `DASHBOARD_PASSWORD`      | signs people in (at least 12 characters); unset: read tokens only    | unset    |
 * | `DASHBOARD_AUTH`          | `password` (sign-in required) or `none` (loopback binds only)        | password |
 * | `DASHBOARD_SESSION_TTL`   | how long a session lasts (5m to 30d)                                 | 12h      |
 * | `DASHBOARD_REFRESH`       | how often live pages are updated (500ms to 1m)                       | 2s       |
 * | `DASHBOARD_COOKIE_SECURE` | `auto` (Secure over HTTPS), `always`, `never`                        | auto     |
 *
 * @example
 * ```ts
 * const d = loadDashboardConfig({ DASHBOARD_PASSWORD: "correct horse battery" }, { hostname: "0.0.0.0", port: 8080 });
 * d.auth; // "password"
 * ```
 */
import { ConfigError, type Env, readDuration, readEnum } from "../../shared/config_env.ts";

/** Every variable this reader uses. */
export const DASHBOARD_ENV_VARIABLES = [
  "DASHBOARD_PASSWORD",
  "DASHBOARD_AUTH",
  "DASHBOARD_SESSION_TTL",
  "DASHBOARD_REFRESH",
  "DASHBOARD_COOKIE_SECURE",
] as const;

/** Shortest accepted `DASHBOARD_PASSWORD`. */
export const PASSWORD_MIN_LENGTH = 12;
/** Longest accepted `DASHBOARD_PASSWORD` (and sign-in attempt). */
export const PASSWORD_MAX_LENGTH = 1024;

/** Whether signing in is required. */
export const AUTH_MODES = ["password", "none"] as const;
/** One auth mode. */
export type AuthMode = typeof AUTH_MODES[number];
/** When the session cookie carries `Secure`. */
export const COOKIE_SECURE_MODES = ["auto", "always", "never"] as const;
/** One cookie mode. */
export type CookieSecureMode = typeof COOKIE_SECURE_MODES[number];

/** Defaults and bounds, in milliseconds. */
export const DASHBOARD_DEFAULTS = {
  sessionTtlMs: 12 * 3_600_000,
  sessionTtlMinMs: 5 * 60_000,
  sessionTtlMaxMs: 30 * 86_400_000,
  refreshMs: 2000,
  refreshMinMs: 500,
  refreshMaxMs: 60_000,
} as const;

/** The validated dashboard settings. */
export interface DashboardConfig {
  /** `none`: nobody signs in (allowed only when the server listens on a loopback address). */
  auth: AuthMode;
  /** The sign-in password; undefined when only read tokens sign in. */
  password: string | undefined;
  sessionTtlMs: number;
  /** How often the live feed reads the fleet and alerts for connected pages. */
  refreshMs: number;
  cookieSecure: CookieSecureMode;
}

/** True for 127.0.0.0/8, `::1` and `localhost`: addresses no other machine can reach. */
export function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Reads the dashboard variables for a server listening on `listenHostname`; throws `ConfigError`. */
export function loadDashboardConfig(env: Env, listen: { hostname: string }): DashboardConfig {
  const d = DASHBOARD_DEFAULTS;
  const rawPassword = env.DASHBOARD_PASSWORD;
  const password = rawPassword === undefined || rawPassword === "" ? undefined : rawPassword;
  if (password !== undefined) {
    // Never echo the password, even a bad one.
    if (password.length < PASSWORD_MIN_LENGTH) {
      throw new ConfigError(
        `DASHBOARD_PASSWORD is ${password.length} characters long; at least ${PASSWORD_MIN_LENGTH} are required`,
      );
    }
    if (password.length > PASSWORD_MAX_LENGTH) {
      throw new ConfigError(
        `DASHBOARD_PASSWORD is longer than ${PASSWORD_MAX_LENGTH} characters`,
      );
    }
  }
  const auth = readEnum(env, "DASHBOARD_AUTH", AUTH_MODES, "password");
  if (auth === "none") {
    if (!isLoopback(listen.hostname)) {
      throw new ConfigError(
        `DASHBOARD_AUTH=none is refused: the server listens on ${listen.hostname}, which other ` +
          "machines can reach; bind a loopback address (LISTEN_ADDR=127.0.0.1:8080) or set " +
          "DASHBOARD_PASSWORD",
      );
    }
    if (password !== undefined) {
      throw new ConfigError(
        "DASHBOARD_AUTH=none and DASHBOARD_PASSWORD are both set; unset one of them",
      );
    }
  }
  return {
    auth,
    password,
    sessionTtlMs: readDuration(
      env,
      "DASHBOARD_SESSION_TTL",
      d.sessionTtlMs,
      d.sessionTtlMinMs,
      d.sessionTtlMaxMs,
    ),
    refreshMs: readDuration(env, "DASHBOARD_REFRESH", d.refreshMs, d.refreshMinMs, d.refreshMaxMs),
    cookieSecure: readEnum(env, "DASHBOARD_COOKIE_SECURE", COOKIE_SECURE_MODES, "auto"),
  };
}
