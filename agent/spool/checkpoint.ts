/**
 * The spool's checkpoint: which records are finished (delivered, rejected or dropped) and
 * which are claimed by a request that may have reached the server. Appended to the spool's
 * checkpoint log (checkpoint_log.ts) before a request that claims records is sent (then
 * fdatasync'ed) and after its answer, so a restart knows exactly what was acknowledged and
 * what was in flight.
 *
 * @example
 * ```json
 * {"version":1,"ackedThrough":41,"doneAhead":[[57,57]],"solo":[[42,42]],"merged":null}
 * ```
 */
import { type SeqRange, SeqRanges } from "./seq_ranges.ts";

/** A merged request: the records `from..to` (those still in the spool) sent as one batch `id`. */
export interface MergedClaim {
  from: number;
  to: number;
  id: string;
}

/** The checkpoint's content. */
export interface Checkpoint {
  /** Every record with a seq at or below this is finished. */
  ackedThrough: number;
  /** Records above `ackedThrough` that are finished (delivered out of order, or rejected). */
  doneAhead: SeqRanges;
  /**
   * Records that were (or will be) sent alone under their own batch id: never merged, since
   * the server may already hold them under that id.
   */
  solo: SeqRanges;
  /** The merged request that may be in flight, resent unchanged until answered. */
  merged: MergedClaim | null;
}

/** The checkpoint of an empty, new spool. */
export function emptyCheckpoint(): Checkpoint {
  return { ackedThrough: 0, doneAhead: new SeqRanges(), solo: new SeqRanges(), merged: null };
}

const CHECKPOINT_VERSION = 1;

/** Serialises a checkpoint as one line of JSON. */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      version: CHECKPOINT_VERSION,
      ackedThrough: c.ackedThrough,
      doneAhead: c.doneAhead.toJSON(),
      solo: c.solo.toJSON(),
      merged: c.merged,
    }) + "\n",
  );
}

const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function readRanges(v: unknown, name: string): SeqRange[] {
  if (!Array.isArray(v)) throw new Error(`${name} must be an array of [from, to] pairs`);
  return v.map((r, i) => {
    if (!Array.isArray(r) || r.length !== 2 || !isSeq(r[0]) || !isSeq(r[1]) || r[0] > r[1]) {
      throw new Error(`${name}[${i}] must be a pair of ascending sequence numbers`);
    }
    return [r[0], r[1]] as SeqRange;
  });
}

/** Parses and validates a checkpoint; throws with a message naming the bad field. */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const o = JSON.parse(new TextDecoder().decode(bytes));
  if (typeof o !== "object" || o === null) throw new Error("not a JSON object");
  if (o.version !== CHECKPOINT_VERSION) throw new Error(`unknown version ${o.version}`);
  if (!isSeq(o.ackedThrough)) throw new Error("ackedThrough must be a sequence number");
  let merged: MergedClaim | null = null;
  if (o.merged !== null && o.merged !== undefined) {
    const m = o.merged;
    if (!isSeq(m.from) || !isSeq(m.to) || m.from > m.to || typeof m.id !== "string" || !m.id) {
      throw new Error("merged must be {from, to, id} with from <= to");
    }
    merged = { from: m.from, to: m.to, id: m.id };
  }
  return {
    ackedThrough: o.ackedThrough,
    doneAhead: SeqRanges.from(readRanges(o.doneAhead, "doneAhead")),
    solo: SeqRanges.from(readRanges(o.solo, "solo")),
    merged,
  };
}
