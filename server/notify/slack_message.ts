/**
 * The Slack incoming-webhook message: `{"text": …}` with one headline and one line per
 * alert (at most `SLACK_MAX_LINES`, then a count of the rest).
 */
import type { NotifiedAlert } from "./notification.ts";

/** Alerts listed in one Slack message before "… and N more". */
export const SLACK_MAX_LINES = 20;

/** Slack's own escaping of `&`, `<` and `>`. */
export function slackEscape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** `{text}` for `alerts` of one rule, all with the same status. */
export function slackMessage(rule: string, alerts: readonly NotifiedAlert[]): { text: string } {
  const firing = alerts.some((a) => a.status === "firing");
  const severity = alerts[0]?.severity ?? "";
  const head = `[${firing ? "FIRING" : "RESOLVED"}:${alerts.length}] ${slackEscape(rule)}` +
    (severity ? ` (${slackEscape(severity)})` : "");
  const lines = alerts.slice(0, SLACK_MAX_LINES).map((a) => {
    const what = a.annotations.summary ?? "";
    const host = a.labels.host ?? "";
    return `• ${slackEscape(host)}${what ? `: ${slackEscape(what)}` : ""}`;
  });
  if (alerts.length > SLACK_MAX_LINES) {
    lines.push(`… and ${alerts.length - SLACK_MAX_LINES} more`);
  }
  return { text: [head, ...lines].join("\n") };
}
