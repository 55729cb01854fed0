// @ts-check
/**
 * Formatting numbers and times for people, shared by the server-rendered pages and the
 * browser scripts (this file is served as-is): percentages, bytes with binary prefixes,
 * bytes per second, load, "3 s ago".
 *
 * @example
 * ```js
 * formatBytes(1536);         // "1.5 KiB"
 * formatRate(10 * 1048576);  // "10 MiB/s"
 * formatPercent(12.345);     // "12.3 %"
 * formatAgo(90_000);         // "1 min ago"
 * ```
 */

/** Binary prefixes, in steps of 1024. */
export const BINARY_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/** What is shown when there is no value. */
export const NO_VALUE = "—";

/**
 * A number with three significant digits at most, without trailing zeros
 * (`1.50` → `1.5`, `123.4` → `123`).
 * @param {number} v
 * @returns {string}
 */
export function significant(v) {
  if (!Number.isFinite(v)) return NO_VALUE;
  const a = Math.abs(v);
  if (a === 0) return "0";
  const decimals = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return String(Number(v.toFixed(decimals)));
}

/**
 * A percentage with one decimal: `12.3 %`.
 * @param {number | null | undefined} v
 * @returns {string}
 */
export function formatPercent(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return NO_VALUE;
  return `${v.toFixed(1)} %`;
}

/**
 * Bytes with a binary prefix and at most three significant digits: `1.5 KiB`, `512 B`.
 * @param {number | null | undefined} v
 * @returns {string}
 */
export function formatBytes(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return NO_VALUE;
  let value = Math.abs(v);
  let i = 0;
  // Round first so 1023.9 B shows as "1 KiB", not "1024 B".
  while (i < BINARY_UNITS.length - 1 && Number(significant(value)) >= 1024) {
    value /= 1024;
    i++;
  }
  return `${v < 0 ? "-" : ""}${significant(value)} ${BINARY_UNITS[i]}`;
}

/**
 * Bytes per second: `10 MiB/s`.
 * @param {number | null | undefined} v
 * @returns {string}
 */
export function formatRate(v) {
  const b = formatBytes(v);
  return b === NO_VALUE ? b : `${b}/s`;
}

/**
 * A load average with two decimals.
 * @param {number | null | undefined} v
 * @returns {string}
 */
export function formatLoad(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return NO_VALUE;
  return v.toFixed(2);
}

/** Units a chart axis or a value may have. */
export const UNITS = ["percent", "bytes", "rate", "load"];

/**
 * Formats `v` in `unit` (one of `UNITS`).
 * @param {string} unit
 * @param {number | null | undefined} v
 * @returns {string}
 */
export function formatValue(unit, v) {
  switch (unit) {
    case "percent":
      return formatPercent(v);
    case "bytes":
      return formatBytes(v);
    case "rate":
      return formatRate(v);
    default:
      return formatLoad(v);
  }
}

/**
 * A value as an axis tick: like `formatValue`, with fewer digits (`20 %`, `1.5 GiB/s`, `0.5`).
 * @param {string} unit
 * @param {number} v
 * @returns {string}
 */
export function formatTick(unit, v) {
  switch (unit) {
    case "percent":
      return `${significant(v)} %`;
    case "bytes":
    case "rate":
      return formatValue(unit, v);
    default:
      return significant(v);
  }
}

/**
 * How long ago, coarsely: `now`, `5 s ago`, `3 min ago`, `2 h ago`, `4 d ago`.
 * A negative age (clock skew) reads as `now`.
 * @param {number} ageMs
 * @returns {string}
 */
export function formatAgo(ageMs) {
  if (!Number.isFinite(ageMs)) return NO_VALUE;
  const s = Math.floor(ageMs / 1000);
  if (s < 1) return "now";
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/**
 * An instant as `YYYY-MM-DD HH:MM:SS` in UTC (server-rendered pages, which do not know the
 * reader's time zone; the browser scripts show local time).
 * @param {number} ms
 * @returns {string}
 */
export function formatUtc(ms) {
  if (!Number.isFinite(ms)) return NO_VALUE;
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/**
 * Ticks for an axis of bytes: a power of 1024 times 1, 2, 2.5, 5 (and their tens) or 128,
 * 256, 512, so the
 * labels read `256 MiB`, `512 MiB`, `768 MiB` rather than `268 MB`.
 * @param {number} min
 * @param {number} max
 * @param {number} count the most ticks wanted
 * @returns {number[]}
 */
export function binaryTicks(min, max, count) {
  if (!Number.isFinite(min) || !Number.isFinite(max) || count < 1) return [];
  if (max <= min) return [min];
  const raw = (max - min) / count;
  let base = 1;
  while (base * 1024 <= raw) base *= 1024;
  let step = base;
  for (const f of [1, 2, 2.5, 5, 10, 20, 25, 50, 100, 128, 200, 250, 256, 500, 512, 1024]) {
    step = base * f;
    if (step >= raw) break;
  }
  const out = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) out.push(t);
  return out;
}
