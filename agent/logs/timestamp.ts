/**
 * Finding the time a log line carries: RFC 3339 / ISO 8601 (also Go's `2006/01/02 15:04:05`),
 * syslog (`Jan  2 15:04:05`, RFC 3164) and common log format (`[10/Oct/2000:13:55:36 -0700]`).
 *
 * Times without an offset are in the agent's local time zone. Syslog times have no year: it is
 * resolved against a reference time (the line's read time) as the latest year that does not put
 * the line more than a day after the reference.
 *
 * @example
 * ```ts
 * const found = findTimestamp("2024-05-01T10:00:00.123456Z INFO started");
 * // { kind: "absolute", ms: 1714557600123, micros: 456, end: 27 }
 * ```
 */

/** A time found in a line. `end` is the index just after it. */
export type FoundTime =
  | { kind: "absolute"; ms: number; micros: number; end: number }
  | {
    kind: "syslog";
    month: number;
    day: number;
    hour: number;
    minute: number;
    second: number;
    ms: number;
    micros: number;
    end: number;
  };

/** An instant with microseconds: `ms` epoch milliseconds plus `micros` (0–999). */
export interface Instant {
  ms: number;
  micros: number;
}

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 1,
  Feb: 2,
  Mar: 3,
  Apr: 4,
  May: 5,
  Jun: 6,
  Jul: 7,
  Aug: 8,
  Sep: 9,
  Oct: 10,
  Nov: 11,
  Dec: 12,
};

/** How far into a line an ISO time is looked for. */
const ISO_SEARCH_CHARS = 96;
/** How far into a line a common-log-format time is looked for. */
const CLF_SEARCH_CHARS = 256;

// Zone: `Z`, `±HH[[:]MM]` right after the time, or ` ±HH[:]MM` / ` UTC` / ` GMT` after a space.
const ISO_RE =
  /(?<!\d)(\d{4})([-/])(\d{2})\2(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?:(Z|[+-]\d{2}(?::?\d{2})?)(?!\d)| ([+-]\d{2}:?\d{2})(?!\d)| (?:UTC|GMT)(?![A-Za-z]))?/;
const CLF_RE = /\[(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\]/;
const SYSLOG_RE =
  /^(?:<\d{1,3}>)?([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?=\s|$)/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function validDate(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo) && h <= 23 && mi <= 59 &&
    s <= 60;
}

/** A fraction's digits as milliseconds and microseconds. */
function fraction(digits: string | undefined): { ms: number; micros: number } {
  if (!digits) return { ms: 0, micros: 0 };
  const us = Number(digits.slice(0, 6).padEnd(6, "0"));
  return { ms: Math.floor(us / 1000), micros: us % 1000 };
}

/** Minutes east of UTC of `Z`, `+05`, `+0530` or `+05:30`. */
function zoneMinutes(zone: string): number {
  if (zone === "Z" || zone === "z") return 0;
  const sign = zone[0] === "-" ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const h = Number(digits.slice(0, 2));
  const m = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (h * 60 + m);
}

function parseIso(line: string): FoundTime | null {
  const m = ISO_RE.exec(line.length > ISO_SEARCH_CHARS ? line.slice(0, ISO_SEARCH_CHARS) : line);
  if (!m) return null;
  const [y, mo, d, h, mi] = [m[1], m[3], m[4], m[5], m[6]].map(Number);
  const s = Math.min(59, Number(m[7]));
  if (!validDate(y, mo, d, h, mi, Number(m[7]))) return null;
  const f = fraction(m[8]);
  const zone = m[9] ?? m[10] ?? (/ (UTC|GMT)$/.test(m[0]) ? "Z" : undefined);
  const ms = zone === undefined
    ? new Date(y, mo - 1, d, h, mi, s, f.ms).getTime()
    : Date.UTC(y, mo - 1, d, h, mi, s, f.ms) - zoneMinutes(zone) * 60_000;
  if (!Number.isFinite(ms)) return null;
  return { kind: "absolute", ms, micros: f.micros, end: m.index + m[0].length };
}

function parseClf(line: string): FoundTime | null {
  const head = line.length > CLF_SEARCH_CHARS ? line.slice(0, CLF_SEARCH_CHARS) : line;
  if (!head.includes("/")) return null;
  const m = CLF_RE.exec(head);
  if (!m) return null;
  const mo = MONTHS[m[2]];
  if (mo === undefined) return null;
  const [d, y, h, mi, s] = [m[1], m[3], m[4], m[5], m[6]].map(Number);
  if (!validDate(y, mo, d, h, mi, s)) return null;
  const offset = (m[7] === "-" ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  const ms = Date.UTC(y, mo - 1, d, h, mi, Math.min(59, s)) - offset * 60_000;
  return { kind: "absolute", ms, micros: 0, end: m.index + m[0].length };
}

function parseSyslog(line: string): FoundTime | null {
  const m = SYSLOG_RE.exec(line);
  if (!m) return null;
  const month = MONTHS[m[1]];
  if (month === undefined) return null;
  const day = Number(m[2].trim());
  const [hour, minute, second] = [m[3], m[4], m[5]].map(Number);
  // The year is unknown here; 2000 is a leap year, so Feb 29 passes.
  if (!validDate(2000, month, day, hour, minute, second)) return null;
  const f = fraction(m[6]);
  return {
    kind: "syslog",
    month,
    day,
    hour,
    minute,
    second: Math.min(59, second),
    ms: f.ms,
    micros: f.micros,
    end: m[0].length,
  };
}

/** The first timestamp in `line` in a known format, or null. */
export function findTimestamp(line: string): FoundTime | null {
  const c = line.charCodeAt(0);
  // Syslog lines start with a month name or a <PRI>.
  if ((c >= 65 && c <= 90) || c === 60) {
    const s = parseSyslog(line);
    if (s) return s;
  }
  return parseIso(line) ?? parseClf(line);
}

/** True when resolving `found` needs the reference time (a syslog time has no year). */
export function needsReference(found: FoundTime): boolean {
  return found.kind === "syslog";
}

/** The instant of a found time; a syslog time takes its year from `referenceMs` (see module comment). */
export function resolveTime(found: FoundTime, referenceMs: number): Instant | null {
  if (found.kind === "absolute") return { ms: found.ms, micros: found.micros };
  const year = new Date(referenceMs).getFullYear();
  for (const y of [year + 1, year, year - 1]) {
    if (found.month === 2 && found.day === 29 && daysInMonth(y, 2) !== 29) continue;
    const ms = new Date(
      y,
      found.month - 1,
      found.day,
      found.hour,
      found.minute,
      found.second,
      found.ms,
    )
      .getTime();
    if (ms <= referenceMs + 86_400_000) return { ms, micros: found.micros };
  }
  return null;
}

/**
 * A time field of a JSON log line: an RFC 3339 string, or a number of epoch milliseconds (pino)
 * or seconds (with a fraction); null when it is neither.
 */
export function timeFromJsonField(v: unknown): Instant | null {
  if (typeof v === "string") {
    const found = parseIso(v);
    return found && found.kind === "absolute" ? { ms: found.ms, micros: found.micros } : null;
  }
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) return null;
  if (v >= 1e11 && v < 1e14) {
    const ms = Math.floor(v);
    return { ms, micros: Math.round((v - ms) * 1000) % 1000 };
  }
  if (v >= 1e8 && v < 1e11) {
    const us = Math.round(v * 1e6);
    return { ms: Math.floor(us / 1000), micros: us % 1000 };
  }
  return null;
}

/** An instant as ISO 8601 in UTC: milliseconds, plus microseconds when there are any. */
export function formatInstant(t: Instant): string {
  const iso = new Date(t.ms).toISOString();
  if (t.micros === 0) return iso;
  return iso.slice(0, -1) + String(t.micros).padStart(3, "0") + "Z";
}
