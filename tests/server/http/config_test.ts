/**
 * `loadServerConfig`: defaults, every variable accepted and refused with a message naming
 * the variable, the value and what is allowed.
 */
import assert from "node:assert/strict";
import { agentTokenPath, loadServerConfig, parseListenAddr } from "../../../server/config.ts";
import { ConfigError } from "../../../shared/config_env.ts";

const SECRET = "s".repeat(32);
const base = { AGENT_TOKEN: SECRET };

function refuses(env: Record<string, string>, message: RegExp): void {
  assert.throws(() => loadServerConfig({ ...base, ...env }), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.match(e.message, message);
    return true;
  });
}

Deno.test("config: defaults", () => {
  assert.deepEqual(loadServerConfig(base), {
    listen: { hostname: "0.0.0.0", port: 8080 },
    databaseUrl: undefined,
    dataDir: "./data",
    agentToken: SECRET,
    requestTimeoutMs: 30_000,
    shutdownTimeoutMs: 10_000,
    retentionMs: 30 * 86_400_000,
    compressAfterMs: 7 * 86_400_000,
    hostStaleAfterMs: 30_000,
    hostDownAfterMs: 60_000,
    logLevel: "info",
  });
});

Deno.test("config: every variable set", () => {
  const c = loadServerConfig({
    LISTEN_ADDR: "127.0.0.1:9000",
    DATABASE_URL: "postgresql://u:p@db:5432/mo",
    MINIOBSERV_DATA_DIR: "/var/lib/miniobserv",
    AGENT_TOKEN: "x".repeat(40),
    REQUEST_TIMEOUT: "5s",
    SHUTDOWN_TIMEOUT: "1m",
    METRICS_RETENTION: "90d",
    METRICS_COMPRESS_AFTER: "2d",
    HOST_STALE_AFTER: "1m",
    HOST_DOWN_AFTER: "5m",
    LOG_LEVEL: "debug",
  });
  assert.deepEqual(c, {
    listen: { hostname: "127.0.0.1", port: 9000 },
    databaseUrl: "postgresql://u:p@db:5432/mo",
    dataDir: "/var/lib/miniobserv",
    agentToken: "x".repeat(40),
    requestTimeoutMs: 5000,
    shutdownTimeoutMs: 60_000,
    retentionMs: 90 * 86_400_000,
    compressAfterMs: 2 * 86_400_000,
    hostStaleAfterMs: 60_000,
    hostDownAfterMs: 300_000,
    logLevel: "debug",
  });
});

Deno.test("config: LISTEN_ADDR", () => {
  assert.deepEqual(parseListenAddr("LISTEN_ADDR", "[::]:80"), { hostname: "::", port: 80 });
  assert.deepEqual(parseListenAddr("LISTEN_ADDR", "localhost:0"), {
    hostname: "localhost",
    port: 0,
  });
  assert.deepEqual(parseListenAddr("LISTEN_ADDR", "h:65535").port, 65535);
  for (
    const bad of ["8080", ":8080", "host:", "host:65536", "host:-1", "host:80x", "a b:80", "::1:80"]
  ) {
    refuses(
      { LISTEN_ADDR: bad },
      /^LISTEN_ADDR=".*" (is not host:port|has a port outside 0-65535); use host:port/,
    );
  }
  refuses({ LISTEN_ADDR: "h:99999" }, /port outside 0-65535/);
});

Deno.test("config: DATABASE_URL", () => {
  assert.equal(
    loadServerConfig({ ...base, DATABASE_URL: "postgres://localhost/x" }).databaseUrl,
    "postgres://localhost/x",
  );
  assert.equal(loadServerConfig({ ...base, DATABASE_URL: "  " }).databaseUrl, undefined);
  refuses(
    { DATABASE_URL: "mysql://u:secretpw@h/db" },
    /^DATABASE_URL uses "mysql:"; only postgres/,
  );
  refuses({ DATABASE_URL: "not a url" }, /^DATABASE_URL is not a URL/);
  // The password is never echoed.
  assert.throws(
    () => loadServerConfig({ ...base, DATABASE_URL: "mysql://u:secretpw@h/db" }),
    (e: Error) => !e.message.includes("secretpw"),
  );
});

Deno.test("config: MINIOBSERV_DATA_DIR and the agent token path", () => {
  assert.equal(loadServerConfig({ ...base, MINIOBSERV_DATA_DIR: "/d" }).dataDir, "/d");
  assert.equal(agentTokenPath("./data"), "./data/agent_token");
  assert.equal(agentTokenPath("/var/lib/mo/"), "/var/lib/mo/agent_token");
});

Deno.test("config: AGENT_TOKEN is required and at least 32 characters, never echoed", () => {
  assert.throws(() => loadServerConfig({}), /^Error: AGENT_TOKEN is required/);
  assert.throws(
    () => loadServerConfig({ AGENT_TOKEN: "short-secret" }),
    (e: Error) =>
      /AGENT_TOKEN is 12 characters long; at least 32/.test(e.message) &&
      !e.message.includes("short-secret"),
  );
});

Deno.test("config: duration variables and their ranges", () => {
  const cases: [string, string, RegExp][] = [
    ["REQUEST_TIMEOUT", "fast", /^REQUEST_TIMEOUT="fast" is not a duration/],
    ["REQUEST_TIMEOUT", "100ms", /^REQUEST_TIMEOUT="100ms" is out of range; allowed 1s to 10m/],
    ["SHUTDOWN_TIMEOUT", "1h", /^SHUTDOWN_TIMEOUT="1h" is out of range/],
    ["METRICS_RETENTION", "12h", /^METRICS_RETENTION="12h" is out of range; allowed 1d/],
    ["METRICS_RETENTION", "30", /^METRICS_RETENTION="30" is not a duration/],
    [
      "METRICS_COMPRESS_AFTER",
      "30d",
      /^METRICS_COMPRESS_AFTER="30d" must be shorter than METRICS_RETENTION \(30d\)/,
    ],
    ["METRICS_COMPRESS_AFTER", "10m", /^METRICS_COMPRESS_AFTER="10m" is out of range/],
    ["HOST_STALE_AFTER", "0s", /^HOST_STALE_AFTER="0s" is out of range/],
    ["HOST_STALE_AFTER", "2m", /^HOST_DOWN_AFTER="1m" must be longer than HOST_STALE_AFTER \(2m\)/],
    [
      "HOST_DOWN_AFTER",
      "30s",
      /^HOST_DOWN_AFTER="30s" must be longer than HOST_STALE_AFTER \(30s\)/,
    ],
    ["HOST_DOWN_AFTER", "soon", /^HOST_DOWN_AFTER="soon" is not a duration/],
  ];
  for (const [name, value, message] of cases) refuses({ [name]: value }, message);
  assert.equal(loadServerConfig({ ...base, SHUTDOWN_TIMEOUT: "0s" }).shutdownTimeoutMs, 0);
  assert.equal(
    loadServerConfig({ ...base, METRICS_RETENTION: "1d", METRICS_COMPRESS_AFTER: "12h" })
      .retentionMs,
    86_400_000,
  );
  assert.equal(loadServerConfig({ ...base, REQUEST_TIMEOUT: "1m30s" }).requestTimeoutMs, 90_000);
});

Deno.test("config: LOG_LEVEL", () => {
  for (const level of ["debug", "info", "warn", "error"]) {
    assert.equal(loadServerConfig({ ...base, LOG_LEVEL: level }).logLevel, level);
  }
  refuses(
    { LOG_LEVEL: "verbose" },
    /^LOG_LEVEL="verbose" is not allowed; use one of debug, info, warn, error/,
  );
});
