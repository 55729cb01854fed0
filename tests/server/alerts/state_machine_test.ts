/**
 * The alert state machine on its own: pending → firing only after `for`, keep_firing_for,
 * the three nodata modes, HostDown's one pending evaluation, and resolve only after firing.
 */
import assert from "node:assert/strict";
import {
  type InstanceState,
  type Observation,
  step,
  type StepRule,
} from "../../../server/alerts/state_machine.ts";

const T0 = Date.parse("2025-06-01T12:00:00Z");
const S = 1000;
const v = (value: number): Observation => ({ kind: "value", value });
const NODATA: Observation = { kind: "nodata" };
const rule = (over: Partial<StepRule> = {}): StepRule => ({
  op: ">",
  threshold: 90,
  forMs: 0,
  keepFiringForMs: 0,
  nodata: "keep",
  ...over,
});

/** Runs observations 15 s apart; returns each step's state and flags. */
function run(r: StepRule, obs: Observation[], start?: InstanceState) {
  let s = start;
  return obs.map((o, i) => {
    const res = step(s, o, r, T0 + i * 15 * S);
    s = res.next;
    return { state: res.next.state, fired: res.fired, resolved: res.resolved, s: res.next };
  });
}

Deno.test("for 0: ok → firing at once; resolved at once when the condition clears", () => {
  const out = run(rule(), [v(50), v(95), v(96), v(10)]);
  assert.deepEqual(out.map((o) => o.state), ["ok", "firing", "firing", "ok"]);
  assert.deepEqual(out.map((o) => o.fired), [false, true, false, false]);
  assert.deepEqual(out.map((o) => o.resolved), [false, false, false, true]);
  assert.equal(out[1].s.firedAt, T0 + 15 * S);
  assert.equal(out[1].s.activeSince, T0 + 15 * S);
  assert.equal(out[3].s.firedAt, null);
});

Deno.test("for 1m: pending until the condition has held a full minute, then firing", () => {
  const out = run(rule({ forMs: 60 * S }), [v(95), v(95), v(95), v(95), v(95), v(95)]);
  // t = 0, 15, 30, 45 s pending; at 60 s it has held for 1m.
  assert.deepEqual(out.map((o) => o.state), [
    "pending",
    "pending",
    "pending",
    "pending",
    "firing",
    "firing",
  ]);
  assert.equal(out[4].s.activeSince, T0);
  assert.equal(out[4].s.firedAt, T0 + 60 * S);
  assert.deepEqual(out.map((o) => o.fired), [false, false, false, false, true, false]);
});

Deno.test("pending that clears goes back to ok and is never a resolve", () => {
  const out = run(rule({ forMs: 60 * S }), [v(95), v(95), v(10), v(95)]);
  assert.deepEqual(out.map((o) => o.state), ["pending", "pending", "ok", "pending"]);
  assert.ok(out.every((o) => !o.resolved && !o.fired));
  // The second activation starts its own clock.
  assert.equal(out[3].s.activeSince, T0 + 45 * S);
});

Deno.test("keep_firing_for: stays firing until the condition has been clear that long", () => {
  const out = run(rule({ keepFiringForMs: 30 * S }), [v(95), v(10), v(10), v(10), v(10)]);
  // Clear from t=15; keep firing at 15 and 30 (0 s and 15 s clear), resolved at 45 (30 s clear).
  assert.deepEqual(out.map((o) => o.state), ["firing", "firing", "firing", "ok", "ok"]);
  assert.equal(out[1].s.keepFiringSince, T0 + 15 * S);
  assert.deepEqual(out.map((o) => o.resolved), [false, false, false, true, false]);
});

Deno.test("keep_firing_for: the condition holding again cancels the countdown", () => {
  const out = run(rule({ keepFiringForMs: 30 * S }), [v(95), v(10), v(95), v(10), v(10)]);
  assert.deepEqual(out.map((o) => o.state), ["firing", "firing", "firing", "firing", "firing"]);
  assert.equal(out[2].s.keepFiringSince, null);
  assert.equal(out[0].s.firedAt, out[4].s.firedAt, "one firing episode, never re-fired");
  assert.deepEqual(out.map((o) => o.fired), [true, false, false, false, false]);
});

Deno.test("nodata keep: a firing alert keeps firing (as nodata) and resolves only on data", () => {
  const out = run(rule(), [v(95), NODATA, NODATA, v(95), NODATA, v(10)]);
  assert.deepEqual(out.map((o) => o.state), [
    "firing",
    "nodata",
    "nodata",
    "firing",
    "nodata",
    "ok",
  ]);
  assert.equal(out[2].s.firedAt, T0, "still the first firing");
  assert.equal(out[2].s.value, null);
  assert.deepEqual(out.map((o) => o.resolved), [false, false, false, false, false, true]);
  assert.deepEqual(out.map((o) => o.fired), [true, false, false, false, false, false]);
});

Deno.test("nodata keep: an ok instance shows nodata and returns to ok without events", () => {
  const out = run(rule(), [v(10), NODATA, v(10)]);
  assert.deepEqual(out.map((o) => o.state), ["ok", "nodata", "ok"]);
  assert.ok(out.every((o) => !o.fired && !o.resolved));
});

Deno.test("nodata ok: missing data resolves a firing alert", () => {
  const out = run(rule({ nodata: "ok" }), [v(95), NODATA]);
  assert.deepEqual(out.map((o) => o.state), ["firing", "ok"]);
  assert.equal(out[1].resolved, true);
});

Deno.test("nodata alerting: missing data counts as breaching and respects for", () => {
  const out = run(rule({ nodata: "alerting", forMs: 30 * S }), [v(10), NODATA, NODATA, NODATA]);
  assert.deepEqual(out.map((o) => o.state), ["ok", "pending", "pending", "firing"]);
  assert.equal(out[3].s.value, null);
  assert.equal(out[3].fired, true);
});

Deno.test("pendingFirst (HostDown): pending for one evaluation, then firing, resolved on data", () => {
  const hd = rule({ op: ">", threshold: 60, pendingFirst: true, nodata: "ok" });
  const out = run(hd, [v(5), v(75), v(90), v(2)]);
  assert.deepEqual(out.map((o) => o.state), ["ok", "pending", "firing", "ok"]);
  assert.deepEqual(out.map((o) => o.resolved), [false, false, false, true]);
  // Back to ok before firing: no resolve.
  const flap = run(hd, [v(75), v(2)]);
  assert.deepEqual(flap.map((o) => o.state), ["pending", "ok"]);
  assert.ok(flap.every((o) => !o.resolved));
});

Deno.test("operators >= < <= compare as written", () => {
  assert.equal(run(rule({ op: ">=", threshold: 90 }), [v(90)])[0].state, "firing");
  assert.equal(run(rule({ op: ">", threshold: 90 }), [v(90)])[0].state, "ok");
  assert.equal(run(rule({ op: "<", threshold: 10 }), [v(9.9)])[0].state, "firing");
  assert.equal(run(rule({ op: "<=", threshold: 10 }), [v(10)])[0].state, "firing");
  assert.equal(run(rule({ op: "<", threshold: 10 }), [v(10)])[0].state, "ok");
});

Deno.test("changedAt moves only when the state changes", () => {
  const out = run(rule({ forMs: 60 * S }), [v(95), v(95), v(95)]);
  assert.equal(out[0].s.changedAt, T0);
  assert.equal(out[2].s.changedAt, T0);
});
