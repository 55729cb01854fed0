/** A stored log entry as the API answers it (search results and live-tail events). */
import type { StoredLogEntry } from "./log_store.ts";
import { microsToIso } from "./time.ts";

/** The JSON shape of an entry. */
export interface LogEntryJson {
  id: number;
  time: string;
  host: string;
  source: string;
  level: string;
  message: string;
  file: string;
  offset: number;
  truncated: boolean;
}

/** An entry as JSON: `time` in UTC with microseconds when it has any. */
export function entryJson(e: StoredLogEntry): LogEntryJson {
  return {
    id: Number(e.id),
    time: microsToIso(e.timeUs),
    host: e.host,
    source: e.source,
    level: e.level,
    message: e.message,
    file: e.file,
    offset: e.offset,
    truncated: e.truncated,
  };
}
