/**
 * The alert instance state machine, pure: one `step` per evaluation, with Prometheus
 * semantics. `ok → pending` when the condition first holds, `pending → firing` once it
 * has held for `for` (at once when `for` is 0), `firing → ok` (resolved) once it has not
 * held for `keep_firing_for`; `pending → ok` when it stops holding, which is never a
 * notification.
 *
 * No data (the series stopped) follows the rule's `nodata` mode: `ok` treats it as the
 * condition not holding, `alerting` as holding, `keep` moves the instance to `nodata` and
 * keeps everything else (a firing alert stays active, nothing is resolved) until data
 * returns.
 */
import { compare, type NodataMode, type Op } from "./rule.ts";

/** States an instance can be in. */
export const ALERT_STATES = ["ok", "pending", "firing", "nodata"] as const;
/** One instance state. */
export type AlertState = typeof ALERT_STATES[number];

/** What the database and the evaluator keep of one instance; times in epoch ms. */
export interface InstanceState {
  state: AlertState;
  /** The last evaluated value; null without data. */
  value: number | null;
  /** When the condition started to hold (pending or firing); null when ok. */
  activeSince: number | null;
  /** When it became firing; null unless firing (or kept firing through `nodata`). */
  firedAt: number | null;
  /** When the condition stopped holding while firing (keep_firing_for runs from here). */
  keepFiringSince: number | null;
  /** When a firing notification was last queued for it; null if never since it fired. */
  notifiedAt: number | null;
  /** When `state` last changed. */
  changedAt: number;
}

/** One evaluation's input for an instance. */
export type Observation = { kind: "value"; value: number } | { kind: "nodata" };

/** The rule parameters the state machine needs. */
export interface StepRule {
  op: Op;
  threshold: number;
  forMs: number;
  keepFiringForMs: number;
  nodata: NodataMode;
  /** Always spend one evaluation pending before firing, even with `for` 0 (HostDown). */
  pendingFirst?: boolean;
}

/** The outcome of one step. */
export interface StepResult {
  next: InstanceState;
  /** `next.state` differs from the previous state. */
  changed: boolean;
  /** The alert became firing in this step. */
  fired: boolean;
  /** The alert had fired and is resolved in this step. */
  resolved: boolean;
}

/** A fresh `ok` instance at `now`. */
export function okInstance(now: number): InstanceState {
  return {
    state: "ok",
    value: null,
    activeSince: null,
    firedAt: null,
    keepFiringSince: null,
    notifiedAt: null,
    changedAt: now,
  };
}

/** The state an instance in `nodata` had before its data stopped. */
export function phaseOf(s: InstanceState): "ok" | "pending" | "firing" {
  if (s.state !== "nodata") return s.state;
  if (s.firedAt !== null) return "firing";
  if (s.activeSince !== null) return "pending";
  return "ok";
}

/** True when the alert is active for notifications: it fired and is not resolved. */
export function isActive(s: InstanceState): boolean {
  return s.firedAt !== null;
}

/** Advances `prev` (undefined for a new instance) by one evaluation at `now`. */
export function step(
  prev: InstanceState | undefined,
  obs: Observation,
  rule: StepRule,
  now: number,
): StepResult {
  const before = prev ?? okInstance(now);
  const value = obs.kind === "value" ? obs.value : null;
  let holds: boolean;
  if (obs.kind === "value") {
    holds = compare(obs.value, rule.op, rule.threshold);
  } else if (rule.nodata === "keep") {
    const next: InstanceState = {
      ...before,
      state: "nodata",
      value: null,
      changedAt: before.state === "nodata" ? before.changedAt : now,
    };
    return { next, changed: before.state !== "nodata", fired: false, resolved: false };
  } else {
    holds = rule.nodata === "alerting";
  }

  const phase = phaseOf(before);
  let next: InstanceState;
  let fired = false;
  let resolved = false;
  if (holds) {
    if (phase === "firing") {
      next = { ...before, state: "firing", value, keepFiringSince: null };
    } else {
      const activeSince = phase === "pending" ? before.activeSince! : now;
      const heldLongEnough = now - activeSince >= rule.forMs &&
        !(rule.pendingFirst && now === activeSince);
      if (heldLongEnough) {
        next = {
          ...before,
          state: "firing",
          value,
          activeSince,
          firedAt: now,
          keepFiringSince: null,
          notifiedAt: null,
        };
        fired = true;
      } else {
        next = { ...before, state: "pending", value, activeSince, firedAt: null };
      }
    }
  } else if (phase === "firing") {
    const since = before.keepFiringSince ?? now;
    if (now - since >= rule.keepFiringForMs) {
      next = { ...okInstance(now), value };
      resolved = true;
    } else {
      next = { ...before, state: "firing", value, keepFiringSince: since };
    }
  } else {
    next = { ...okInstance(now), value };
  }
  const changed = next.state !== before.state;
  next.changedAt = changed || !prev ? now : before.changedAt;
  return { next, changed, fired, resolved };
}
