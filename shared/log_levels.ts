/**
 * The levels of shipped log entries (not the programs' own `LOG_LEVEL`, see `log.ts`), their
 * order, and the one normalizer every side uses: the agent when it reads a line, the server
 * when it parses `?level=`.
 *
 * @example
 * ```ts
 * normalizeLevelName("WARNING"); // "warn"
 * levelFromNumber(50);           // "error" (pino/bunyan)
 * levelRank("error") > levelRank("warn"); // true
 * ```
 */

/** Every level a log entry may carry, lowest first. */
export const LOG_ENTRY_LEVELS = ["debug", "info", "warn", "error", "fatal"] as const;
/** One log entry level. */
export type LogEntryLevel = typeof LOG_ENTRY_LEVELS[number];

/** The level of a line that names none. */
export const DEFAULT_LOG_ENTRY_LEVEL: LogEntryLevel = "info";

/** Names and synonyms, lower case, mapped to the five levels. */
const SYNONYMS: ReadonlyMap<string, LogEntryLevel> = new Map([
  ["trace", "debug"],
  ["debug", "debug"],
  ["dbg", "debug"],
  ["verbose", "debug"],
  ["fine", "debug"],
  ["finer", "debug"],
  ["finest", "debug"],
  ["info", "info"],
  ["inf", "info"],
  ["information", "info"],
  ["informational", "info"],
  ["notice", "info"],
  ["warn", "warn"],
  ["warning", "warn"],
  ["wrn", "warn"],
  ["error", "error"],
  ["err", "error"],
  ["eror", "error"],
  ["severe", "error"],
  ["fatal", "fatal"],
  ["ftl", "fatal"],
  ["crit", "fatal"],
  ["critical", "fatal"],
  ["panic", "fatal"],
  ["emerg", "fatal"],
  ["emergency", "fatal"],
  ["alert", "fatal"],
]);

/** The rank of each level: debug 0 … fatal 4 (what the server stores and compares). */
const RANKS: Readonly<Record<LogEntryLevel, number>> = {
  debug: 0,
  info: 1,
  warn: 2,
  error: 3,
  fatal: 4,
};

/** True when `v` is one of the five levels exactly. */
export function isLogEntryLevel(v: unknown): v is LogEntryLevel {
  return typeof v === "string" && Object.hasOwn(RANKS, v);
}

/** A level name or synonym, any case (`WARNING`, `Err`, `crit`), as a level; null when it is none. */
export function normalizeLevelName(name: string): LogEntryLevel | null {
  if (name.length === 0 || name.length > 13) return null;
  return SYNONYMS.get(name.toLowerCase()) ?? null;
}

/**
 * A pino/bunyan numeric level (10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal) as a
 * level; values between steps take the step below; null outside 10–100 or when not an integer.
 */
export function levelFromNumber(n: number): LogEntryLevel | null {
  if (!Number.isInteger(n) || n < 10 || n > 100) return null;
  if (n < 30) return "debug";
  if (n < 40) return "info";
  if (n < 50) return "warn";
  if (n < 60) return "error";
  return "fatal";
}

/** The rank of a level (debug 0 … fatal 4), for "at least" comparisons. */
export function levelRank(level: LogEntryLevel): number {
  return RANKS[level];
}

/** The level of a rank; throws outside 0–4 (a stored rank is always valid). */
export function levelOfRank(rank: number): LogEntryLevel {
  const level = LOG_ENTRY_LEVELS[rank];
  if (level === undefined) throw new Error(`log level rank ${rank} is not 0-4`);
  return level;
}
