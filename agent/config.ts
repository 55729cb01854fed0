/**
 * The agent's configuration, read once from environment variables. Pure: the environment
 * and the machine's host name are passed in; an invalid value throws a ConfigError whose
 * message names the variable, the value and what is allowed.
 *
 * @example
 * ```ts
 * const config = loadAgentConfig(env, { hostname: Deno.hostname(), once: false });
 * ```
 */
import {
  ConfigError,
  type Env,
  readDuration,
  readEnum,
  readHttpUrl,
  readPatternList,
  readString,
} from "../shared/config_env.ts";
import { SECRET_MIN_LENGTH } from "../shared/jwt.ts";
import { LOG_LEVELS, type LogLevel } from "../shared/log.ts";
import { validateHost } from "../shared/metric.ts";
import { DEFAULT_MOUNT_POINTS_EXCLUDE, DEFAULT_NET_EXCLUDE } from "./collectors/defaults.ts";

/** Every variable the agent reads; main.ts reads exactly these (and deno.json allows only these). */
export const AGENT_ENV_VARIABLES = [
  "SERVER_URL",
  "AGENT_TOKEN",
  "AGENT_HOST",
  "COLLECT_INTERVAL",
  "NET_INCLUDE",
  "NET_EXCLUDE",
  "DISK_MOUNTS_EXCLUDE",
  "LOG_LEVEL",
  "AGENT_STATE_DIR",
  "SEND_TIMEOUT",
  "SHUTDOWN_TIMEOUT",
] as const;

/** Defaults and bounds, in milliseconds where they are durations. */
export const AGENT_CONFIG_DEFAULTS = {
  collectIntervalMs: 10_000,
  collectIntervalMinMs: 1_000,
  collectIntervalMaxMs: 300_000,
  sendTimeoutMs: 10_000,
  sendTimeoutMinMs: 1_000,
  sendTimeoutMaxMs: 300_000,
  shutdownTimeoutMs: 5_000,
  shutdownTimeoutMaxMs: 300_000,
  stateDir: "/var/lib/miniobserv-agent",
  logLevel: "info" as LogLevel,
} as const;

/** Where to send and the shared secret to sign tokens with. */
export interface ServerConfig {
  url: URL;
  token: string;
}

/** The validated configuration. `server` is null only in `--once` mode. */
export interface AgentConfig {
  server: ServerConfig | null;
  host: string;
  collectIntervalMs: number;
  netInclude: RegExp[];
  netExclude: RegExp[];
  diskMountsExclude: RegExp;
  logLevel: LogLevel;
  stateDir: string;
  sendTimeoutMs: number;
  shutdownTimeoutMs: number;
}

/** What the environment alone cannot tell. */
export interface ConfigContext {
  hostname: string;
  once: boolean;
}

function readToken(env: Env): string | undefined {
  const token = readString(env, "AGENT_TOKEN");
  if (token !== undefined && token.length < SECRET_MIN_LENGTH) {
    throw new ConfigError(
      `AGENT_TOKEN is ${token.length} characters long (value not shown); ` +
        `at least ${SECRET_MIN_LENGTH} are required, the same secret as the server's`,
    );
  }
  return token;
}

function readServer(env: Env, once: boolean): ServerConfig | null {
  const hasUrl = readString(env, "SERVER_URL") !== undefined;
  const url = hasUrl || !once ? readHttpUrl(env, "SERVER_URL") : undefined;
  const token = readToken(env);
  if (token === undefined && !once) {
    throw new ConfigError(
      `AGENT_TOKEN is required (the shared secret, at least ${SECRET_MIN_LENGTH} characters)`,
    );
  }
  return url && token ? { url, token } : null;
}

function readHost(env: Env, hostname: string): string {
  const host = readString(env, "AGENT_HOST", hostname);
  const problem = validateHost(host);
  if (problem) throw new ConfigError(`AGENT_HOST=${JSON.stringify(host)} is invalid: ${problem}`);
  return host;
}

function readRegex(env: Env, name: string, fallback: RegExp): RegExp {
  const v = readString(env, name);
  if (v === undefined) return fallback;
  try {
    return new RegExp(v);
  } catch (e) {
    throw new ConfigError(
      `${name}=${JSON.stringify(v)} is not a valid regular expression: ${(e as Error).message}`,
    );
  }
}

function readStateDir(env: Env): string {
  const dir = readString(env, "AGENT_STATE_DIR", AGENT_CONFIG_DEFAULTS.stateDir);
  if (!dir.startsWith("/")) {
    throw new ConfigError(`AGENT_STATE_DIR=${JSON.stringify(dir)} must be an absolute path`);
  }
  return dir;
}

/** Reads and validates the whole configuration; throws ConfigError on the first bad value. */
export function loadAgentConfig(env: Env, ctx: ConfigContext): AgentConfig {
  const d = AGENT_CONFIG_DEFAULTS;
  return {
    server: readServer(env, ctx.once),
    host: readHost(env, ctx.hostname),
    collectIntervalMs: readDuration(
      env,
      "COLLECT_INTERVAL",
      d.collectIntervalMs,
      d.collectIntervalMinMs,
      d.collectIntervalMaxMs,
    ),
    netInclude: readPatternList(env, "NET_INCLUDE", []),
    netExclude: readPatternList(env, "NET_EXCLUDE", [...DEFAULT_NET_EXCLUDE]),
    diskMountsExclude: readRegex(env, "DISK_MOUNTS_EXCLUDE", DEFAULT_MOUNT_POINTS_EXCLUDE),
    logLevel: readEnum(env, "LOG_LEVEL", LOG_LEVELS, d.logLevel),
    stateDir: readStateDir(env),
    sendTimeoutMs: readDuration(
      env,
      "SEND_TIMEOUT",
      d.sendTimeoutMs,
      d.sendTimeoutMinMs,
      d.sendTimeoutMaxMs,
    ),
    shutdownTimeoutMs: readDuration(
      env,
      "SHUTDOWN_TIMEOUT",
      d.shutdownTimeoutMs,
      0,
      d.shutdownTimeoutMaxMs,
    ),
  };
}
