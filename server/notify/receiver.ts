/**
 * Notification receivers (from `ALERT_RECEIVERS` or the rules file's `receivers`), and
 * their validation. A `webhook` receives the Alertmanager v4 JSON payload, a `slack`
 * receiver an incoming-webhook `{"text": …}` message. `severities` routes: a receiver
 * with it gets only alerts of those severities.
 *
 * @example
 * ```json
 * [{"name": "oncall", "type": "webhook", "url": "https://hooks.example/am", "secret": "whsec_…", "severities": ["critical"]},
 *  {"name": "team", "type": "slack", "url": "https://hooks.slack.com/services/…"}]
 * ```
 */
import { SEVERITIES, type Severity } from "../alerts/rule.ts";
import { decodeSecret } from "./standard_webhooks.ts";

/** Kinds of receiver. */
export const RECEIVER_TYPES = ["webhook", "slack"] as const;
/** One kind of receiver. */
export type ReceiverType = typeof RECEIVER_TYPES[number];

/** A validated receiver. */
export interface Receiver {
  name: string;
  type: ReceiverType;
  url: string;
  /** Signing key bytes (Standard Webhooks); undefined sends unsigned. */
  secret?: Uint8Array;
  /** Severities routed to this receiver; undefined means all. */
  severities?: Severity[];
  /** Whether resolved notifications are sent too (default true). */
  sendResolved: boolean;
}

const FIELDS = new Set(["name", "type", "url", "secret", "severities", "send_resolved"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Validates one receiver object; returns it or the located problems (secrets never echoed). */
export function validateReceiver(raw: unknown, where: string): Receiver | string[] {
  if (!isObject(raw)) return [`${where}: must be an object`];
  const at = `${where}${typeof raw.name === "string" ? ` ${JSON.stringify(raw.name)}` : ""}`;
  const problems: string[] = [];
  const add = (field: string, msg: string) => problems.push(`${at}: ${field}: ${msg}`);
  for (const k of Object.keys(raw)) {
    if (!FIELDS.has(k)) add(k, `unknown field; allowed: ${[...FIELDS].join(", ")}`);
  }
  const name = raw.name;
  if (typeof name !== "string" || name.trim() === "" || name.length > 128) {
    add("name", "is required: a non-empty string of at most 128 characters");
  }
  const type = raw.type;
  if (typeof type !== "string" || !(RECEIVER_TYPES as readonly string[]).includes(type)) {
    add("type", `must be one of ${RECEIVER_TYPES.join(", ")} (got ${JSON.stringify(type)})`);
  }
  let url = "";
  if (typeof raw.url !== "string") {
    add("url", "is required: an http:// or https:// URL");
  } else {
    try {
      const u = new URL(raw.url);
      if (u.protocol !== "http:" && u.protocol !== "https:") add("url", "must use http or https");
      url = u.href;
    } catch {
      add("url", "is not a URL");
    }
  }
  let secret: Uint8Array | undefined;
  if (raw.secret !== undefined) {
    if (typeof raw.secret !== "string" || raw.secret.length === 0) {
      add("secret", "must be a non-empty string (whsec_<base64> or plain text)");
    } else {
      const decoded = decodeSecret(raw.secret);
      if (decoded === null) add("secret", "starts with whsec_ but is not valid base64 after it");
      else secret = decoded;
    }
  }
  let severities: Severity[] | undefined;
  if (raw.severities !== undefined) {
    const list = raw.severities;
    if (
      !Array.isArray(list) || list.length === 0 ||
      !list.every((s) => (SEVERITIES as readonly string[]).includes(s))
    ) {
      add("severities", `must be a non-empty list of ${SEVERITIES.join(", ")}`);
    } else {
      severities = [...new Set(list as Severity[])];
    }
  }
  if (raw.send_resolved !== undefined && typeof raw.send_resolved !== "boolean") {
    add("send_resolved", "must be true or false");
  }
  if (problems.length > 0) return problems;
  return {
    name: name as string,
    type: type as ReceiverType,
    url,
    secret,
    severities,
    sendResolved: raw.send_resolved !== false,
  };
}

/** True when `receiver` takes alerts of `severity`. */
export function routes(receiver: Receiver, severity: string): boolean {
  return !receiver.severities || (receiver.severities as string[]).includes(severity);
}

/** The receiver without its secret, for the API. */
export function describeReceiver(r: Receiver) {
  return {
    name: r.name,
    type: r.type,
    url: redactUrl(r.url),
    signed: r.secret !== undefined,
    severities: r.severities ?? null,
    send_resolved: r.sendResolved,
  };
}

/** The URL without credentials, query or path beyond the host (webhook URLs often embed tokens). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return "(invalid)";
  }
}
