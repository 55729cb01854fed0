/**
 * Query parameters of the alerting routes, validated once with messages naming the
 * parameter; unknown and repeated parameters are refused.
 */
import { parseInstant } from "../../../shared/metric.ts";
import { formatDuration } from "../../../shared/duration.ts";
import { ALERT_STATES, type AlertState } from "../../alerts/state_machine.ts";
import { DELIVERY_STATES, type DeliveryState } from "../../notify/outbox_store.ts";

/** A parsed value or a message. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** States listed by `GET /api/v1/alerts` when `state` is not given: every one but `ok`. */
export const DEFAULT_STATES: AlertState[] = ["pending", "firing", "nodata"];
/** Default history range: the last 24 hours. */
export const DEFAULT_HISTORY_MS = 86_400_000;

function fail<T>(error: string): Parsed<T> {
  return { ok: false, error };
}

function checkNames(params: URLSearchParams, known: readonly string[]): string | null {
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (seen.has(key)) return `${key} is given more than once`;
    seen.add(key);
    if (!known.includes(key)) {
      return `unknown parameter ${JSON.stringify(key)}; allowed: ${known.join(", ")}`;
    }
  }
  return null;
}

function limit(params: URLSearchParams, fallback: number, max: number): Parsed<number> {
  const v = params.get("limit");
  if (v === null) return { ok: true, value: fallback };
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) {
    return fail(`limit must be a whole number from 1 to ${max}`);
  }
  return { ok: true, value: Number(v) };
}

function optionalText(params: URLSearchParams, key: string): Parsed<string | undefined> {
  const v = params.get(key);
  if (v === null) return { ok: true, value: undefined };
  if (v === "" || v.length > 255) return fail(`${key} must be 1 to 255 characters`);
  return { ok: true, value: v };
}

/** `?state=firing,pending|all&rule=&host=&limit=` of `GET /api/v1/alerts`. */
export function parseAlertListParams(params: URLSearchParams): Parsed<{
  states: AlertState[];
  rule?: string;
  host?: string;
  limit: number;
}> {
  const err = checkNames(params, ["state", "rule", "host", "limit"]);
  if (err) return fail(err);
  let states = DEFAULT_STATES;
  const s = params.get("state");
  if (s !== null) {
    if (s === "all") {
      states = [...ALERT_STATES];
    } else {
      const list = s.split(",").map((x) => x.trim());
      const bad = list.find((x) => !(ALERT_STATES as readonly string[]).includes(x));
      if (bad !== undefined) {
        return fail(`state must be all or a comma-separated list of ${ALERT_STATES.join(", ")}`);
      }
      states = list as AlertState[];
    }
  }
  const rule = optionalText(params, "rule");
  if (!rule.ok) return rule;
  const host = optionalText(params, "host");
  if (!host.ok) return host;
  const n = limit(params, 1000, 10_000);
  if (!n.ok) return n;
  return { ok: true, value: { states, rule: rule.value, host: host.value, limit: n.value } };
}

/** `?from=&to=&rule=&host=&limit=` of `GET /api/v1/alerts/history` (default: the last 24 h). */
export function parseHistoryParams(
  params: URLSearchParams,
  nowMs: number,
  retentionMs: number,
): Parsed<{ from: number; to: number; rule?: string; host?: string; limit: number }> {
  const err = checkNames(params, ["from", "to", "rule", "host", "limit"]);
  if (err) return fail(err);
  const time = (key: "from" | "to"): Parsed<number | null> => {
    const v = params.get(key);
    if (v === null || v === "") return { ok: true, value: null };
    const ms = parseInstant(v);
    return ms === null
      ? fail(`${key} must be an ISO 8601 instant with an offset`)
      : { ok: true, value: ms };
  };
  const toP = time("to");
  if (!toP.ok) return toP;
  const fromP = time("from");
  if (!fromP.ok) return fromP;
  const to = toP.value ?? nowMs;
  const from = fromP.value ?? to - DEFAULT_HISTORY_MS;
  if (from >= to) return fail("from must be earlier than to");
  if (to - from > retentionMs) {
    return fail(`from..to spans more than the retention (${formatDuration(retentionMs)})`);
  }
  const rule = optionalText(params, "rule");
  if (!rule.ok) return rule;
  const host = optionalText(params, "host");
  if (!host.ok) return host;
  const n = limit(params, 1000, 10_000);
  if (!n.ok) return n;
  return {
    ok: true,
    value: { from, to, rule: rule.value, host: host.value, limit: n.value },
  };
}

/** `?delivery=pending|delivered|failed&limit=` of `GET /api/v1/notifications`. */
export function parseNotificationParams(
  params: URLSearchParams,
): Parsed<{ delivery?: DeliveryState; limit: number }> {
  const err = checkNames(params, ["delivery", "limit"]);
  if (err) return fail(err);
  const d = params.get("delivery");
  if (d !== null && !(DELIVERY_STATES as readonly string[]).includes(d)) {
    return fail(`delivery must be one of ${DELIVERY_STATES.join(", ")}`);
  }
  const n = limit(params, 100, 1000);
  if (!n.ok) return n;
  return {
    ok: true,
    value: { delivery: (d ?? undefined) as DeliveryState | undefined, limit: n.value },
  };
}

/** `?all=true|false` of `GET /api/v1/silences`. */
export function parseSilenceListParams(params: URLSearchParams): Parsed<{ all: boolean }> {
  const err = checkNames(params, ["all"]);
  if (err) return fail(err);
  const v = params.get("all");
  if (v === null || v === "false") return { ok: true, value: { all: false } };
  if (v === "true") return { ok: true, value: { all: true } };
  return fail("all must be true or false");
}
