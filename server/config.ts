/**
 * The server's configuration, read from environment variables and validated once.
 *
 * `loadServerConfig` is pure: it receives the environment as a record and either returns
 * a typed config or throws a `ConfigError` naming the variable, its value and what is
 * allowed. `main.ts` (or the start script) passes `Deno.env.toObject()`; the start script
 * may add a generated `AGENT_TOKEN` to that record before calling it.
 *
 * @example
 * ```ts
 * const config = loadServerConfig({ AGENT_TOKEN: "x".repeat(32), LISTEN_ADDR: "127.0.0.1:9000" });
 * config.listen.port; // 9000
 * ```
 */
import {
  ConfigError,
  type Env,
  readDuration,
  readEnum,
  readHttpUrl,
  readString,
} from "../shared/config_env.ts";
import { formatDuration } from "../shared/duration.ts";
import { SECRET_MIN_LENGTH } from "../shared/jwt.ts";
import { LOG_LEVELS, type LogLevel } from "../shared/log.ts";

/** Address the server listens on when `LISTEN_ADDR` is unset. */
export const DEFAULT_LISTEN_ADDR = "0.0.0.0:8080";
/** Data directory (embedded database, generated secret) when `MINIOBSERV_DATA_DIR` is unset. */
export const DEFAULT_DATA_DIR = "./data";
/** File name, inside the data directory, of the generated agent secret. */
export const AGENT_TOKEN_FILE = "agent_token";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Defaults of every duration setting, in milliseconds. */
export const DEFAULTS = {
  requestTimeoutMs: 30 * SECOND,
  shutdownTimeoutMs: 10 * SECOND,
  retentionMs: 30 * DAY,
  compressAfterMs: 7 * DAY,
  hostStaleAfterMs: 30 * SECOND,
  hostDownAfterMs: 60 * SECOND,
} as const;

/** Where to listen: a host name or address and a TCP port (0 picks a free one). */
export interface ListenAddr {
  hostname: string;
  port: number;
}

/** The validated server configuration. */
export interface ServerConfig {
  listen: ListenAddr;
  /** External PostgreSQL; undefined means the embedded PGlite under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Shared secret that signs agent tokens (HS256). */
  agentToken: string;
  requestTimeoutMs: number;
  shutdownTimeoutMs: number;
  retentionMs: number;
  compressAfterMs: number;
  hostStaleAfterMs: number;
  hostDownAfterMs: number;
  logLevel: LogLevel;
}

/** Path of the generated agent secret inside `dataDir` (no I/O, just the join). */
export function agentTokenPath(dataDir: string): string {
  return `${dataDir.replace(/\/+$/, "")}/${AGENT_TOKEN_FILE}`;
}

/** Parses `host:port` or `[ipv6]:port`; throws a `ConfigError` naming `name` otherwise. */
export function parseListenAddr(name: string, value: string): ListenAddr {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/.exec(value);
  const bad = (why: string) =>
    new ConfigError(
      `${name}=${JSON.stringify(value)} ${why}; use host:port (e.g. 0.0.0.0:8080 or [::]:8080)`,
    );
  if (!m) throw bad("is not host:port");
  const port = Number(m[3]);
  if (port > 65535) throw bad("has a port outside 0-65535");
  return { hostname: m[1] ?? m[2], port };
}

function readListenAddr(env: Env): ListenAddr {
  return parseListenAddr("LISTEN_ADDR", readString(env, "LISTEN_ADDR", DEFAULT_LISTEN_ADDR));
}

function readDatabaseUrl(env: Env): string | undefined {
  const v = readString(env, "DATABASE_URL");
  if (v === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    // The value may hold a password: name the variable but do not echo it.
    throw new ConfigError("DATABASE_URL is not a URL; use postgres://user:pass@host:5432/db");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ConfigError(
      `DATABASE_URL uses ${
        JSON.stringify(url.protocol)
      }; only postgres:// or postgresql:// is allowed`,
    );
  }
  return v;
}

function readAgentToken(env: Env): string {
  const v = readString(env, "AGENT_TOKEN");
  if (v === undefined) {
    throw new ConfigError(
      `AGENT_TOKEN is required: a secret of at least ${SECRET_MIN_LENGTH} characters ` +
        "(the start script generates one into the data directory)",
    );
  }
  if (v.length < SECRET_MIN_LENGTH) {
    // Never echo a secret, even a bad one.
    throw new ConfigError(
      `AGENT_TOKEN is ${v.length} characters long; at least ${SECRET_MIN_LENGTH} are required`,
    );
  }
  return v;
}

/** Reads and validates every server setting from `env`; throws `ConfigError` on the first bad one. */
export function loadServerConfig(env: Env): ServerConfig {
  const listen = readListenAddr(env);
  const databaseUrl = readDatabaseUrl(env);
  const dataDir = readString(env, "MINIOBSERV_DATA_DIR", DEFAULT_DATA_DIR);
  const agentToken = readAgentToken(env);
  const requestTimeoutMs = readDuration(
    env,
    "REQUEST_TIMEOUT",
    DEFAULTS.requestTimeoutMs,
    SECOND,
    10 * MINUTE,
  );
  const shutdownTimeoutMs = readDuration(
    env,
    "SHUTDOWN_TIMEOUT",
    DEFAULTS.shutdownTimeoutMs,
    0,
    10 * MINUTE,
  );
  const retentionMs = readDuration(
    env,
    "METRICS_RETENTION",
    DEFAULTS.retentionMs,
    DAY,
    3650 * DAY,
  );
  const compressAfterMs = readDuration(
    env,
    "METRICS_COMPRESS_AFTER",
    DEFAULTS.compressAfterMs,
    HOUR,
    3650 * DAY,
  );
  if (compressAfterMs >= retentionMs) {
    throw new ConfigError(
      `METRICS_COMPRESS_AFTER=${JSON.stringify(formatDuration(compressAfterMs))} must be ` +
        `shorter than METRICS_RETENTION (${formatDuration(retentionMs)})`,
    );
  }
  const hostStaleAfterMs = readDuration(
    env,
    "HOST_STALE_AFTER",
    DEFAULTS.hostStaleAfterMs,
    SECOND,
    DAY,
  );
  const hostDownAfterMs = readDuration(
    env,
    "HOST_DOWN_AFTER",
    DEFAULTS.hostDownAfterMs,
    SECOND,
    7 * DAY,
  );
  if (hostDownAfterMs <= hostStaleAfterMs) {
    throw new ConfigError(
      `HOST_DOWN_AFTER=${JSON.stringify(formatDuration(hostDownAfterMs))} must be ` +
        `longer than HOST_STALE_AFTER (${formatDuration(hostStaleAfterMs)})`,
    );
  }
  const logLevel = readEnum(env, "LOG_LEVEL", LOG_LEVELS, "info");
  return {
    listen,
    databaseUrl,
    dataDir,
    agentToken,
    requestTimeoutMs,
    shutdownTimeoutMs,
    retentionMs,
    compressAfterMs,
    hostStaleAfterMs,
    hostDownAfterMs,
    logLevel,
  };
}

/** Defaults of the alerting settings, in milliseconds. */
export const ALERT_DEFAULTS = {
  evalIntervalMs: 15 * SECOND,
  repeatIntervalMs: 4 * HOUR,
} as const;

/** Alerting settings; the rules and receivers themselves are validated by `server/alerts/alert_config.ts`. */
export interface AlertSettings {
  /** `ALERT_RULES_FILE`: a JSON (`.json`) or YAML file of rules and receivers. */
  rulesFile: string | undefined;
  /** `ALERT_RULES`: a JSON array of rules. */
  rulesJson: string | undefined;
  /** `ALERT_RECEIVERS`: a JSON array of receivers. */
  receiversJson: string | undefined;
  /** `ALERT_EVAL_INTERVAL`: how often rules are evaluated (default 15 s). */
  evalIntervalMs: number;
  /** `ALERT_REPEAT_INTERVAL`: how often a still-firing alert is notified again (default 4 h). */
  repeatIntervalMs: number;
  /** `ALERT_EXTERNAL_URL`: this server's URL as receivers should link to it (`externalURL`, `generatorURL`); empty when unset. */
  externalUrl: string;
}

/**
 * Reads the alerting variables; separate from `loadServerConfig` so each stays one
 * validated record. Throws `ConfigError` naming the variable.
 */
export function loadAlertSettings(env: Env): AlertSettings {
  const evalIntervalMs = readDuration(
    env,
    "ALERT_EVAL_INTERVAL",
    ALERT_DEFAULTS.evalIntervalMs,
    SECOND,
    HOUR,
  );
  const repeatIntervalMs = readDuration(
    env,
    "ALERT_REPEAT_INTERVAL",
    ALERT_DEFAULTS.repeatIntervalMs,
    MINUTE,
    30 * DAY,
  );
  const external = readString(env, "ALERT_EXTERNAL_URL");
  return {
    rulesFile: readString(env, "ALERT_RULES_FILE"),
    rulesJson: readString(env, "ALERT_RULES"),
    receiversJson: readString(env, "ALERT_RECEIVERS"),
    evalIntervalMs,
    repeatIntervalMs,
    externalUrl: external === undefined
      ? ""
      : readHttpUrl(env, "ALERT_EXTERNAL_URL").href.replace(/\/+$/, ""),
  };
}
