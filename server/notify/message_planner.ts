/**
 * Turns the alerts to notify in one evaluation into outbox messages: per receiver (routed
 * by severity; resolved only to receivers that want them), one message per rule and
 * status, split every `maxAlerts` alerts. Pure: ids and time are passed in.
 */
import { alertmanagerPayload } from "./alertmanager_payload.ts";
import type { NotifiedAlert, OutboxMessage } from "./notification.ts";
import { type Receiver, routes } from "./receiver.ts";
import { slackMessage } from "./slack_message.ts";

/** Most alerts in one message; more are split into several messages. */
export const MAX_ALERTS_PER_MESSAGE = 100;

/** What the planner needs besides the alerts and receivers. */
export interface PlanOptions {
  externalURL: string;
  now: number;
  newId: () => string;
  maxAlerts?: number;
}

/** The messages, and the fingerprints of firing alerts that reached at least one receiver. */
export interface Plan {
  messages: OutboxMessage[];
  notifiedFiring: Set<string>;
}

/** Plans the messages for `alerts` across `receivers`. */
export function planMessages(
  alerts: readonly NotifiedAlert[],
  receivers: readonly Receiver[],
  opts: PlanOptions,
): Plan {
  const max = opts.maxAlerts ?? MAX_ALERTS_PER_MESSAGE;
  const messages: OutboxMessage[] = [];
  const notifiedFiring = new Set<string>();
  for (const receiver of receivers) {
    const groups = new Map<string, NotifiedAlert[]>();
    for (const a of alerts) {
      if (!routes(receiver, a.severity)) continue;
      if (a.status === "resolved" && !receiver.sendResolved) continue;
      const key = `${a.status}\u0000${a.rule}`;
      let list = groups.get(key);
      if (!list) groups.set(key, list = []);
      list.push(a);
    }
    for (const list of groups.values()) {
      for (let i = 0; i < list.length; i += max) {
        const chunk = list.slice(i, i + max);
        const rule = chunk[0].rule;
        const status = chunk[0].status;
        const payload = receiver.type === "slack"
          ? slackMessage(rule, chunk)
          : alertmanagerPayload({
            receiver: receiver.name,
            rule,
            alerts: chunk,
            externalURL: opts.externalURL,
          });
        messages.push({
          id: opts.newId(),
          receiver: receiver.name,
          receiverType: receiver.type,
          status,
          rule,
          alertCount: chunk.length,
          body: JSON.stringify(payload),
          createdAt: opts.now,
        });
        if (status === "firing") { for (const a of chunk) notifiedFiring.add(a.fingerprint); }
      }
    }
  }
  return { messages, notifiedFiring };
}
