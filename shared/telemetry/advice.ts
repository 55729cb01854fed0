/**
 * Plain-language advice from the snapshots: pure functions, one per condition, each
 * returning advice only when its condition holds. They read the memory analysis and the
 * signals (self-metric values) the snapshots carry, so each is tested with synthetic
 * snapshots and an injected "now".
 *
 * | id | condition (defaults) |
 * |---|---|
 * | `memory_growing` | the memory analysis says growing |
 * | `event_loop_lagging` | mean event-loop p99 ≥ 100 ms over the last 5 min, or one stall ≥ 1 s |
 * | `spool_growing` | agent: spool bytes rose over the last 10 min, sends failed and none succeeded |
 * | `ingest_rejecting` | server: batches refused at ingest in the last hour; agent: batches the server refused |
 * | `receiver_failing` | server: a receiver's notification failed, or was retried ≥ 3 times, in the last hour |
 * | `default_partition_rows` | server: the DEFAULT partition held rows at the last maintenance |
 *
 * @example
 * ```ts
 * const advice = adviseAll({ nowMs: Date.now(), snapshots: ring.toArray(), memory });
 * advice[0]?.message; // "Memory is growing: …"
 * ```
 */
import { formatCounts, formatMB, formatSeconds } from "./format.ts";
import type { MemoryAnalysis } from "./memory_analysis.ts";
import { counterIncrease, signalBy, type Signals, signalSum, totalIncrease } from "./signals.ts";
import { SIGNAL } from "./signal_names.ts";
import type { MemorySnapshot } from "./snapshot.ts";

/** How urgent an advice is. */
export type AdviceSeverity = "warning" | "critical";

/** Which condition an advice is about. */
export type AdviceId =
  | "memory_growing"
  | "event_loop_lagging"
  | "spool_growing"
  | "ingest_rejecting"
  | "receiver_failing"
  | "default_partition_rows";

/** One piece of advice: what is off, why it matters and what to do, in plain words. */
export interface Advice {
  id: AdviceId;
  severity: AdviceSeverity;
  message: string;
}

/** Windows and thresholds of the rules. */
export interface AdviceOptions {
  /** Window of the counter-based rules (rejections, receivers), default 1 h. */
  windowMs: number;
  /** Window of the spool rule, default 10 min. */
  spoolWindowMs: number;
  /** Window of the event-loop rule, default 5 min. */
  lagWindowMs: number;
  /** Mean p99 at or above this is lagging, default 0.1 s. */
  lagThresholdSeconds: number;
  /** One delay at or above this is a stall, default 1 s. */
  stallThresholdSeconds: number;
  /** Retries of one receiver at or above this count are advised on, default 3. */
  receiverRetryThreshold: number;
}

/** The defaults of `AdviceOptions`. */
export const ADVICE_DEFAULTS: AdviceOptions = {
  windowMs: 3_600_000,
  spoolWindowMs: 10 * 60_000,
  lagWindowMs: 5 * 60_000,
  lagThresholdSeconds: 0.1,
  stallThresholdSeconds: 1,
  receiverRetryThreshold: 3,
};

/** What every rule may look at. */
export interface AdviceInput {
  nowMs: number;
  /** Oldest first. */
  snapshots: readonly MemorySnapshot[];
  memory: MemoryAnalysis;
}

/**
 * The signals a window's increases are measured from: the newest snapshot taken before
 * the window began, or none (counters started at zero) when the process is younger.
 */
function baselineBefore(
  snapshots: readonly MemorySnapshot[],
  fromMs: number,
): Signals | undefined {
  let base: MemorySnapshot | undefined;
  for (const s of snapshots) if (s.at < fromMs) base = s;
  return base?.signals;
}

function newest(snapshots: readonly MemorySnapshot[]): MemorySnapshot | undefined {
  return snapshots[snapshots.length - 1];
}

function minutes(ms: number): string {
  return `${Math.round(ms / 60_000)} min`;
}

/** `memory_growing`: the analysis found RSS or heap growing. */
export function memoryGrowingAdvice(memory: MemoryAnalysis): Advice | null {
  if (memory.verdict !== "growing" || !memory.rss || !memory.heapUsed) return null;
  const rss = memory.rss;
  const heap = memory.heapUsed;
  return {
    id: "memory_growing",
    severity: "warning",
    message: `Memory is growing: RSS ${rss.slopeMBPerHour.toFixed(1)} MB/h and heap used ` +
      `${heap.slopeMBPerHour.toFixed(1)} MB/h over the last ${minutes(memory.window.spanMs)}, ` +
      `also after garbage collection (RSS ${formatMB(rss.firstBytes)} → ${
        formatMB(rss.lastBytes)
      }). A climb that does not level off is a leak: it ends with the process killed for ` +
      `lack of memory. Keep the report (snapshots show when it started), restart the ` +
      `process if it gets close to its memory limit, and report the numbers.`,
  };
}

/** `event_loop_lagging`: the loop ran late on average, or stalled once. */
export function eventLoopAdvice(
  snapshots: readonly MemorySnapshot[],
  nowMs: number,
  o: AdviceOptions = ADVICE_DEFAULTS,
): Advice | null {
  const recent = snapshots.filter((s) =>
    s.at > nowMs - o.lagWindowMs && s.eventLoopLagP99Seconds !== null
  );
  if (recent.length === 0) return null;
  const meanP99 = recent.reduce((a, s) => a + s.eventLoopLagP99Seconds!, 0) / recent.length;
  const max = Math.max(...recent.map((s) => s.eventLoopLagMaxSeconds ?? 0));
  const lagging = meanP99 >= o.lagThresholdSeconds;
  const stalled = max >= o.stallThresholdSeconds;
  if (!lagging && !stalled) return null;
  const what = lagging
    ? `The event loop is lagging: its delay was ${formatSeconds(meanP99)} at the 99th ` +
      `percentile (worst ${formatSeconds(max)}) over the last ${minutes(o.lagWindowMs)}`
    : `The event loop stalled for ${formatSeconds(max)} in the last ${minutes(o.lagWindowMs)}`;
  return {
    id: "event_loop_lagging",
    severity: meanP99 >= 10 * o.lagThresholdSeconds ? "critical" : "warning",
    message: `${what}. Every request, timer and send waits that long. Usual causes: the ` +
      `machine or container is short of CPU (check its CPU limit and load), or one piece of ` +
      `work runs too long at once (a very large request or query).`,
  };
}

/** `spool_growing`: the agent's spool grew while no send succeeded. */
export function spoolGrowingAdvice(
  snapshots: readonly MemorySnapshot[],
  nowMs: number,
  o: AdviceOptions = ADVICE_DEFAULTS,
): Advice | null {
  const last = newest(snapshots);
  if (!last || !(SIGNAL.spoolPendingBytes in last.signals)) return null;
  const fromMs = nowMs - o.spoolWindowMs;
  const first = snapshots.find((s) => s.at >= fromMs);
  if (!first || first === last) return null;
  const before = signalSum(first.signals, SIGNAL.spoolPendingBytes);
  const now = signalSum(last.signals, SIGNAL.spoolPendingBytes);
  const base = baselineBefore(snapshots, fromMs);
  const failures = counterIncrease(base, last.signals, SIGNAL.sendFailures, "reason");
  const failed = Object.values(failures).reduce((a, b) => a + b, 0);
  const sent = totalIncrease(base, last.signals, SIGNAL.batchesSent);
  if (now <= before || failed === 0 || sent > 0) return null;
  const dropped = totalIncrease(base, last.signals, SIGNAL.spoolDroppedBatches);
  const max = signalSum(last.signals, SIGNAL.spoolMaxBytes);
  const ratePerMs = (now - before) / Math.max(1, last.at - first.at);
  const cause = Object.keys(failures).length === 1 && failures.unauthorized
    ? "the server refuses this agent's token: AGENT_TOKEN most likely differs from the " +
      "server's secret (or the clocks disagree)"
    : "the server cannot be reached or keeps failing: check SERVER_URL, that the server " +
      "is up, and the network between them";
  let fate = "";
  if (dropped > 0) {
    fate = ` The spool is full: ${dropped} of the oldest batches were already dropped.`;
  } else if (max > 0) {
    const hours = (max - now) / ratePerMs / 3_600_000;
    fate = ` Nothing is lost yet; at this rate the spool reaches its limit of ${
      formatMB(max)
    } (AGENT_SPOOL_MAX_BYTES) in about ${
      hours < 1 ? `${Math.max(1, Math.round(hours * 60))} min` : `${hours.toFixed(1)} h`
    }, and then the oldest batches are dropped.`;
  }
  return {
    id: "spool_growing",
    severity: dropped > 0 || (max > 0 && (max - now) / ratePerMs < 3_600_000)
      ? "critical"
      : "warning",
    message: `The spool grew from ${formatMB(before)} to ${formatMB(now)} in the last ${
      minutes(last.at - first.at)
    } and no batch was delivered (${failed} failed attempts: ${
      formatCounts(failures)
    }): ${cause}.${fate}`,
  };
}

/** What each rejection reason usually means. */
const REJECTION_HINTS: Readonly<Record<string, string>> = {
  unauthorized: "an agent's AGENT_TOKEN differs from the server's, or its clock is far off",
  forbidden_host: "an agent sends batches for a host its token does not name",
  too_old: "an agent's clock is behind, or it sent data older than the retention",
  future: "an agent's clock is ahead by more than 10 minutes (check NTP)",
  invalid: "an agent sends batches the server cannot read (a version mismatch?)",
  bad_header: "an agent sends a malformed X-Agent-Version header",
  too_large: "batches exceed the 5 MiB body limit",
  unsupported_media_type: "a client sends a body that is not (gzip'd) JSON",
};

/** `ingest_rejecting`: batches refused in the last hour (server), or refused by the server (agent). */
export function ingestRejectingAdvice(
  snapshots: readonly MemorySnapshot[],
  nowMs: number,
  o: AdviceOptions = ADVICE_DEFAULTS,
): Advice | null {
  const last = newest(snapshots);
  if (!last) return null;
  const base = baselineBefore(snapshots, nowMs - o.windowMs);
  const byReason = counterIncrease(base, last.signals, SIGNAL.ingestBatchesRejected, "reason");
  const serverTotal = Object.values(byReason).reduce((a, b) => a + b, 0);
  if (serverTotal > 0) {
    const hints = Object.keys(byReason).sort().map((r) => REJECTION_HINTS[r])
      .filter((h): h is string => h !== undefined);
    return {
      id: "ingest_rejecting",
      severity: "warning",
      message: `Ingest refused ${serverTotal} batch${serverTotal === 1 ? "" : "es"} in the last ${
        minutes(o.windowMs)
      } (${formatCounts(byReason)}); their data is not stored. Likely: ${
        hints.join("; ") || "see the server log for each refusal"
      }. The server log names the host of every refusal.`,
    };
  }
  const agentTotal = totalIncrease(base, last.signals, SIGNAL.agentBatchesRejected);
  if (agentTotal === 0) return null;
  return {
    id: "ingest_rejecting",
    severity: "warning",
    message: `The server refused ${agentTotal} batch${agentTotal === 1 ? "" : "es"} of this ` +
      `agent in the last ${minutes(o.windowMs)}; they were moved to rejected/ in ` +
      `AGENT_STATE_DIR, each with the server's answer. Read one to see why (often a clock far ` +
      `off, or an agent newer than the server).`,
  };
}

/** `receiver_failing`: one advice per receiver whose notifications failed or kept retrying. */
export function receiverFailingAdvice(
  snapshots: readonly MemorySnapshot[],
  nowMs: number,
  o: AdviceOptions = ADVICE_DEFAULTS,
): Advice[] {
  const last = newest(snapshots);
  if (!last) return [];
  const base = baselineBefore(snapshots, nowMs - o.windowMs);
  const failed = counterIncrease(base, last.signals, SIGNAL.notifications, "receiver", {
    outcome: "failed",
  });
  const retried = counterIncrease(base, last.signals, SIGNAL.notifications, "receiver", {
    outcome: "retried",
  });
  const names = [...new Set([...Object.keys(failed), ...Object.keys(retried)])].sort();
  const out: Advice[] = [];
  for (const name of names) {
    const f = failed[name] ?? 0;
    const r = retried[name] ?? 0;
    if (f === 0 && r < o.receiverRetryThreshold) continue;
    out.push({
      id: "receiver_failing",
      severity: f > 0 ? "critical" : "warning",
      message:
        `Receiver ${JSON.stringify(name)} is failing: ${f} notification${
          f === 1 ? "" : "s"
        } failed for good and ${r} attempt${r === 1 ? "" : "s"} had to be retried in the last ${
          minutes(o.windowMs)
        }. ${
          f > 0 ? "Those alerts reached nobody. " : ""
        }Check the receiver's URL and credentials and that it answers 2xx; ` +
        `GET /api/v1/notifications lists each attempt with its error.`,
    });
  }
  return out;
}

/** `default_partition_rows`: rows landed in a DEFAULT partition. */
export function defaultPartitionAdvice(snapshots: readonly MemorySnapshot[]): Advice | null {
  const last = newest(snapshots);
  if (!last) return null;
  const byTable = signalBy(last.signals, SIGNAL.defaultPartitionRows, "table");
  const total = Object.values(byTable).reduce((a, b) => a + b, 0);
  if (total <= 0) return null;
  return {
    id: "default_partition_rows",
    severity: "warning",
    message:
      `The DEFAULT partition holds ${total} row${total === 1 ? "" : "s"} (${
        formatCounts(byTable)
      }): they arrived for a day that had no partition, because partition maintenance failed ` +
      `or a clock is far off. Retention never drops them, and they slow down every query ` +
      `of those days. Look for "partition maintenance" errors in the server log and fix ` +
      `their cause; maintenance runs at start and hourly.`,
  };
}

const SEVERITY_ORDER: Record<AdviceSeverity, number> = { critical: 0, warning: 1 };

/** Every rule over `input`, most urgent first. */
export function adviseAll(
  input: AdviceInput,
  options: Partial<AdviceOptions> = {},
): Advice[] {
  const o = { ...ADVICE_DEFAULTS, ...options };
  const { snapshots, nowMs } = input;
  const all = [
    memoryGrowingAdvice(input.memory),
    eventLoopAdvice(snapshots, nowMs, o),
    spoolGrowingAdvice(snapshots, nowMs, o),
    ingestRejectingAdvice(snapshots, nowMs, o),
    ...receiverFailingAdvice(snapshots, nowMs, o),
    defaultPartitionAdvice(snapshots),
  ].filter((a): a is Advice => a !== null);
  return all.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}
