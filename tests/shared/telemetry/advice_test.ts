import assert from "node:assert/strict";
import {
  adviseAll,
  defaultPartitionAdvice,
  eventLoopAdvice,
  ingestRejectingAdvice,
  memoryGrowingAdvice,
  receiverFailingAdvice,
  spoolGrowingAdvice,
} from "../../../shared/telemetry/advice.ts";
import { analyzeMemory } from "../../../shared/telemetry/memory_analysis.ts";
import { labelKey } from "../../../shared/telemetry/signals.ts";
import { SIGNAL } from "../../../shared/telemetry/signal_names.ts";
import { MB, MIN, series, sig, sigs, snap, T0 } from "./fixtures.ts";

const HOUR = 60 * MIN;
const k = labelKey;

Deno.test("memory_growing: advised when the analysis says growing, not when stable", () => {
  const leaking = series(T0, HOUR, 30_000, (dt) => ({
    rssBytes: 100 * MB + 50 * MB * dt / HOUR,
    heapUsedBytes: 50 * MB + 40 * MB * dt / HOUR,
  }));
  const advice = memoryGrowingAdvice(analyzeMemory(leaking, T0));
  assert.equal(advice?.id, "memory_growing");
  assert.match(advice!.message, /RSS 50\.0 MB\/h and heap used 40\.0 MB\/h/);
  assert.match(advice!.message, /100\.0 MB → 150\.0 MB/);
  const flat = series(T0, HOUR, 30_000, () => ({}));
  assert.equal(memoryGrowingAdvice(analyzeMemory(flat, T0)), null);
  assert.equal(memoryGrowingAdvice(analyzeMemory([], T0)), null);
});

Deno.test("event_loop_lagging: a mean p99 over 100 ms in the last 5 min", () => {
  const lagging = series(T0, 4 * MIN, 30_000, () => ({
    eventLoopLagP99Seconds: 0.25,
    eventLoopLagMaxSeconds: 0.4,
  }));
  const a = eventLoopAdvice(lagging, T0);
  assert.equal(a?.severity, "warning");
  assert.match(a!.message, /250\.0 ms at the 99th percentile \(worst 400\.0 ms\)/);
  const severe = series(T0, 4 * MIN, 30_000, () => ({ eventLoopLagP99Seconds: 1.5 }));
  assert.equal(eventLoopAdvice(severe, T0)?.severity, "critical");
});

Deno.test("event_loop_lagging: one stall of a second is advised; old lag and a healthy loop are not", () => {
  const healthy = series(T0, 4 * MIN, 30_000, () => ({
    eventLoopLagP99Seconds: 0.002,
    eventLoopLagMaxSeconds: 0.02,
  }));
  assert.equal(eventLoopAdvice(healthy, T0), null);
  const stalled = [
    ...healthy,
    snap(T0, { eventLoopLagP99Seconds: 0.01, eventLoopLagMaxSeconds: 1.2 }),
  ];
  assert.match(eventLoopAdvice(stalled, T0)!.message, /stalled for 1\.20 s/);
  const old = series(T0 - HOUR, 4 * MIN, 30_000, () => ({ eventLoopLagP99Seconds: 0.5 }));
  assert.equal(eventLoopAdvice(old, T0), null);
  assert.equal(eventLoopAdvice([snap(T0)], T0), null, "lag not measured");
});

/** Agent signals: spool pending bytes, failures by reason, batches sent. */
function agentSignals(pendingMB: number, failures: Record<string, number>, sent: number) {
  return sigs(
    sig(SIGNAL.spoolPendingBytes, { "": pendingMB * MB }),
    sig(SIGNAL.spoolMaxBytes, { "": 256 * MB }),
    sig(
      SIGNAL.sendFailures,
      Object.fromEntries(Object.entries(failures).map(([r, n]) => [k({ reason: r }), n])),
    ),
    sig(SIGNAL.batchesSent, { "": sent }),
  );
}

Deno.test("spool_growing: the spool grows, sends fail and none succeed: the server is unreachable", () => {
  const snaps = [
    snap(T0 - 15 * MIN, { signals: agentSignals(1, { network: 2 }, 100) }),
    snap(T0 - 10 * MIN, { signals: agentSignals(2, { network: 5 }, 100) }),
    snap(T0 - 5 * MIN, { signals: agentSignals(3, { network: 9 }, 100) }),
    snap(T0, { signals: agentSignals(4, { network: 14 }, 100) }),
  ];
  const a = spoolGrowingAdvice(snaps, T0);
  assert.equal(a?.id, "spool_growing");
  assert.equal(a!.severity, "warning");
  assert.match(a!.message, /grew from 2\.0 MB to 4\.0 MB in the last 10 min/);
  assert.match(a!.message, /12 failed attempts: network 12/);
  assert.match(a!.message, /cannot be reached.*SERVER_URL/);
  assert.match(a!.message, /limit of 256\.0 MB .* in about 21\.0 h/);
});

Deno.test("spool_growing: token refusals name AGENT_TOKEN; drops make it critical", () => {
  const snaps = [
    snap(T0 - 11 * MIN, { signals: agentSignals(2, { unauthorized: 1 }, 7) }),
    snap(T0 - 10 * MIN, { signals: agentSignals(2, { unauthorized: 1 }, 7) }),
    snap(T0, {
      signals: sigs(
        agentSignals(3, { unauthorized: 4 }, 7),
        sig(SIGNAL.spoolDroppedBatches, { [k({ kind: "metrics", reason: "full" })]: 5 }),
      ),
    }),
  ];
  const a = spoolGrowingAdvice(snaps, T0)!;
  assert.match(a.message, /refuses this agent's token: AGENT_TOKEN/);
  assert.equal(a.severity, "critical");
  assert.match(a.message, /5 of the oldest batches were already dropped/);
});

Deno.test("spool_growing: not advised while batches are delivered, when the spool shrinks, or without failures", () => {
  const delivering = [
    snap(T0 - 10 * MIN, { signals: agentSignals(2, { network: 1 }, 10) }),
    snap(T0, { signals: agentSignals(3, { network: 2 }, 11) }),
  ];
  assert.equal(spoolGrowingAdvice(delivering, T0), null);
  const shrinking = [
    snap(T0 - 10 * MIN, { signals: agentSignals(3, { network: 1 }, 10) }),
    snap(T0, { signals: agentSignals(2, { network: 2 }, 10) }),
  ];
  assert.equal(spoolGrowingAdvice(shrinking, T0), null);
  const noFailures = [
    snap(T0 - 10 * MIN, { signals: agentSignals(1, {}, 10) }),
    snap(T0, { signals: agentSignals(2, {}, 10) }),
  ];
  assert.equal(spoolGrowingAdvice(noFailures, T0), null);
  assert.equal(spoolGrowingAdvice([snap(T0)], T0), null, "a server has no spool");
});

Deno.test("ingest_rejecting (server): batches refused in the last hour, by reason, with hints", () => {
  const rejected = (n: Record<string, number>) =>
    sig(
      SIGNAL.ingestBatchesRejected,
      Object.fromEntries(
        Object.entries(n).map(([r, v]) => [k({ kind: "metrics", reason: r }), v]),
      ),
    );
  const snaps = [
    snap(T0 - 2 * HOUR, { signals: rejected({ unauthorized: 10 }) }),
    snap(T0 - HOUR - MIN, { signals: rejected({ unauthorized: 10 }) }),
    snap(T0 - 30 * MIN, { signals: rejected({ unauthorized: 12, future: 0 }) }),
    snap(T0, { signals: rejected({ unauthorized: 13, future: 1 }) }),
  ];
  const a = ingestRejectingAdvice(snaps, T0)!;
  assert.equal(a.id, "ingest_rejecting");
  assert.match(a.message, /refused 4 batches in the last 60 min \(unauthorized 3, future 1\)/);
  assert.match(a.message, /AGENT_TOKEN differs/);
  assert.match(a.message, /ahead by more than 10 minutes/);
  const quiet = [snaps[0], snap(T0, { signals: rejected({ unauthorized: 10 }) })];
  assert.equal(ingestRejectingAdvice(quiet, T0), null, "refusals older than the window");
});

Deno.test("ingest_rejecting (agent): batches the server refused point at rejected/", () => {
  const snaps = [
    snap(T0 - 10 * MIN, { signals: sig(SIGNAL.agentBatchesRejected, { "": 0 }) }),
    snap(T0, { signals: sig(SIGNAL.agentBatchesRejected, { "": 1 }) }),
  ];
  const a = ingestRejectingAdvice(snaps, T0)!;
  assert.match(a.message, /refused 1 batch of this agent/);
  assert.match(a.message, /rejected\//);
});

Deno.test("receiver_failing: a failed notification is critical, repeated retries a warning, one retry nothing", () => {
  const n = (r: string, outcome: string, v: number) => [k({ receiver: r, outcome }), v] as const;
  const signals = (rows: (readonly [string, number])[]) =>
    sig(SIGNAL.notifications, Object.fromEntries(rows));
  const snaps = [
    snap(T0 - 30 * MIN, {
      signals: signals([n("ops", "sent", 4), n("pager", "retried", 0), n("chat", "retried", 0)]),
    }),
    snap(T0, {
      signals: signals([
        n("ops", "sent", 9),
        n("ops", "failed", 1),
        n("pager", "retried", 3),
        n("chat", "retried", 1),
      ]),
    }),
  ];
  const advice = receiverFailingAdvice(snaps, T0);
  assert.deepEqual(advice.map((a) => [a.severity, a.message.slice(0, 17)]), [
    ["critical", 'Receiver "ops" is'],
    ["warning", 'Receiver "pager" '],
  ]);
  assert.match(advice[0].message, /1 notification failed for good and 0 attempts/);
  assert.match(advice[1].message, /0 notifications failed for good and 3 attempts/);
});

Deno.test("default_partition_rows: rows in a DEFAULT partition are advised, zero rows are not", () => {
  const rows = (n: number) =>
    snap(T0, {
      signals: sig(SIGNAL.defaultPartitionRows, { [k({ table: "metric_samples" })]: n }),
    });
  const a = defaultPartitionAdvice([rows(42)])!;
  assert.equal(a.id, "default_partition_rows");
  assert.match(a.message, /holds 42 rows \(metric_samples 42\)/);
  assert.equal(defaultPartitionAdvice([rows(0)]), null);
  assert.equal(defaultPartitionAdvice([]), null);
});

Deno.test("adviseAll: every triggered rule, most urgent first; nothing for a healthy process", () => {
  const healthy = series(T0, HOUR, 30_000, () => ({ eventLoopLagP99Seconds: 0.001 }));
  assert.deepEqual(
    adviseAll({ nowMs: T0, snapshots: healthy, memory: analyzeMemory(healthy, T0) }),
    [],
  );
  const sick = [
    ...healthy.slice(0, -1).map((s) =>
      s.at > T0 - 5 * MIN ? { ...s, eventLoopLagP99Seconds: 0.3 } : s
    ),
    snap(T0, {
      eventLoopLagP99Seconds: 0.3,
      signals: sigs(
        sig(SIGNAL.defaultPartitionRows, { [k({ table: "metric_samples" })]: 1 }),
        sig(SIGNAL.notifications, { [k({ receiver: "ops", outcome: "failed" })]: 1 }),
      ),
    }),
  ];
  const ids = adviseAll({ nowMs: T0, snapshots: sick, memory: analyzeMemory(sick, T0) })
    .map((a) => a.id);
  assert.deepEqual(ids, ["receiver_failing", "event_loop_lagging", "default_partition_rows"]);
});
