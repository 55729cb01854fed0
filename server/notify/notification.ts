/**
 * What a notification says about one alert, independent of the receiver's format, and
 * the outbox message it ends up in.
 */

/** One alert in a notification; times in epoch ms. */
export interface NotifiedAlert {
  status: "firing" | "resolved";
  rule: string;
  severity: string;
  /** `alertname`, `host`, `severity` and the series' labels. */
  labels: Record<string, string>;
  /** `summary` and `description` when not empty. */
  annotations: Record<string, string>;
  /** When the condition started to hold. */
  startsAt: number;
  /** When it was resolved; null while firing. */
  endsAt: number | null;
  fingerprint: string;
  /** Where to look at the alert (empty when no external URL is configured). */
  generatorURL: string;
}

/** A message to one receiver, stored in the outbox before it is sent. */
export interface OutboxMessage {
  /** The Standard Webhooks `webhook-id`: stable across every retry. */
  id: string;
  receiver: string;
  receiverType: string;
  status: "firing" | "resolved";
  rule: string;
  alertCount: number;
  /** The exact body sent on every attempt. */
  body: string;
  /** Epoch ms. */
  createdAt: number;
}
