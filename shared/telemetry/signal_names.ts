/**
 * The self-metrics the advice rules read, named once here (shared by both programs):
 * the server's and the agent's metric definitions take their names from this list.
 */

/** Metric names the advice rules look at. */
export const SIGNAL = {
  /** Server: batches refused at ingest, by `kind` and `reason`. */
  ingestBatchesRejected: "miniobserv_ingest_batches_rejected_total",
  /** Server: notification attempts by `receiver` and `outcome` (sent, retried, failed). */
  notifications: "miniobserv_notifications_total",
  /** Server: rows in a DEFAULT partition at the last maintenance, by `table`. */
  defaultPartitionRows: "miniobserv_partition_default_rows",
  /** Agent: bytes of batches waiting in the spool. */
  spoolPendingBytes: "miniobserv_agent_spool_pending_bytes",
  /** Agent: the spool's size limit (AGENT_SPOOL_MAX_BYTES). */
  spoolMaxBytes: "miniobserv_agent_spool_max_bytes",
  /** Agent: batches dropped from the spool, by `kind` and `reason`. */
  spoolDroppedBatches: "miniobserv_agent_spool_dropped_batches_total",
  /** Agent: failed send attempts by `reason` (network, status, unauthorized). */
  sendFailures: "miniobserv_agent_send_failures_total",
  /** Agent: batches the server accepted. */
  batchesSent: "miniobserv_agent_batches_sent_total",
  /** Agent: batches the server refused (moved to rejected/). */
  agentBatchesRejected: "miniobserv_agent_batches_rejected_total",
} as const;

/** Signals the server's snapshots record. */
export const SERVER_SIGNALS: readonly string[] = [
  SIGNAL.ingestBatchesRejected,
  SIGNAL.notifications,
  SIGNAL.defaultPartitionRows,
];

/** Signals the agent's snapshots record. */
export const AGENT_SIGNALS: readonly string[] = [
  SIGNAL.spoolPendingBytes,
  SIGNAL.spoolMaxBytes,
  SIGNAL.spoolDroppedBatches,
  SIGNAL.sendFailures,
  SIGNAL.batchesSent,
  SIGNAL.agentBatchesRejected,
];
