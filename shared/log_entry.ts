/**
 * The log model both programs speak, its limits, and its one validation.
 *
 * A log entry is one line of a log file (or several, when indented continuation lines were
 * joined to it), identified for de-duplication by the file it came from (`file`: an id
 * derived from the file's device, inode and first bytes, never its path) and the byte
 * offset where it starts. The server stores a `(host, file, offset, time)` once.
 *
 * @example
 * ```ts
 * const result = validateLogBatch(JSON.parse(body));
 * if (!result.ok) return c.json({ error: result.error }, 400);
 * ```
 */
import { isLogEntryLevel, type LogEntryLevel } from "./log_levels.ts";
import {
  isPlainObject,
  parseInstant,
  unstorableText,
  validateBatchEnvelope,
  validateHost,
  type Validation,
} from "./metric.ts";

/** One log entry. `time` is an ISO 8601 instant (up to microseconds). */
export interface LogEntry {
  time: string;
  host: string;
  /** The path of the file the line was read from. */
  source: string;
  level: LogEntryLevel;
  message: string;
  /** The id of the file (device, inode, first bytes, truncation generation), for de-duplication. */
  file: string;
  /** The byte offset of the entry's first byte in that file. */
  offset: number;
  /** True when the line was longer than the line limit and was cut. */
  truncated?: boolean;
}

/** What an agent sends in one request to `POST /api/v1/logs`. */
export interface LogBatch {
  id: string;
  host: string;
  entries: LogEntry[];
}

/** Limits of the log model; the agent and the server both import these. */
export const LOG_LIMITS = {
  /** Most entries in one batch. */
  batchMaxEntries: 5000,
  /** Longest message in UTF-8 bytes: the largest `LOG_MAX_LINE_BYTES` an agent may use. */
  messageMaxBytes: 64 * 1024,
  /** Longest source path, in characters. */
  sourceMaxLength: 4096,
  /** Longest file id, in characters. */
  fileIdMaxLength: 64,
} as const;

const FILE_ID_PATTERN = /^[A-Za-z0-9._:-]+$/;

/** The UTF-8 length of `s` in bytes, without encoding it. */
export function utf8ByteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

function validateEntry(e: unknown, batchHost: string): string | null {
  if (!isPlainObject(e)) return "must be an object";
  if (e.host !== batchHost) {
    const hostError = validateHost(e.host);
    if (hostError) return hostError;
    return `host ${JSON.stringify(e.host)} differs from the batch host ${
      JSON.stringify(batchHost)
    }`;
  }
  if (parseInstant(e.time) === null) return "time must be an ISO 8601 instant with an offset";
  const { source, message, file, offset } = e;
  if (typeof source !== "string" || source.length === 0) {
    return "source must be a non-empty string";
  }
  if (source.length > LOG_LIMITS.sourceMaxLength) {
    return `source is longer than ${LOG_LIMITS.sourceMaxLength} characters`;
  }
  const sourceProblem = unstorableText(source);
  if (sourceProblem) return `source ${sourceProblem}`;
  if (!isLogEntryLevel(e.level)) {
    return `level ${JSON.stringify(e.level)} is not one of debug, info, warn, error, fatal`;
  }
  if (typeof message !== "string") return "message must be a string";
  // Three bytes per UTF-16 unit is the most a string can take: skip counting short ones.
  if (
    message.length * 3 > LOG_LIMITS.messageMaxBytes &&
    utf8ByteLength(message) > LOG_LIMITS.messageMaxBytes
  ) {
    return `message is longer than ${LOG_LIMITS.messageMaxBytes} bytes`;
  }
  const messageProblem = unstorableText(message);
  if (messageProblem) return `message ${messageProblem}`;
  if (
    typeof file !== "string" || file.length === 0 || file.length > LOG_LIMITS.fileIdMaxLength ||
    !FILE_ID_PATTERN.test(file)
  ) {
    return `file must be 1-${LOG_LIMITS.fileIdMaxLength} letters, digits, '.', '_', ':' or '-'`;
  }
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
    return "offset must be a non-negative integer";
  }
  if (e.truncated !== undefined && typeof e.truncated !== "boolean") {
    return "truncated must be a boolean";
  }
  return null;
}

/** Validates an untrusted value as a LogBatch; every failure names the entry index and the reason. */
export function validateLogBatch(input: unknown): Validation<LogBatch> {
  const envelope = validateBatchEnvelope(input, "entries", LOG_LIMITS.batchMaxEntries);
  if (!envelope.ok) return envelope;
  const { id, host, items: entries } = envelope.value;
  const out: LogEntry[] = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const reason = validateEntry(e, host);
    if (reason) return { ok: false, error: `entries[${i}]: ${reason}` };
    const entry: LogEntry = {
      time: e.time,
      host: e.host,
      source: e.source,
      level: e.level,
      message: e.message,
      file: e.file,
      offset: e.offset,
    };
    if (e.truncated === true) entry.truncated = true;
    out[i] = entry;
  }
  return { ok: true, value: { id, host, entries: out } };
}
