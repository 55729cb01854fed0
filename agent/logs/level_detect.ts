/**
 * Finding the level a log line names, normalized to `debug | info | warn | error | fatal`
 * (synonyms such as `warning`, `err`, `crit`, `critical`, `panic`, `trace` included). Looked
 * for, in this order:
 *
 * 1. JSON fields `level`, `lvl`, `severity`: strings, or pino/bunyan numbers 10–60;
 * 2. a syslog `<PRI>` prefix (its severity);
 * 3. logfmt `level=…` (also `lvl=`, `severity=`, quoted or not);
 * 4. a bracketed word in the first 200 characters: `[ERROR]`, `[warn]`, `[core:error]`;
 * 5. among the first five words after the timestamp: `ERROR:` prefixed (any case when it is the
 *    first word, like `error: …`, `Warning: …`, `ERROR:root:…`), an upper-case word (`WARN`),
 *    or any-case word right after a timestamp (`<timestamp> warn …`).
 *
 * Otherwise `info`.
 *
 * @example
 * ```ts
 * detectLevel('{"level":50,"msg":"boom"}', 0, JSON.parse('{"level":50}')); // "error"
 * detectLevel("2024-05-01 10:00:00 WARN disk almost full", 19, null);   // "warn"
 * ```
 */
import {
  DEFAULT_LOG_ENTRY_LEVEL,
  levelFromNumber,
  type LogEntryLevel,
  normalizeLevelName,
} from "../../shared/log_levels.ts";

const LEVEL_FIELDS = ["level", "lvl", "severity"] as const;
const LOGFMT_RE =
  /(?:^|\s)(?:level|lvl|severity)=(?:"([^"]{1,16})"|'([^']{1,16})'|([^\s"']{1,16}))/i;
const BRACKET_RE = /\[(?:[A-Za-z]+:)?([A-Za-z]{3,13})\]/g;
const PRI_RE = /^<(\d{1,3})>/;
const HEAD_CHARS = 200;
const LOGFMT_CHARS = 512;
const WORDS = 5;

/** Syslog severities 0–7 as levels. */
const SYSLOG_SEVERITY: readonly LogEntryLevel[] = [
  "fatal",
  "fatal",
  "fatal",
  "error",
  "warn",
  "info",
  "info",
  "debug",
];

/** The level of a JSON log object's `level`, `lvl` or `severity` field, or null. */
export function levelFromJson(obj: Record<string, unknown>): LogEntryLevel | null {
  for (const f of LEVEL_FIELDS) {
    const v = obj[f];
    if (typeof v === "string") {
      const level = normalizeLevelName(v.trim());
      if (level) return level;
    } else if (typeof v === "number") {
      const level = levelFromNumber(v);
      if (level) return level;
    }
  }
  return null;
}

function isUpperWord(w: string): boolean {
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (c < 65 || c > 90) return false;
  }
  return w.length > 0;
}

function fromWords(rest: string, afterTimestamp: boolean): LogEntryLevel | null {
  let i = 0;
  let count = 0;
  const n = Math.min(rest.length, HEAD_CHARS);
  while (i < n && count < WORDS) {
    while (i < n && (rest[i] === " " || rest[i] === "\t")) i++;
    const start = i;
    while (i < n && rest[i] !== " " && rest[i] !== "\t") i++;
    if (i === start) break;
    const word = rest.slice(start, i);
    const colon = word.indexOf(":");
    if (colon > 0) {
      const head = word.slice(0, colon);
      if (count === 0 || isUpperWord(head)) {
        const level = normalizeLevelName(head);
        if (level) return level;
      }
    } else if (colon < 0) {
      if (isUpperWord(word) || (count === 0 && afterTimestamp)) {
        const level = normalizeLevelName(word);
        if (level) return level;
      }
    }
    count++;
  }
  return null;
}

/**
 * The level of `line`. `afterTime` is the index just after the line's timestamp (0 when it has
 * none); `json` the line parsed as a JSON object, when it is one.
 */
export function detectLevel(
  line: string,
  afterTime: number,
  json: Record<string, unknown> | null,
): LogEntryLevel {
  if (json) return levelFromJson(json) ?? DEFAULT_LOG_ENTRY_LEVEL;
  const pri = PRI_RE.exec(line);
  if (pri) {
    const n = Number(pri[1]);
    if (n <= 191) return SYSLOG_SEVERITY[n & 7];
  }
  const head = line.length > LOGFMT_CHARS ? line.slice(0, LOGFMT_CHARS) : line;
  if (head.includes("=")) {
    const m = LOGFMT_RE.exec(head);
    if (m) {
      const level = normalizeLevelName(m[1] ?? m[2] ?? m[3]);
      if (level) return level;
    }
  }
  const short = head.length > HEAD_CHARS ? head.slice(0, HEAD_CHARS) : head;
  if (short.includes("[")) {
    BRACKET_RE.lastIndex = 0;
    for (let m = BRACKET_RE.exec(short); m; m = BRACKET_RE.exec(short)) {
      const level = normalizeLevelName(m[1]);
      if (level) return level;
    }
  }
  const rest = afterTime > 0 ? line.slice(afterTime, afterTime + HEAD_CHARS) : short;
  return fromWords(rest.replace(/^[\]\s,|-]+/, ""), afterTime > 0) ?? DEFAULT_LOG_ENTRY_LEVEL;
}
