// @ts-check
/**
 * The host page's time range, from its URL: a preset (`?range=1h`) that follows the clock,
 * or a custom `?from=…&to=…` that stays put. Shared by the server (which renders the picker)
 * and the browser (which loads the charts), so both read the URL the same way.
 *
 * @example
 * ```js
 * parseRange({ range: "6h" }, now);  // { ok: true, value: { preset: "6h", fromMs: now - 6 h, toMs: now, live: true } }
 * parseRange({ from: "2025-06-01T10:00:00Z", to: "2025-06-01T12:00:00Z" }, now); // custom, live: false
 * ```
 */

/** The preset ranges, in milliseconds, in the order the picker shows them. */
export const RANGE_PRESETS = /** @type {const} */ ({
  "15m": 15 * 60_000,
  "1h": 3_600_000,
  "6h": 6 * 3_600_000,
  "24h": 24 * 3_600_000,
  "7d": 7 * 86_400_000,
});

/** The range a host page shows when the URL names none. */
export const DEFAULT_RANGE = "1h";
/** Shortest custom range. */
export const MIN_RANGE_MS = 60_000;
/** Longest custom range (the query API also caps ranges at the retention). */
export const MAX_RANGE_MS = 31 * 86_400_000;

/**
 * @typedef {object} TimeRange
 * @property {string | null} preset the preset's name, or null for a custom range
 * @property {number} fromMs start, epoch milliseconds
 * @property {number} toMs end, epoch milliseconds
 * @property {boolean} live true when the range follows the clock (presets)
 */

/**
 * @typedef {{ ok: true, value: TimeRange } | { ok: false, error: string }} RangeResult
 */

/**
 * An instant from the URL: ISO 8601 with an offset, or a `datetime-local` value
 * (`2025-06-01T10:00`, seconds optional) read as UTC. NaN when it is neither.
 * @param {string} text
 * @returns {number}
 */
export function parseInstantText(text) {
  const t = text.trim();
  const local = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(t);
  if (local) {
    const [y, mo, d, h, mi, s] = local.slice(1, 7).map((x) => Number(x ?? 0));
    if (h > 23 || mi > 59 || s > 59) return NaN;
    const ms = Date.UTC(y, mo - 1, d, h, mi, s, Number((local[7] ?? "0").padEnd(3, "0")));
    const back = new Date(ms);
    // Refuse impossible dates (2025-02-30) rather than rolling them over.
    if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return NaN;
    return ms;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(t)) return NaN;
  return Date.parse(t);
}

/**
 * Reads the range from URL parameters at `nowMs`. A preset wins when no `from`/`to` is
 * given; with `from` (and `to`, default now) the range is custom.
 * @param {{ range?: string | null, from?: string | null, to?: string | null }} params
 * @param {number} nowMs
 * @returns {RangeResult}
 */
export function parseRange(params, nowMs) {
  const from = params.from ?? "";
  const to = params.to ?? "";
  const range = params.range ?? "";
  if (from === "" && to === "") {
    const preset = range === "" ? DEFAULT_RANGE : range;
    if (!Object.hasOwn(RANGE_PRESETS, preset)) {
      return {
        ok: false,
        error: `range must be one of ${Object.keys(RANGE_PRESETS).join(", ")}, or custom`,
      };
    }
    const span = RANGE_PRESETS[/** @type {keyof typeof RANGE_PRESETS} */ (preset)];
    return { ok: true, value: { preset, fromMs: nowMs - span, toMs: nowMs, live: true } };
  }
  if (range !== "" && range !== "custom") {
    return { ok: false, error: "give either a preset range or from and to, not both" };
  }
  if (from === "") return { ok: false, error: "a custom range needs from" };
  const fromMs = parseInstantText(from);
  if (Number.isNaN(fromMs)) {
    return {
      ok: false,
      error: "from must be a date and time (2025-06-01T10:00, UTC, or ISO 8601)",
    };
  }
  const toMs = to === "" ? nowMs : parseInstantText(to);
  if (Number.isNaN(toMs)) {
    return { ok: false, error: "to must be a date and time (2025-06-01T10:00, UTC, or ISO 8601)" };
  }
  if (toMs - fromMs < MIN_RANGE_MS) {
    return { ok: false, error: "to must be at least one minute after from" };
  }
  if (toMs - fromMs > MAX_RANGE_MS) {
    return { ok: false, error: "a custom range may span at most 31 days" };
  }
  return { ok: true, value: { preset: null, fromMs, toMs, live: false } };
}

/**
 * The query string that names `r` (`range=6h`, or `from=…&to=…` in ISO 8601).
 * @param {TimeRange} r
 * @returns {string}
 */
export function rangeQuery(r) {
  if (r.preset !== null) return `range=${encodeURIComponent(r.preset)}`;
  return `from=${encodeURIComponent(new Date(r.fromMs).toISOString())}&to=${
    encodeURIComponent(new Date(r.toMs).toISOString())
  }`;
}

/**
 * A `datetime-local` value (UTC) for an instant: `2025-06-01T10:00`.
 * @param {number} ms
 * @returns {string}
 */
export function toDatetimeLocalUtc(ms) {
  return new Date(ms).toISOString().slice(0, 16);
}
