/**
 * Silences: matchers on alert labels and a time range. An alert matched by an active
 * silence keeps its state but sends nothing. Pure validation and matching; storage is in
 * `silence_store.ts`.
 *
 * @example
 * ```json
 * {"matchers": [{"name": "alertname", "value": "HighCPU"}, {"name": "host", "value": "web-.*", "isRegex": true}],
 *  "ends_at": "2025-06-01T14:00:00Z", "comment": "deploy of web tier"}
 * ```
 */
import { parseInstant } from "../../shared/metric.ts";

/** One matcher: equality (or inequality) with a value, or a full-match regular expression. */
export interface Matcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

/** A stored silence; times in epoch ms. */
export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  comment: string;
  createdBy: string;
  createdAt: number;
}

/** What a client asks for when creating a silence. */
export interface SilenceInput {
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  comment: string;
}

/** Limits of silences. */
export const SILENCE_LIMITS = {
  matchers: 32,
  valueLength: 1024,
  commentLength: 1000,
  maxDurationMs: 366 * 86_400_000,
} as const;

const FIELDS = new Set(["matchers", "starts_at", "ends_at", "comment"]);
const MATCHER_FIELDS = new Set(["name", "value", "isRegex", "isEqual"]);

type Result<T> = { ok: true; value: T } | { ok: false; error: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function validateMatcher(raw: unknown, i: number): Result<Matcher> {
  const at = `matchers[${i}]`;
  if (!isObject(raw)) return { ok: false, error: `${at} must be an object` };
  for (const k of Object.keys(raw)) {
    if (!MATCHER_FIELDS.has(k)) {
      return { ok: false, error: `${at}.${k} is unknown; use name, value, isRegex, isEqual` };
    }
  }
  if (typeof raw.name !== "string" || raw.name === "" || raw.name.length > 128) {
    return { ok: false, error: `${at}.name must be a label name (1-128 characters)` };
  }
  if (typeof raw.value !== "string" || raw.value.length > SILENCE_LIMITS.valueLength) {
    return {
      ok: false,
      error: `${at}.value must be a string of at most ${SILENCE_LIMITS.valueLength} characters`,
    };
  }
  for (const flag of ["isRegex", "isEqual"] as const) {
    if (raw[flag] !== undefined && typeof raw[flag] !== "boolean") {
      return { ok: false, error: `${at}.${flag} must be true or false` };
    }
  }
  const isRegex = raw.isRegex === true;
  if (isRegex) {
    try {
      new RegExp(raw.value);
    } catch (e) {
      return { ok: false, error: `${at}.value is not a valid regular expression: ${e}` };
    }
  }
  return {
    ok: true,
    value: { name: raw.name, value: raw.value, isRegex, isEqual: raw.isEqual !== false },
  };
}

/** Validates a create request at `now`: 1–32 matchers, `ends_at` in the future, a comment. */
export function validateSilenceInput(body: unknown, now: number): Result<SilenceInput> {
  if (!isObject(body)) return { ok: false, error: "body must be a JSON object" };
  for (const k of Object.keys(body)) {
    if (!FIELDS.has(k)) {
      return { ok: false, error: `${k} is unknown; use matchers, starts_at, ends_at, comment` };
    }
  }
  const list = body.matchers;
  if (!Array.isArray(list) || list.length === 0 || list.length > SILENCE_LIMITS.matchers) {
    return {
      ok: false,
      error: `matchers must be a list of 1 to ${SILENCE_LIMITS.matchers} matchers`,
    };
  }
  const matchers: Matcher[] = [];
  for (let i = 0; i < list.length; i++) {
    const m = validateMatcher(list[i], i);
    if (!m.ok) return m;
    matchers.push(m.value);
  }
  const startsAt = body.starts_at === undefined ? now : parseInstant(body.starts_at);
  if (startsAt === null) {
    return { ok: false, error: "starts_at must be an ISO 8601 instant with an offset" };
  }
  const endsAt = parseInstant(body.ends_at);
  if (endsAt === null) {
    return { ok: false, error: "ends_at is required: an ISO 8601 instant with an offset" };
  }
  if (endsAt <= now) return { ok: false, error: "ends_at must be in the future" };
  if (endsAt <= startsAt) return { ok: false, error: "ends_at must be later than starts_at" };
  if (endsAt - Math.max(startsAt, now) > SILENCE_LIMITS.maxDurationMs) {
    return { ok: false, error: "a silence may last at most 366 days" };
  }
  const comment = body.comment;
  if (
    typeof comment !== "string" || comment.trim() === "" ||
    comment.length > SILENCE_LIMITS.commentLength
  ) {
    return {
      ok: false,
      error: `comment is required: why, in at most ${SILENCE_LIMITS.commentLength} characters`,
    };
  }
  return { ok: true, value: { matchers, startsAt, endsAt, comment } };
}

const regexCache = new Map<string, RegExp>();

function matcherMatches(m: Matcher, labels: Record<string, string>): boolean {
  const v = labels[m.name] ?? "";
  let hit: boolean;
  if (m.isRegex) {
    let re = regexCache.get(m.value);
    if (!re) {
      re = new RegExp(`^(?:${m.value})$`, "s");
      if (regexCache.size > 1000) regexCache.clear();
      regexCache.set(m.value, re);
    }
    hit = re.test(v);
  } else {
    hit = v === m.value;
  }
  return m.isEqual ? hit : !hit;
}

/** True when every matcher of `s` holds for `labels`. */
export function silenceMatches(s: Pick<Silence, "matchers">, labels: Record<string, string>) {
  return s.matchers.every((m) => matcherMatches(m, labels));
}

/** `pending` before it starts, `active` until it ends, then `expired`. */
export function silenceStatus(s: Silence, now: number): "pending" | "active" | "expired" {
  if (now < s.startsAt) return "pending";
  if (now < s.endsAt) return "active";
  return "expired";
}

/** True when an active silence among `silences` matches `labels` at `now`. */
export function isSilenced(
  silences: readonly Silence[],
  labels: Record<string, string>,
  now: number,
): boolean {
  return silences.some((s) => silenceStatus(s, now) === "active" && silenceMatches(s, labels));
}
