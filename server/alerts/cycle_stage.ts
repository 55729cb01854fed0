/**
 * One evaluation cycle's changes, staged over the evaluator's instance cache: nothing in
 * the cache changes until the cycle's transaction has committed (`apply`), so a failed
 * write leaves memory and database in agreement.
 */
import type { NotifiedAlert, OutboxMessage } from "../notify/notification.ts";
import type { EvalRule } from "./eval_rule.ts";
import { alertLabels, type Instance, instanceFingerprint, type Transition } from "./instance.ts";
import type { CycleWrite, RuleStatus } from "./instance_store.ts";
import { compare } from "./rule.ts";
import { isSilenced, type Silence } from "./silences.ts";
import { type InstanceState, isActive, type Observation, step } from "./state_machine.ts";
import { renderTemplate } from "./template.ts";

/** An instance cache: rule name → instance key → instance. */
export type InstanceCache = Map<string, Map<string, Instance>>;

/** How long an instance that never fired stays in `nodata` before it is forgotten. */
export const NODATA_FORGET_AFTER_MS = 24 * 3_600_000;

interface Ref {
  rule: string;
  key: string;
}

/** Staged changes of one cycle at `now`. */
export class CycleStage {
  readonly #overlay = new Map<string, Map<string, Instance | null>>();
  readonly #dirty: Ref[] = [];
  readonly #dirtySet = new Set<string>();
  readonly #deletes: Instance[] = [];
  readonly transitions: Transition[] = [];
  readonly statuses: RuleStatus[] = [];
  readonly #resolved: Instance[] = [];
  #due: Ref[] = [];

  constructor(
    readonly now: number,
    private readonly cache: InstanceCache,
    private readonly forgetAfterMs = NODATA_FORGET_AFTER_MS,
  ) {}

  /** The instance as this cycle sees it: staged, else cached; null when removed. */
  current(rule: string, key: string): Instance | null | undefined {
    const staged = this.#overlay.get(rule);
    if (staged?.has(key)) return staged.get(key)!;
    return this.cache.get(rule)?.get(key);
  }

  #put(rule: string, key: string, inst: Instance | null, write: boolean): void {
    let staged = this.#overlay.get(rule);
    if (!staged) this.#overlay.set(rule, staged = new Map());
    staged.set(key, inst);
    const id = `${rule}\u0000${key}`;
    if (write && inst && !this.#dirtySet.has(id)) {
      this.#dirtySet.add(id);
      this.#dirty.push({ rule, key });
    }
  }

  #transition(inst: Instance, from: string, to: string, reason: string | null): void {
    this.transitions.push({
      time: this.now,
      rule: inst.rule,
      host: inst.host,
      labels: inst.labels,
      fingerprint: inst.fingerprint,
      from,
      to,
      value: inst.s.value,
      reason,
    });
  }

  /** Steps one instance of `rule` with `obs`. */
  observe(
    rule: EvalRule,
    key: string,
    host: string,
    labels: Record<string, string>,
    obs: Observation,
  ): void {
    const now = this.now;
    const prev = this.cache.get(rule.name)?.get(key);
    if (
      prev && prev.s.state === "ok" && obs.kind === "value" && prev.severity === rule.severity &&
      !compare(obs.value, rule.step.op, rule.step.threshold)
    ) {
      // The common case, ok and staying ok: only the value changes, and an ok instance's
      // value is not stored, so the cached one is updated in place (no allocation, no write).
      prev.s.value = obs.value;
      return;
    }
    const res = step(prev?.s, obs, rule.step, now);
    const next = res.next;
    if (res.resolved && prev && prev.s.notifiedAt !== null) this.#resolved.push(prev);
    const from = prev?.s.state ?? "ok";

    if (obs.kind === "nodata" && next.state === "ok") {
      // The series is gone and nothing is pending: drop the instance (it comes back with data).
      if (prev) this.remove(prev, key, from === "ok" ? null : "no data", "ok");
      return;
    }
    if (
      prev && next.state === "nodata" && next.firedAt === null &&
      now - next.changedAt >= this.forgetAfterMs
    ) {
      this.remove(prev, key, "no data for 24 h");
      return;
    }

    const sameSeverity = prev !== undefined && prev.severity === rule.severity;
    // Written when new or changed; a non-ok instance also when its value moved (so the API
    // shows the value that keeps it pending or firing). When it is evaluated is the rule's.
    const write = !prev || res.changed || !sameSeverity || timesDiffer(prev.s, next) ||
      (next.state !== "ok" && next.value !== prev.s.value);
    const inst: Instance = write
      ? {
        rule: rule.name,
        host,
        labels,
        fingerprint: sameSeverity
          ? prev!.fingerprint
          : instanceFingerprint(rule.name, host, rule.severity, labels),
        severity: rule.severity,
        summary: render(rule, rule.summary, host, labels, next.value),
        description: render(rule, rule.description, host, labels, next.value),
        s: next,
      }
      : { ...prev!, s: next };
    this.#put(rule.name, key, inst, write);
    if (res.changed) this.#transition(inst, from, next.state, null);
  }

  /** Removes an instance (host retired, rule removed, data gone); resolves it if notified. */
  remove(inst: Instance, key: string, reason: string | null, to = "removed"): void {
    this.#put(inst.rule, key, null, false);
    this.#deletes.push(inst);
    if (reason !== null) this.#transition(inst, inst.s.state, to, reason);
    if (isActive(inst.s) && inst.s.notifiedAt !== null && !this.#resolved.includes(inst)) {
      this.#resolved.push(inst);
    }
  }

  /** Records a rule's health for this cycle. */
  status(rule: string, series: number, durationMs: number, error: string | null): void {
    this.statuses.push({ rule, lastEval: this.now, durationMs, error, series });
  }

  /** Every instance as this cycle sees it, with its key. */
  *instances(): Generator<[Ref, Instance]> {
    for (const [rule, staged] of this.#overlay) {
      for (const [key, inst] of staged) if (inst) yield [{ rule, key }, inst];
    }
    for (const [rule, cached] of this.cache) {
      const staged = this.#overlay.get(rule);
      for (const [key, inst] of cached) if (!staged?.has(key)) yield [{ rule, key }, inst];
    }
  }

  /**
   * The alerts to notify: resolved ones that had been notified, and active ones never
   * notified or last notified `repeatMs` ago; none matched by an active silence.
   */
  notifications(silences: readonly Silence[], repeatMs: number, externalUrl: string) {
    const now = this.now;
    const out: NotifiedAlert[] = [];
    for (const inst of this.#resolved) {
      const labels = alertLabels(inst.rule, inst.host, inst.severity, inst.labels);
      if (isSilenced(silences, labels, now)) continue;
      out.push(notified(inst, labels, "resolved", now, externalUrl));
    }
    this.#due = [];
    for (const [ref, inst] of this.instances()) {
      if (!isActive(inst.s)) continue;
      if (inst.s.notifiedAt !== null && now - inst.s.notifiedAt < repeatMs) continue;
      const labels = alertLabels(inst.rule, inst.host, inst.severity, inst.labels);
      if (isSilenced(silences, labels, now)) continue;
      out.push(notified(inst, labels, "firing", null, externalUrl));
      this.#due.push(ref);
    }
    return out;
  }

  /** Marks the due firing alerts whose fingerprints reached a receiver as notified now. */
  markNotified(fingerprints: ReadonlySet<string>): void {
    for (const ref of this.#due) {
      const inst = this.current(ref.rule, ref.key);
      if (!inst || !fingerprints.has(inst.fingerprint)) continue;
      this.#put(ref.rule, ref.key, { ...inst, s: { ...inst.s, notifiedAt: this.now } }, true);
    }
  }

  /** What the cycle's transaction writes. */
  toWrite(messages: OutboxMessage[], replica: string): CycleWrite {
    const upserts: Instance[] = [];
    for (const ref of this.#dirty) {
      const inst = this.#overlay.get(ref.rule)?.get(ref.key);
      if (inst) upserts.push(inst);
    }
    return {
      now: this.now,
      replica,
      upserts,
      deletes: this.#deletes,
      transitions: this.transitions,
      messages,
      statuses: this.statuses,
    };
  }

  /** Applies the staged changes to the cache (after commit). */
  apply(): void {
    for (const [rule, staged] of this.#overlay) {
      let cached = this.cache.get(rule);
      for (const [key, inst] of staged) {
        if (inst) {
          if (!cached) this.cache.set(rule, cached = new Map());
          cached.set(key, inst);
        } else {
          cached?.delete(key);
        }
      }
      if (cached && cached.size === 0) this.cache.delete(rule);
    }
  }
}

function timesDiffer(a: InstanceState, b: InstanceState): boolean {
  return a.activeSince !== b.activeSince || a.firedAt !== b.firedAt ||
    a.keepFiringSince !== b.keepFiringSince || a.notifiedAt !== b.notifiedAt;
}

function render(
  rule: EvalRule,
  template: string,
  host: string,
  labels: Record<string, string>,
  value: number | null,
): string {
  if (template === "") return "";
  return renderTemplate(template, {
    host,
    value,
    rule: rule.name,
    metric: rule.metric,
    severity: rule.severity,
    threshold: rule.threshold,
    labels,
  });
}

function notified(
  inst: Instance,
  labels: Record<string, string>,
  status: "firing" | "resolved",
  endsAt: number | null,
  externalUrl: string,
): NotifiedAlert {
  const annotations: Record<string, string> = {};
  if (inst.summary) annotations.summary = inst.summary;
  if (inst.description) annotations.description = inst.description;
  const base = externalUrl.replace(/\/+$/, "");
  return {
    status,
    rule: inst.rule,
    severity: inst.severity,
    labels,
    annotations,
    startsAt: inst.s.activeSince ?? inst.s.firedAt ?? inst.s.changedAt,
    endsAt,
    fingerprint: inst.fingerprint,
    generatorURL: base
      ? `${base}/api/v1/alerts?rule=${encodeURIComponent(inst.rule)}&host=${
        encodeURIComponent(inst.host)
      }`
      : "",
  };
}
