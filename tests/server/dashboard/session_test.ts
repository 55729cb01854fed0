/** Session cookies, CSRF tokens and the password check; cross-site requests; sign-in limits. */
import assert from "node:assert/strict";
import { crossSiteReason } from "../../../server/dashboard/csrf.ts";
import {
  b64url,
  constantTimeEqual,
  fromB64url,
  newSessionId,
  type Session,
  SessionCodec,
} from "../../../server/dashboard/session.ts";
import { SignInLimiter } from "../../../server/dashboard/sign_in_limiter.ts";

const SECRET = "dashboard-test-secret-0123456789-abcdef";
const PASSWORD = "correct horse battery staple";
const NOW = Date.parse("2025-06-01T12:00:00Z");

function session(over: Partial<Session> = {}): Session {
  return {
    sid: "abc123",
    sub: "dashboard",
    role: "admin",
    method: "password",
    iat: NOW,
    exp: NOW + 3_600_000,
    ...over,
  };
}

Deno.test("session: a sealed session opens until it expires", async () => {
  const codec = new SessionCodec(SECRET, PASSWORD);
  const s = session();
  const cookie = await codec.seal(s);
  assert.match(cookie, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  assert.deepEqual(await codec.open(cookie, NOW), s);
  assert.deepEqual(await codec.open(cookie, s.exp - 1), s);
  assert.equal(await codec.open(cookie, s.exp), null, "expired at exp");
});

Deno.test("session: altered, forged or foreign cookies are refused", async () => {
  const codec = new SessionCodec(SECRET, PASSWORD);
  const cookie = await codec.seal(session());
  const [body, mac] = cookie.split(".");
  const forgedBody = b64url(
    new TextEncoder().encode(JSON.stringify(session({ role: "admin", exp: NOW * 2 }))),
  );
  for (
    const bad of [
      "",
      "garbage",
      `${forgedBody}.${mac}`,
      `${body}.${mac.slice(0, -2)}AA`,
      `${body}.`,
      `.${mac}`,
      `${body}.${mac}.x`,
      `${body}!.${mac}`,
      "x".repeat(5000),
    ]
  ) {
    assert.equal(await codec.open(bad, NOW), null, bad.slice(0, 40));
  }
  assert.equal(await codec.open(undefined, NOW), null);
  // Another secret, or another password: every session signed before is void.
  assert.equal(await new SessionCodec(`${SECRET}x`, PASSWORD).open(cookie, NOW), null);
  assert.equal(await new SessionCodec(SECRET, `${PASSWORD}x`).open(cookie, NOW), null);
  // A validly signed payload that is not a session is refused too.
  const odd = new SessionCodec(SECRET, PASSWORD);
  const notSession = await odd.seal({ ...session(), role: "root" as "admin" });
  assert.equal(await odd.open(notSession, NOW), null);
});

Deno.test("session: CSRF tokens belong to one session", async () => {
  const codec = new SessionCodec(SECRET, PASSWORD);
  const a = session({ sid: newSessionId() });
  const b = session({ sid: newSessionId() });
  assert.notEqual(a.sid, b.sid);
  const ta = await codec.csrfToken(a);
  assert.equal(await codec.csrfValid(a, ta), true);
  assert.equal(await codec.csrfValid(b, ta), false);
  assert.equal(await codec.csrfValid(a, ""), false);
  assert.equal(await codec.csrfValid(a, null), false);
  assert.equal(await codec.csrfValid(a, `${ta}x`), false);
  assert.equal(await codec.csrfValid(a, "%%%"), false);
  assert.equal(await new SessionCodec(SECRET, "another password!").csrfValid(a, ta), false);
});

Deno.test("session: the password matches exactly; none configured matches nothing", async () => {
  const codec = new SessionCodec(SECRET, PASSWORD);
  assert.equal(await codec.passwordMatches(PASSWORD), true);
  assert.equal(await codec.passwordMatches(`${PASSWORD} `), false);
  assert.equal(await codec.passwordMatches(""), false);
  const none = new SessionCodec(SECRET, undefined);
  assert.equal(await none.passwordMatches(""), false);
  assert.equal(await none.passwordMatches(PASSWORD), false);
  assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
  assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false);
  assert.equal(constantTimeEqual(new Uint8Array([1]), new Uint8Array([1, 0])), false);
  assert.deepEqual(
    fromB64url(b64url(new Uint8Array([250, 251, 252]))),
    new Uint8Array([250, 251, 252]),
  );
  assert.equal(fromB64url("a+b"), null);
});

Deno.test("csrf: cross-site requests are recognised by Sec-Fetch-Site and Origin", () => {
  const url = "http://dash.example:8080/alerts/silences";
  const h = (o: Record<string, string>) => new Headers({ host: "dash.example:8080", ...o });
  assert.equal(crossSiteReason(h({}), url), null, "no browser headers: left to the token");
  assert.equal(crossSiteReason(h({ "sec-fetch-site": "same-origin" }), url), null);
  assert.equal(crossSiteReason(h({ "sec-fetch-site": "none" }), url), null);
  assert.match(crossSiteReason(h({ "sec-fetch-site": "cross-site" }), url)!, /cross-site/);
  assert.match(crossSiteReason(h({ "sec-fetch-site": "same-site" }), url)!, /same-site/);
  assert.equal(crossSiteReason(h({ origin: "http://dash.example:8080" }), url), null);
  assert.match(crossSiteReason(h({ origin: "http://evil.example" }), url)!, /another site/);
  assert.match(crossSiteReason(h({ origin: "null" }), url)!, /not a URL|another site/);
  // Behind a proxy that rewrote Host, X-Forwarded-Host names the public host.
  assert.equal(
    crossSiteReason(
      new Headers({
        host: "10.0.0.5:8080",
        "x-forwarded-host": "mon.example.com",
        origin: "https://mon.example.com",
      }),
      "http://10.0.0.5:8080/signin",
    ),
    null,
  );
});

Deno.test("limiter: ten failures in five minutes lock a client out until the window passes", () => {
  const clock = { now: NOW };
  const l = new SignInLimiter({
    maxFailures: 3,
    windowMs: 60_000,
    now: () => clock.now,
    maxClients: 2,
  });
  assert.equal(l.retryAfterMs("a"), 0);
  l.fail("a");
  clock.now += 1000;
  l.fail("a");
  assert.equal(l.retryAfterMs("a"), 0);
  l.fail("a");
  assert.equal(l.retryAfterMs("a"), 59_000, "until the first failure leaves the window");
  assert.equal(l.retryAfterMs("b"), 0, "other clients are not affected");
  clock.now += 59_000;
  assert.equal(l.retryAfterMs("a"), 0);
  l.fail("a");
  l.fail("a");
  l.succeed("a");
  assert.equal(l.retryAfterMs("a"), 0, "a success forgets the failures");
  // Bounded memory: the oldest client is forgotten past maxClients.
  for (const k of ["x", "y", "z"]) for (let i = 0; i < 3; i++) l.fail(k);
  assert.equal(l.retryAfterMs("x"), 0);
  assert.ok(l.retryAfterMs("z") > 0);
});
