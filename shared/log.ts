/**
 * Structured logging: one JSON object per line, filtered by `LOG_LEVEL`.
 *
 * The sink is injected (stderr in `main.ts`, an array in tests).
 */

/** Log levels, lowest first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** One log level. */
export type LogLevel = typeof LOG_LEVELS[number];

/** A structured logger. `fields` are merged into the line. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** True when `v` names a log level. */
export function isLogLevel(v: string): v is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(v);
}

/** Builds a logger writing JSON lines to `sink` for levels at or above `level`. */
export function createLogger(
  level: LogLevel,
  sink: (line: string) => void,
  now: () => number = Date.now,
  base: Record<string, unknown> = {},
): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(lvl) < min) return;
    const entry: Record<string, unknown> = {
      time: new Date(now()).toISOString(),
      level: lvl,
      msg,
      ...base,
    };
    for (const [k, v] of Object.entries(fields ?? {})) {
      entry[k] = v instanceof Error ? v.message : v;
    }
    sink(JSON.stringify(entry));
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger(level, sink, now, { ...base, ...fields }),
  };
}

/** A logger that discards everything, for tests that do not look at logs. */
export const silentLogger: Logger = createLogger("error", () => {}, Date.now, {});
