/**
 * The log tailing settings of the agent, read once from environment variables. Pure: the
 * environment is passed in; an invalid value throws a ConfigError naming the variable, the
 * value and what is allowed. Wired by `agent/main.ts` next to `loadAgentConfig`.
 *
 * @example
 * ```ts
 * const logs = loadLogTailConfig({ LOG_PATHS: "/var/log/app/*.log,/var/log/syslog" });
 * logs.enabled;       // true
 * logs.maxLineBytes;  // 65536
 * ```
 */
import {
  ConfigError,
  type Env,
  readDuration,
  readEnum,
  readString,
} from "../../shared/config_env.ts";
import { LOG_LIMITS } from "../../shared/log_entry.ts";
import { parsePathPattern, type PathPattern } from "./path_pattern.ts";

/** Every variable this reader uses; add them to `AGENT_ENV_VARIABLES` so main.ts reads them. */
export const LOG_TAIL_ENV_VARIABLES = [
  "LOG_PATHS",
  "LOG_START_AT",
  "LOG_PARTIAL_FLUSH",
  "LOG_MAX_LINE_BYTES",
] as const;

/** Where files present at the agent's very first start are read from. */
export const LOG_START_AT_VALUES = ["beginning", "end"] as const;
/** One `LOG_START_AT` value. */
export type LogStartAt = typeof LOG_START_AT_VALUES[number];

/** Defaults and bounds. */
export const LOG_TAIL_DEFAULTS = {
  startAt: "end" as LogStartAt,
  partialFlushMs: 5_000,
  partialFlushMinMs: 100,
  partialFlushMaxMs: 600_000,
  maxLineBytes: LOG_LIMITS.messageMaxBytes,
  maxLineBytesMin: 256,
  maxLineBytesMax: LOG_LIMITS.messageMaxBytes,
  maxPatterns: 256,
} as const;

/** The validated log tailing settings. */
export interface LogTailConfig {
  /** False when `LOG_PATHS` is unset or empty: no log tailing at all. */
  enabled: boolean;
  patterns: PathPattern[];
  startAt: LogStartAt;
  partialFlushMs: number;
  maxLineBytes: number;
}

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1000, kb: 1000, kib: 1024 };

function readLineBytes(env: Env): number {
  const d = LOG_TAIL_DEFAULTS;
  const v = readString(env, "LOG_MAX_LINE_BYTES");
  if (v === undefined) return d.maxLineBytes;
  const m = /^(\d+)\s*([a-z]*)$/i.exec(v);
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new ConfigError(
      `LOG_MAX_LINE_BYTES=${JSON.stringify(v)} is not a size; use bytes or KiB/kB (e.g. 64KiB)`,
    );
  }
  const bytes = Number(m[1]) * unit;
  if (bytes < d.maxLineBytesMin || bytes > d.maxLineBytesMax) {
    throw new ConfigError(
      `LOG_MAX_LINE_BYTES=${
        JSON.stringify(v)
      } is out of range; allowed ${d.maxLineBytesMin} to ${d.maxLineBytesMax} bytes (64 KiB, the server's limit)`,
    );
  }
  return bytes;
}

function readPatterns(env: Env): PathPattern[] {
  const v = readString(env, "LOG_PATHS");
  if (v === undefined) return [];
  const seen = new Set<string>();
  const out: PathPattern[] = [];
  for (const raw of v.split(",")) {
    const text = raw.trim();
    if (text === "") continue;
    let p: PathPattern;
    try {
      p = parsePathPattern(text);
    } catch (e) {
      throw new ConfigError(`LOG_PATHS: ${JSON.stringify(text)} ${(e as Error).message}`);
    }
    if (seen.has(p.text)) continue;
    seen.add(p.text);
    out.push(p);
  }
  if (out.length > LOG_TAIL_DEFAULTS.maxPatterns) {
    throw new ConfigError(
      `LOG_PATHS has ${out.length} entries; at most ${LOG_TAIL_DEFAULTS.maxPatterns} (use globs)`,
    );
  }
  return out;
}

/** Reads and validates the log tailing settings; throws ConfigError on the first bad value. */
export function loadLogTailConfig(env: Env): LogTailConfig {
  const d = LOG_TAIL_DEFAULTS;
  const patterns = readPatterns(env);
  return {
    enabled: patterns.length > 0,
    patterns,
    startAt: readEnum(env, "LOG_START_AT", LOG_START_AT_VALUES, d.startAt),
    partialFlushMs: readDuration(
      env,
      "LOG_PARTIAL_FLUSH",
      d.partialFlushMs,
      d.partialFlushMinMs,
      d.partialFlushMaxMs,
    ),
    maxLineBytes: readLineBytes(env),
  };
}
