/** The dashboard's settings: defaults, bounds, and no sign-in-less mode off loopback. */
import assert from "node:assert/strict";
import {
  DASHBOARD_DEFAULTS,
  isLoopback,
  loadDashboardConfig,
} from "../../../server/dashboard/config.ts";
import { ConfigError } from "../../../shared/config_env.ts";

const ANY = { hostname: "0.0.0.0" };
const LOCAL = { hostname: "127.0.0.1" };

Deno.test("config: defaults", () => {
  assert.deepEqual(loadDashboardConfig({}, ANY), {
    auth: "password",
    password: undefined,
    sessionTtlMs: DASHBOARD_DEFAULTS.sessionTtlMs,
    refreshMs: 2000,
    cookieSecure: "auto",
  });
});

Deno.test("config: every variable is read and checked", () => {
  const c = loadDashboardConfig({
    DASHBOARD_PASSWORD: "  twelve chars+ ",
    DASHBOARD_SESSION_TTL: "1h",
    DASHBOARD_REFRESH: "500ms",
    DASHBOARD_COOKIE_SECURE: "always",
  }, ANY);
  assert.equal(c.password, "  twelve chars+ ", "the password is taken as given, spaces included");
  assert.equal(c.sessionTtlMs, 3_600_000);
  assert.equal(c.refreshMs, 500);
  assert.equal(c.cookieSecure, "always");
  const bad: [Record<string, string>, RegExp][] = [
    [{ DASHBOARD_PASSWORD: "short" }, /5 characters long; at least 12/],
    [{ DASHBOARD_PASSWORD: "x".repeat(2000) }, /longer than 1024/],
    [{ DASHBOARD_SESSION_TTL: "1m" }, /DASHBOARD_SESSION_TTL.*out of range/],
    [{ DASHBOARD_SESSION_TTL: "soon" }, /DASHBOARD_SESSION_TTL.*not a duration/],
    [{ DASHBOARD_REFRESH: "100ms" }, /DASHBOARD_REFRESH.*out of range/],
    [{ DASHBOARD_COOKIE_SECURE: "maybe" }, /DASHBOARD_COOKIE_SECURE/],
    [{ DASHBOARD_AUTH: "off" }, /DASHBOARD_AUTH.*password, none/],
  ];
  for (const [env, re] of bad) {
    assert.throws(
      () => loadDashboardConfig(env, ANY),
      (e: Error) => e instanceof ConfigError && re.test(e.message),
    );
  }
  // The password is never echoed.
  assert.throws(
    () => loadDashboardConfig({ DASHBOARD_PASSWORD: "hunter2" }, ANY),
    (e: Error) => !e.message.includes("hunter2"),
  );
});

Deno.test("config: DASHBOARD_AUTH=none only on a loopback address, and not with a password", () => {
  assert.equal(loadDashboardConfig({ DASHBOARD_AUTH: "none" }, LOCAL).auth, "none");
  assert.equal(loadDashboardConfig({ DASHBOARD_AUTH: "none" }, { hostname: "::1" }).auth, "none");
  assert.equal(
    loadDashboardConfig({ DASHBOARD_AUTH: "none" }, { hostname: "localhost" }).auth,
    "none",
  );
  for (const hostname of ["0.0.0.0", "::", "192.168.1.5", "example.com", "128.0.0.1"]) {
    assert.throws(
      () => loadDashboardConfig({ DASHBOARD_AUTH: "none" }, { hostname }),
      (e: Error) => e instanceof ConfigError && /DASHBOARD_AUTH=none is refused/.test(e.message),
      hostname,
    );
  }
  assert.throws(
    () =>
      loadDashboardConfig({ DASHBOARD_AUTH: "none", DASHBOARD_PASSWORD: "long enough pw" }, LOCAL),
    /both set/,
  );
  assert.equal(isLoopback("127.5.6.7"), true);
  assert.equal(isLoopback("[::1]"), true);
  assert.equal(isLoopback("127.0.0.1.evil.com"), false);
});
