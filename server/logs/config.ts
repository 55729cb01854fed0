/**
 * The server's log settings, read from environment variables and validated once. Pure: the
 * environment is passed in (wired by `server/main.ts` next to `loadServerConfig`).
 *
 * @example
 * ```ts
 * const logs = loadLogServerConfig({ LOGS_RETENTION: "7d" });
 * logs.retentionMs; // 604800000
 * ```
 */
import { type Env, readDuration, readInteger } from "../../shared/config_env.ts";

/** Every variable this reader uses. */
export const LOG_SERVER_ENV_VARIABLES = ["LOGS_RETENTION", "LOGS_STREAM_MAX_CLIENTS"] as const;

const DAY = 86_400_000;

/** Defaults and bounds. */
export const LOG_SERVER_DEFAULTS = {
  retentionMs: 14 * DAY,
  retentionMinMs: DAY,
  retentionMaxMs: 3650 * DAY,
  streamMaxClients: 100,
  streamMaxClientsMax: 10_000,
} as const;

/** The validated log settings. */
export interface LogServerConfig {
  /** `LOGS_RETENTION`: entries older than this are dropped (whole days) and refused at ingest. */
  retentionMs: number;
  /** `LOGS_STREAM_MAX_CLIENTS`: live-tail connections served at once by one replica. */
  streamMaxClients: number;
}

/** Reads and validates the log settings; throws ConfigError naming the variable. */
export function loadLogServerConfig(env: Env): LogServerConfig {
  const d = LOG_SERVER_DEFAULTS;
  return {
    retentionMs: readDuration(
      env,
      "LOGS_RETENTION",
      d.retentionMs,
      d.retentionMinMs,
      d.retentionMaxMs,
    ),
    streamMaxClients: readInteger(
      env,
      "LOGS_STREAM_MAX_CLIENTS",
      d.streamMaxClients,
      1,
      d.streamMaxClientsMax,
    ),
  };
}
