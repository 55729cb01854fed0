/**
 * What the first line of an entry says about it: its time (a timestamp in the line, or a JSON
 * time field) and its level.
 *
 * @example
 * ```ts
 * parseEntryHead("2024-05-01T10:00:00Z ERROR disk full");
 * // { found: { kind: "absolute", ms: 1714557600000, … }, level: "error" }
 * ```
 */
import type { LogEntryLevel } from "../../shared/log_levels.ts";
import { detectLevel } from "./level_detect.ts";
import { findTimestamp, type FoundTime, timeFromJsonField } from "./timestamp.ts";

/** Time fields of JSON log lines, in order of preference. */
const JSON_TIME_FIELDS = ["time", "timestamp", "ts", "@timestamp", "t"] as const;

/** The head of an entry. `found` is null when the line names no time. */
export interface EntryHead {
  found: FoundTime | null;
  level: LogEntryLevel;
}

function asJsonObject(line: string): Record<string, unknown> | null {
  let i = 0;
  while (i < line.length && (line[i] === " " || line[i] === "\t")) i++;
  if (line[i] !== "{" || line.trimEnd().at(-1) !== "}") return null;
  try {
    const v = JSON.parse(line);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

/** Parses the time and level of an entry's first line. */
export function parseEntryHead(line: string): EntryHead {
  const json = asJsonObject(line);
  if (json) {
    let found: FoundTime | null = null;
    for (const f of JSON_TIME_FIELDS) {
      const t = timeFromJsonField(json[f]);
      if (t) {
        found = { kind: "absolute", ms: t.ms, micros: t.micros, end: 0 };
        break;
      }
    }
    return { found, level: detectLevel(line, 0, json) };
  }
  const found = findTimestamp(line);
  return { found, level: detectLevel(line, found?.end ?? 0, null) };
}
