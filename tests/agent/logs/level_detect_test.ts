/** Level normalization, one table row per form the issue lists (and the synonyms). */
import assert from "node:assert/strict";
import { parseEntryHead } from "../../../agent/logs/entry_head.ts";
import { levelFromNumber, normalizeLevelName } from "../../../shared/log_levels.ts";

const CASES: [string, string, string][] = [
  // JSON fields: level, lvl, severity; strings and pino/bunyan numbers.
  ["json level string", '{"level":"error","msg":"x"}', "error"],
  ["json level upper", '{"level":"WARNING","msg":"x"}', "warn"],
  ["json lvl", '{"lvl":"dbg","msg":"x"}', "debug"],
  ["json severity", '{"severity":"CRITICAL","message":"x"}', "fatal"],
  ["json pino 10 trace", '{"level":10,"time":1714557600000,"msg":"x"}', "debug"],
  ["json pino 20", '{"level":20,"msg":"x"}', "debug"],
  ["json pino 30", '{"level":30,"msg":"x"}', "info"],
  ["json pino 40", '{"level":40,"msg":"x"}', "warn"],
  ["json pino 50", '{"level":50,"msg":"x"}', "error"],
  ["json pino 60", '{"level":60,"msg":"x"}', "fatal"],
  ["json unknown level", '{"level":"chatty","msg":"x"}', "info"],
  ["json without level", '{"msg":"an error happened"}', "info"],
  // logfmt
  ["logfmt", "time=2024-05-01T10:00:00Z level=warn msg=slow", "warn"],
  ["logfmt quoted", 'ts=1 lvl="ERROR" msg="boom"', "error"],
  ["logfmt severity", "severity=crit component=db", "fatal"],
  // bracketed
  ["bracketed", "[ERROR] disk full", "error"],
  ["bracketed after time", "2024-05-01 10:00:00 [warning] slow", "warn"],
  ["apache error log", "[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] denied", "error"],
  ["apache module:level", "[Wed Oct 11 14:32:52.123 2000] [core:crit] [pid 1] x", "fatal"],
  // prefixed
  ["prefixed", "ERROR: relation does not exist", "error"],
  ["prefixed lower", "error: could not connect", "error"],
  ["prefixed capitalized", "Warning: low memory", "warn"],
  ["python logging", "WARNING:root:careful", "warn"],
  ["postgres", "2024-05-01 10:00:00.123 UTC [42] FATAL:  password authentication failed", "fatal"],
  // <timestamp> LEVEL …
  ["timestamp then level", "2024-05-01T10:00:00Z WARN disk almost full", "warn"],
  ["timestamp then lower level", "2024-05-01T10:00:00Z debug cache miss", "debug"],
  ["timestamp then err", "2024-05-01T10:00:00Z ERR boom", "error"],
  ["syslog", "May  1 10:00:00 web-1 app[123]: ERROR timeout", "error"],
  ["syslog PRI severity 3", "<11>May  1 10:00:00 web-1 app: something", "error"],
  ["syslog PRI severity 4", "<12>May  1 10:00:00 web-1 app: something", "warn"],
  ["syslog PRI severity 7", "<15>May  1 10:00:00 web-1 app: something", "debug"],
  ["upper word", "worker 3 PANIC stack overflow", "fatal"],
  ["trace", "TRACE entering f()", "debug"],
  ["notice", "[notice] reloading", "info"],
  // otherwise info
  ["no level", "GET /index.html 200", "info"],
  ["level word in lower case mid-line", "the error rate is low", "info"],
  ["unknown bracket", "[main] started", "info"],
  ["empty", "", "info"],
];

for (const [name, line, want] of CASES) {
  Deno.test(`level: ${name}`, () => {
    assert.equal(parseEntryHead(line).level, want, line);
  });
}

Deno.test("level: synonyms normalize in any case", () => {
  const table: [string, string | null][] = [
    ["warning", "warn"],
    ["WARN", "warn"],
    ["err", "error"],
    ["Error", "error"],
    ["crit", "fatal"],
    ["critical", "fatal"],
    ["panic", "fatal"],
    ["emerg", "fatal"],
    ["alert", "fatal"],
    ["trace", "debug"],
    ["verbose", "debug"],
    ["notice", "info"],
    ["information", "info"],
    ["severe", "error"],
    ["loud", null],
    ["", null],
  ];
  for (const [name, want] of table) assert.equal(normalizeLevelName(name), want, name);
});

Deno.test("level: pino/bunyan numbers", () => {
  const table: [number, string | null][] = [
    [10, "debug"],
    [20, "debug"],
    [30, "info"],
    [35, "info"],
    [40, "warn"],
    [50, "error"],
    [60, "fatal"],
    [9, null],
    [101, null],
    [30.5, null],
  ];
  for (const [n, want] of table) assert.equal(levelFromNumber(n), want, String(n));
});

Deno.test("level: a JSON line's time field is its time", () => {
  const head = parseEntryHead('{"level":30,"time":1714557600123,"msg":"x"}');
  assert.equal(head.found?.kind, "absolute");
  assert.equal(head.found?.kind === "absolute" && head.found.ms, 1714557600123);
  const iso = parseEntryHead('{"@timestamp":"2024-05-01T10:00:00Z","level":"info"}');
  assert.equal(iso.found?.kind === "absolute" && iso.found.ms, Date.UTC(2024, 4, 1, 10));
});
