/**
 * Log batches as spool records, and spooled log records back as one request body for
 * `POST /api/v1/logs`: alone byte for byte as built, or several merged into one batch.
 *
 * @example
 * ```ts
 * await spool.append(logRecord(batch));
 * const body = logRequestBody(claim); // {"id":…,"host":…,"entries":[…]}
 * ```
 */
import type { LogBatch } from "../../shared/log_entry.ts";
import type { OutgoingLogBatch } from "./log_source.ts";

/** The ingest path of log batches, appended to SERVER_URL. */
export const LOGS_INGEST_PATH = "/api/v1/logs";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A spool record (the spool's `NewRecord` shape) of kind `logs`. */
export interface LogSpoolRecord {
  kind: "logs";
  host: string;
  id: string;
  items: number;
  payload: Uint8Array;
}

/** A batch as a `logs` record: its JSON is the payload sent when it travels alone. */
export function logRecord(batch: OutgoingLogBatch): LogSpoolRecord {
  return {
    kind: "logs",
    host: batch.host,
    id: batch.id,
    items: batch.entries,
    payload: batch.payload,
  };
}

/** What `logRequestBody` reads of a spool claim. */
export interface LogClaim {
  id: string;
  host: string;
  merged: boolean;
  records: readonly { payload: Uint8Array }[];
}

/** The JSON body of a claim: the stored payload when alone, else one batch with the claim's id. */
export function logRequestBody(claim: LogClaim): Uint8Array {
  if (!claim.merged) return claim.records[0].payload;
  const parts: string[] = [];
  for (const r of claim.records) {
    const text = decoder.decode(r.payload);
    // The payload is `{"id":…,"host":…,"entries":[…]}` as built by LogSource: take the array's inside.
    const start = text.indexOf(',"entries":[');
    if (start >= 0 && text.endsWith("]}")) {
      const inner = text.slice(start + 12, -2);
      if (inner.length > 0) parts.push(inner);
    } else {
      const batch = JSON.parse(text) as LogBatch;
      if (batch.entries.length > 0) {
        parts.push(batch.entries.map((e) => JSON.stringify(e)).join(","));
      }
    }
  }
  return encoder.encode(
    `{"id":${JSON.stringify(claim.id)},"host":${JSON.stringify(claim.host)},"entries":[${
      parts.join(",")
    }]}`,
  );
}
