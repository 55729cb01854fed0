/**
 * An alert instance as the evaluator keeps it: identity (rule, host, series labels), what
 * notifications say about it (fingerprint, severity, rendered annotations) and its state.
 */
import { canonicalLabels } from "../storage/labels.ts";
import { fingerprint } from "../notify/fingerprint.ts";
import type { InstanceState } from "./state_machine.ts";

/** One alert instance. */
export interface Instance {
  rule: string;
  host: string;
  /** The series' labels (empty for HostDown). */
  labels: Record<string, string>;
  fingerprint: string;
  severity: string;
  summary: string;
  description: string;
  s: InstanceState;
}

/** One state change, as recorded in the history. */
export interface Transition {
  time: number;
  rule: string;
  host: string;
  labels: Record<string, string>;
  fingerprint: string;
  from: string;
  to: string;
  value: number | null;
  /** Why, when the change is not an evaluation (`host retired`, `rule removed`…). */
  reason: string | null;
}

/** The key of an instance within its rule: host and canonical labels. */
export function instanceKey(host: string, labels: Record<string, string>): string {
  return `${host}\u0000${canonicalLabels(labels)}`;
}

/** The labels notifications carry: the series' labels, then alertname, host and severity. */
export function alertLabels(
  rule: string,
  host: string,
  severity: string,
  labels: Record<string, string>,
): Record<string, string> {
  return { ...labels, alertname: rule, host, severity };
}

/** The fingerprint of an instance's alert labels. */
export function instanceFingerprint(
  rule: string,
  host: string,
  severity: string,
  labels: Record<string, string>,
): string {
  return fingerprint(alertLabels(rule, host, severity, labels));
}
