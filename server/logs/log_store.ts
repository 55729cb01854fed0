/**
 * What the HTTP layer needs from log storage, whatever the database: ingest a validated batch
 * once, and search newest first by keyset.
 */
import type { LogBatch } from "../../shared/log_entry.ts";
import type { LogEntryLevel } from "../../shared/log_levels.ts";
import type { CursorPosition } from "./cursor.ts";

/** A stored entry: what search answers and the live tail streams. */
export interface StoredLogEntry {
  id: bigint;
  /** The entry's own time, epoch microseconds. */
  timeUs: bigint;
  host: string;
  source: string;
  level: LogEntryLevel;
  message: string;
  file: string;
  offset: number;
  truncated: boolean;
}

/** What one ingest did. */
export interface LogIngestResult {
  /** Entries stored by this call (duplicates left out), for the live tail. */
  stored: StoredLogEntry[];
  /** Entries already stored (same host, file, offset and time). */
  duplicates: number;
  /** Entries older than the retention: not stored. */
  tooOld: number;
  /** Entries more than the allowed skew in the future: not stored. */
  future: number;
}

/** A search: every filter optional; `after` continues a previous page. */
export interface LogSearch {
  /** Case-insensitive substring of the message; wildcards in it match literally. */
  q: string | null;
  host: string | null;
  /** Entries at this level or above. */
  minLevel: LogEntryLevel | null;
  source: string | null;
  /** Inclusive lower bound of the entry time, epoch ms. */
  fromMs: number | null;
  /** Exclusive upper bound of the entry time, epoch ms. */
  toMs: number | null;
  limit: number;
  /** Only entries strictly older (in `(time, id)` order) than this position. */
  after: CursorPosition | null;
}

/** One page, newest first; `next` is set when more entries may follow. */
export interface LogSearchPage {
  entries: StoredLogEntry[];
  next: CursorPosition | null;
}

/** Log storage. */
export interface LogStore {
  /** Stores what is new of a validated batch, in one transaction. */
  ingest(batch: LogBatch, receivedAt: Date): Promise<LogIngestResult>;
  search(search: LogSearch): Promise<LogSearchPage>;
}
