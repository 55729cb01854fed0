/**
 * The Alertmanager webhook payload, version 4: what an existing Alertmanager receiver
 * reads (`version`, `groupKey`, `truncatedAlerts`, `status`, `receiver`, `groupLabels`,
 * `commonLabels`, `commonAnnotations`, `externalURL`, `alerts[]` with `status`, `labels`,
 * `annotations`, `startsAt`, `endsAt`, `generatorURL`, `fingerprint`).
 */
import type { NotifiedAlert } from "./notification.ts";

/** `endsAt` of an alert that is still firing, as Alertmanager writes it. */
export const ZERO_TIME = "0001-01-01T00:00:00Z";

/** One alert of the payload. */
export interface AlertmanagerAlert {
  status: "firing" | "resolved";
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** The whole payload. */
export interface AlertmanagerPayload {
  version: "4";
  groupKey: string;
  truncatedAlerts: number;
  status: "firing" | "resolved";
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: AlertmanagerAlert[];
}

/** The pairs every map of `maps` has with the same value (Alertmanager's common labels). */
export function commonPairs(maps: readonly Record<string, string>[]): Record<string, string> {
  if (maps.length === 0) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(maps[0])) {
    if (maps.every((m) => Object.hasOwn(m, k) && m[k] === v)) out[k] = v;
  }
  return out;
}

/** The group key, in Alertmanager's `{route}:{group labels}` form. */
export function groupKey(receiver: string, groupLabels: Record<string, string>): string {
  const labels = Object.keys(groupLabels).sort()
    .map((k) => `${k}=${JSON.stringify(groupLabels[k])}`).join(",");
  return `{}/{receiver=${JSON.stringify(receiver)}}:{${labels}}`;
}

/** Builds the payload for `alerts` of one rule sent to `receiver`. */
export function alertmanagerPayload(opts: {
  receiver: string;
  rule: string;
  alerts: readonly NotifiedAlert[];
  externalURL: string;
  truncatedAlerts?: number;
}): AlertmanagerPayload {
  const groupLabels = { alertname: opts.rule };
  return {
    version: "4",
    groupKey: groupKey(opts.receiver, groupLabels),
    truncatedAlerts: opts.truncatedAlerts ?? 0,
    status: opts.alerts.some((a) => a.status === "firing") ? "firing" : "resolved",
    receiver: opts.receiver,
    groupLabels,
    commonLabels: commonPairs(opts.alerts.map((a) => a.labels)),
    commonAnnotations: commonPairs(opts.alerts.map((a) => a.annotations)),
    externalURL: opts.externalURL,
    alerts: opts.alerts.map((a) => ({
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: new Date(a.startsAt).toISOString(),
      endsAt: a.endsAt === null ? ZERO_TIME : new Date(a.endsAt).toISOString(),
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    })),
  };
}
