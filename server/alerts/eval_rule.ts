/**
 * What the evaluator needs of a rule, configured or built in: the state machine's
 * parameters plus what notifications say (severity, templates).
 */
import { formatDuration } from "../../shared/duration.ts";
import { type AlertRule, HOST_DOWN_RULE } from "./rule.ts";
import type { StepRule } from "./state_machine.ts";

/** A rule as the evaluator uses it. */
export interface EvalRule {
  name: string;
  /** Shown by `{{metric}}`. */
  metric: string;
  severity: string;
  summary: string;
  description: string;
  threshold: number;
  step: StepRule;
}

/** The evaluator's view of a configured rule. */
export function evalRuleOf(r: AlertRule): EvalRule {
  return {
    name: r.name,
    metric: r.metric,
    severity: r.severity,
    summary: r.summary,
    description: r.description,
    threshold: r.threshold,
    step: {
      op: r.op,
      threshold: r.threshold,
      forMs: r.forMs,
      keepFiringForMs: r.keepFiringForMs,
      nodata: r.nodata,
    },
  };
}

/**
 * The built-in HostDown rule: its value is the seconds since the host's last batch; it is
 * pending as soon as that exceeds `HOST_DOWN_AFTER`, firing one evaluation later, and
 * resolved when data returns.
 */
export function hostDownRule(hostDownAfterMs: number): EvalRule {
  const threshold = hostDownAfterMs / 1000;
  return {
    name: HOST_DOWN_RULE,
    metric: "host.last_seen",
    severity: "critical",
    summary: "{{host}} has sent no data for {{value}} s",
    description: `No batch from {{host}} for longer than HOST_DOWN_AFTER (${
      formatDuration(hostDownAfterMs)
    }).`,
    threshold,
    step: {
      op: ">",
      threshold,
      forMs: 0,
      keepFiringForMs: 0,
      nodata: "ok",
      pendingFirst: true,
    },
  };
}
