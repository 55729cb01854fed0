/** LOG_* settings and LOG_PATHS patterns: defaults, globs, and errors that name the variable. */
import assert from "node:assert/strict";
import { loadLogTailConfig } from "../../../agent/logs/config.ts";
import { globToRegExp, parsePathPattern } from "../../../agent/logs/path_pattern.ts";
import { ConfigError } from "../../../shared/config_env.ts";

Deno.test("log config: defaults (no LOG_PATHS: tailing off)", () => {
  const c = loadLogTailConfig({});
  assert.equal(c.enabled, false);
  assert.deepEqual(c.patterns, []);
  assert.equal(c.startAt, "end");
  assert.equal(c.partialFlushMs, 5000);
  assert.equal(c.maxLineBytes, 65536);
});

Deno.test("log config: every variable", () => {
  const c = loadLogTailConfig({
    LOG_PATHS: " /var/log/app/*.log , /var/log/syslog,/var/log/app/*.log ",
    LOG_START_AT: "beginning",
    LOG_PARTIAL_FLUSH: "2s",
    LOG_MAX_LINE_BYTES: "16KiB",
  });
  assert.equal(c.enabled, true);
  assert.deepEqual(c.patterns.map((p) => p.text), ["/var/log/app/*.log", "/var/log/syslog"]);
  assert.equal(c.startAt, "beginning");
  assert.equal(c.partialFlushMs, 2000);
  assert.equal(c.maxLineBytes, 16384);
  assert.equal(loadLogTailConfig({ LOG_MAX_LINE_BYTES: "1000" }).maxLineBytes, 1000);
});

Deno.test("log config: bad values name the variable", () => {
  const bad: [Record<string, string>, RegExp][] = [
    [{ LOG_PATHS: "logs/*.log" }, /LOG_PATHS: "logs\/\*\.log" must be an absolute path/],
    [{ LOG_PATHS: "/var/*/app.log" }, /LOG_PATHS: .*only in the file name/],
    [{ LOG_PATHS: "/var/log/" }, /LOG_PATHS: .*names a directory/],
    [{ LOG_START_AT: "middle" }, /LOG_START_AT="middle" is not allowed; use one of beginning, end/],
    [{ LOG_PARTIAL_FLUSH: "soon" }, /LOG_PARTIAL_FLUSH="soon" is not a duration/],
    [{ LOG_PARTIAL_FLUSH: "20m" }, /LOG_PARTIAL_FLUSH="20m" is out of range/],
    [{ LOG_MAX_LINE_BYTES: "1MiB" }, /LOG_MAX_LINE_BYTES="1MiB" is not a size/],
    [{ LOG_MAX_LINE_BYTES: "128KiB" }, /LOG_MAX_LINE_BYTES="128KiB" is out of range.*64 KiB/],
    [{ LOG_MAX_LINE_BYTES: "10" }, /out of range/],
  ];
  for (const [env, re] of bad) {
    assert.throws(
      () => loadLogTailConfig(env),
      (e) => e instanceof ConfigError && re.test(e.message),
    );
  }
});

Deno.test("path patterns: globs in the file name, like a shell", () => {
  const p = parsePathPattern("/var/log/app/../app/*.log");
  assert.equal(p.dir, "/var/log/app");
  assert.equal(p.text, "/var/log/app/*.log");
  assert.ok(p.isGlob);
  assert.ok(p.matches("api.log"));
  assert.ok(!p.matches("api.log.1"));
  assert.ok(!p.matches(".hidden.log"));
  const lit = parsePathPattern("/var/log/syslog");
  assert.ok(!lit.isGlob && lit.matches("syslog") && !lit.matches("syslog.1"));
  const re = (g: string) => globToRegExp(g);
  assert.ok(re("app-?.log").test("app-1.log") && !re("app-?.log").test("app-10.log"));
  assert.ok(re("[ab].log").test("a.log") && !re("[ab].log").test("c.log"));
  assert.ok(re("[!ab].log").test("c.log") && !re("[!ab].log").test("a.log"));
  assert.ok(re("a.b(c)+").test("a.b(c)+") && !re("a.b(c)+").test("axb(c)+"));
  assert.equal(parsePathPattern("/x.log").dir, "/");
});
