import { loadLogTailConfig } from "../../agent/logs/config.ts";
import assert from "node:assert/strict";
import { loadAgentTelemetryConfig } from "../../agent/telemetry/config.ts";
import { AGENT_ENV_VARIABLES, loadAgentConfig } from "../../agent/config.ts";
import { DEFAULT_MOUNT_POINTS_EXCLUDE } from "../../agent/collectors/defaults.ts";
import { ConfigError, type Env } from "../../shared/config_env.ts";

const SECRET = "s".repeat(32);
const BASE: Env = { SERVER_URL: "https://obs.example.com", AGENT_TOKEN: SECRET };
const ctx = { hostname: "web-1", once: false };

function load(env: Env, once = false) {
  return loadAgentConfig(env, { ...ctx, once });
}

/** Asserts a ConfigError whose message matches every pattern (variable, value, what is allowed). */
function refused(env: Env, ...patterns: RegExp[]) {
  assert.throws(() => load(env), (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

Deno.test("config: defaults", () => {
  const c = load(BASE);
  assert.equal(c.server!.url.href, "https://obs.example.com/");
  assert.equal(c.server!.token, SECRET);
  assert.equal(c.host, "web-1");
  assert.equal(c.collectIntervalMs, 10_000);
  assert.deepEqual(c.netInclude, []);
  assert.deepEqual(c.netExclude.map(String), ["/^lo$/"]);
  assert.equal(c.diskMountsExclude, DEFAULT_MOUNT_POINTS_EXCLUDE);
  assert.equal(c.logLevel, "info");
  assert.equal(c.stateDir, "/var/lib/miniobserv-agent");
  assert.equal(c.spoolMaxBytes, 256 * 1024 * 1024);
  assert.equal(c.sendTimeoutMs, 10_000);
  assert.equal(c.shutdownTimeoutMs, 5_000);
});

Deno.test("config: SERVER_URL is required, must be http(s) and a URL", () => {
  refused({ AGENT_TOKEN: SECRET }, /SERVER_URL is required/);
  refused(
    { ...BASE, SERVER_URL: "ftp://x" },
    /SERVER_URL="ftp:\/\/x" must use http:\/\/ or https:\/\//,
  );
  refused({ ...BASE, SERVER_URL: "not a url" }, /SERVER_URL="not a url" is not a URL/);
  assert.equal(
    load({ ...BASE, SERVER_URL: "http://10.0.0.1:8080/obs" }).server!.url.href,
    "http://10.0.0.1:8080/obs",
  );
});

Deno.test("config: AGENT_TOKEN is required and at least 32 characters; the secret is never echoed", () => {
  refused({ SERVER_URL: "https://x" }, /AGENT_TOKEN is required/, /at least 32/);
  assert.throws(() => load({ ...BASE, AGENT_TOKEN: "short-secret" }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /AGENT_TOKEN is 12 characters long \(value not shown\); at least 32/);
    assert.doesNotMatch(e.message, /short-secret/);
    return true;
  });
});

Deno.test("config: --once needs neither SERVER_URL nor AGENT_TOKEN, but checks them when set", () => {
  assert.equal(load({}, true).server, null);
  assert.throws(() => load({ SERVER_URL: "ftp://x" }, true), /SERVER_URL/);
  assert.throws(() => load({ AGENT_TOKEN: "short" }, true), /AGENT_TOKEN/);
  assert.ok(load(BASE, true).server);
});

Deno.test("config: AGENT_HOST overrides the hostname and is validated", () => {
  assert.equal(load({ ...BASE, AGENT_HOST: "db-7" }).host, "db-7");
  refused(
    { ...BASE, AGENT_HOST: "x".repeat(256) },
    /AGENT_HOST="x+" is invalid: host is longer than 255/,
  );
  refused(
    { ...BASE, AGENT_HOST: "a\u0001b" },
    /AGENT_HOST=.* is invalid: host contains control characters/,
  );
});

Deno.test("config: COLLECT_INTERVAL is a duration from 1s to 5m", () => {
  assert.equal(load({ ...BASE, COLLECT_INTERVAL: "30s" }).collectIntervalMs, 30_000);
  assert.equal(load({ ...BASE, COLLECT_INTERVAL: "1s" }).collectIntervalMs, 1_000);
  assert.equal(load({ ...BASE, COLLECT_INTERVAL: "5m" }).collectIntervalMs, 300_000);
  refused(
    { ...BASE, COLLECT_INTERVAL: "500ms" },
    /COLLECT_INTERVAL="500ms" is out of range; allowed 1s to 5m/,
  );
  refused({ ...BASE, COLLECT_INTERVAL: "301s" }, /COLLECT_INTERVAL="301s" is out of range/);
  refused({ ...BASE, COLLECT_INTERVAL: "10" }, /COLLECT_INTERVAL="10" is not a duration/);
});

Deno.test("config: NET_INCLUDE and NET_EXCLUDE are comma-separated regular expressions", () => {
  const c = load({ ...BASE, NET_INCLUDE: "^eth, ^ens", NET_EXCLUDE: "^docker" });
  assert.deepEqual(c.netInclude.map(String), ["/^eth/", "/^ens/"]);
  assert.deepEqual(c.netExclude.map(String), ["/^docker/"]);
  refused(
    { ...BASE, NET_INCLUDE: "eth(" },
    /NET_INCLUDE: "eth\(" is not a valid regular expression/,
  );
  refused({ ...BASE, NET_EXCLUDE: "[" }, /NET_EXCLUDE: "\[" is not a valid regular expression/);
});

Deno.test("config: DISK_MOUNTS_EXCLUDE is one regular expression replacing the default", () => {
  const c = load({ ...BASE, DISK_MOUNTS_EXCLUDE: "^/(boot|mnt/[a-z]{2,3})($|/)" });
  assert.equal(c.diskMountsExclude.test("/mnt/ab"), true);
  assert.equal(c.diskMountsExclude.test("/dev"), false);
  refused(
    { ...BASE, DISK_MOUNTS_EXCLUDE: "(" },
    /DISK_MOUNTS_EXCLUDE="\(" is not a valid regular expression/,
  );
});

Deno.test("config: LOG_LEVEL is one of debug, info, warn, error", () => {
  assert.equal(load({ ...BASE, LOG_LEVEL: "debug" }).logLevel, "debug");
  assert.equal(load({ ...BASE, LOG_LEVEL: "error" }).logLevel, "error");
  refused(
    { ...BASE, LOG_LEVEL: "verbose" },
    /LOG_LEVEL="verbose" is not allowed; use one of debug, info, warn, error/,
  );
});

Deno.test("config: AGENT_STATE_DIR is made absolute against the working directory", () => {
  assert.equal(load({ ...BASE, AGENT_STATE_DIR: "/srv/agent/" }).stateDir, "/srv/agent");
  const relative = (dir: string) =>
    loadAgentConfig({ ...BASE, AGENT_STATE_DIR: dir }, { ...ctx, cwd: "/home/me/mo" }).stateDir;
  assert.equal(relative("./data/agent"), "/home/me/mo/data/agent"); // what `deno task start` passes
  assert.equal(relative("../state"), "/home/me/state");
});

Deno.test("config: AGENT_SPOOL_MAX_BYTES in bytes or with a unit, from 1 MiB to 1 TiB", () => {
  const size = (v: string) => load({ ...BASE, AGENT_SPOOL_MAX_BYTES: v }).spoolMaxBytes;
  assert.equal(size("268435456"), 268435456);
  assert.equal(size("64MiB"), 64 * 1024 * 1024);
  assert.equal(size("2 GB"), 2e9);
  assert.equal(size("1gib"), 1024 ** 3);
  refused(
    { ...BASE, AGENT_SPOOL_MAX_BYTES: "100KiB" },
    /AGENT_SPOOL_MAX_BYTES="100KiB" is out of range; allowed 1 MiB to 1 TiB/,
  );
  refused(
    { ...BASE, AGENT_SPOOL_MAX_BYTES: "lots" },
    /AGENT_SPOOL_MAX_BYTES="lots" is not a size; use bytes or a unit/,
  );
  refused({ ...BASE, AGENT_SPOOL_MAX_BYTES: "5 TB" }, /out of range/);
});

Deno.test("config: SEND_TIMEOUT is a duration from 1s to 5m", () => {
  assert.equal(load({ ...BASE, SEND_TIMEOUT: "2s" }).sendTimeoutMs, 2_000);
  refused(
    { ...BASE, SEND_TIMEOUT: "100ms" },
    /SEND_TIMEOUT="100ms" is out of range; allowed 1s to 5m/,
  );
  refused({ ...BASE, SEND_TIMEOUT: "soon" }, /SEND_TIMEOUT="soon" is not a duration/);
});

Deno.test("config: SHUTDOWN_TIMEOUT is a duration from 0s to 5m", () => {
  assert.equal(load({ ...BASE, SHUTDOWN_TIMEOUT: "0s" }).shutdownTimeoutMs, 0);
  assert.equal(load({ ...BASE, SHUTDOWN_TIMEOUT: "30s" }).shutdownTimeoutMs, 30_000);
  refused(
    { ...BASE, SHUTDOWN_TIMEOUT: "1h" },
    /SHUTDOWN_TIMEOUT="1h" is out of range; allowed 0s to 5m/,
  );
});

Deno.test("config: blank values count as unset", () => {
  assert.equal(load({ ...BASE, COLLECT_INTERVAL: "  ", LOG_LEVEL: "" }).collectIntervalMs, 10_000);
});

Deno.test("config: AGENT_ENV_VARIABLES lists every variable the config reads", () => {
  const read = new Set<string>();
  const spy = new Proxy({ ...BASE }, {
    get(target, name) {
      read.add(String(name));
      return (target as Record<string, string>)[String(name)];
    },
  });
  loadAgentConfig(spy, ctx);
  loadAgentTelemetryConfig(spy);
  loadLogTailConfig(spy);
  assert.deepEqual([...read].sort(), [...AGENT_ENV_VARIABLES].sort());
});
