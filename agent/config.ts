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
import { AGENT_TELEMETRY_ENV_VARIABLES } from "./telemetry/config.ts";
import { LOG_TAIL_ENV_VARIABLES } from "./logs/config.ts";

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
  "AGENT_SPOOL_MAX_BYTES",
  ...AGENT_TELEMETRY_ENV_VARIABLES,
  ...LOG_TAIL_ENV_VARIABLES,
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
  spoolMaxBytes: 256 * 1024 * 1024,
  spoolMaxBytesMin: 1024 * 1024,
  spoolMaxBytesMax: 1024 ** 4,
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
  /** Absolute; a relative AGENT_STATE_DIR is resolved against the working directory. */
  stateDir: string;
  spoolMaxBytes: number;
  sendTimeoutMs: number;
  shutdownTimeoutMs: number;
}

/** What the environment alone cannot tell. */
export interface ConfigContext {
  hostname: string;
  once: boolean;
  /** The working directory, to resolve a relative AGENT_STATE_DIR (default "/"). */
  cwd?: string;
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

function readStateDir(env: Env, cwd: string): string {
  const dir = readString(env, "AGENT_STATE_DIR", AGENT_CONFIG_DEFAULTS.stateDir);
  const parts: string[] = [];
  for (const seg of (dir.startsWith("/") ? dir : `${cwd}/${dir}`).split("/")) {
    if (seg === "..") parts.pop();
    else if (seg !== "" && seg !== ".") parts.push(seg);
  }
  return "/" + parts.join("/");
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1000,
  kb: 1000,
  kib: 1024,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1000 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/** A byte size: a whole number, optionally with a unit (`268435456`, `256MiB`, `1GB`). */
function readByteSize(env: Env, name: string, fallback: number, min: number, max: number) {
  const v = readString(env, name);
  if (v === undefined) return fallback;
  const m = /^(\d+)\s*([a-z]*)$/i.exec(v);
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new ConfigError(
      `${name}=${
        JSON.stringify(v)
      } is not a size; use bytes or a unit: KiB, MiB, GiB, TiB, kB, MB, GB, TB`,
    );
  }
  const bytes = Number(m[1]) * unit;
  if (bytes < min || bytes > max) {
    throw new ConfigError(
      `${name}=${JSON.stringify(v)} is out of range; allowed ${min / 1024 ** 2} MiB to ${
        max / 1024 ** 4
      } TiB`,
    );
  }
  return bytes;
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
    stateDir: readStateDir(env, ctx.cwd ?? "/"),
    spoolMaxBytes: readByteSize(
      env,
      "AGENT_SPOOL_MAX_BYTES",
      d.spoolMaxBytes,
      d.spoolMaxBytesMin,
      d.spoolMaxBytesMax,
    ),
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
