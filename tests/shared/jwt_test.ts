import assert from "node:assert/strict";
import { mintToken, TokenError, verifyToken } from "../../shared/jwt.ts";

const SECRET = "s".repeat(32);
const T0 = Date.UTC(2026, 10, 26, 12);
const now = () => T0;

function b64url(s: string | Uint8Array): string {
  const bytes = typeof s === "string" ? new TextEncoder().encode(s) : s;
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

async function handMade(header: object, payload: object, secret = SECRET): Promise<string> {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sig = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(input)),
  );
  return `${input}.${b64url(sig)}`;
}

const s = Math.floor(T0 / 1000);

Deno.test("jwt: a minted token verifies with its claims", async () => {
  const t = await mintToken({
    secret: SECRET,
    subject: "web-1",
    scope: "ingest",
    ttlSeconds: 3600,
    now,
  });
  assert.deepEqual(await verifyToken(t, SECRET, now), {
    iss: "miniobserv",
    sub: "web-1",
    scope: "ingest",
    iat: s,
    exp: s + 3600,
  });
});

Deno.test("jwt: minting refuses a short secret", async () => {
  await assert.rejects(
    mintToken({ secret: "short", subject: "a", scope: "read", ttlSeconds: 60, now }),
    /at least 32/,
  );
});

Deno.test("jwt: every bad token is refused", async () => {
  const good = { iss: "miniobserv", sub: "web-1", scope: "ingest", iat: s, exp: s + 60 };
  const cases: [string, Promise<string> | string][] = [
    [
      "alg none",
      `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${b64url(JSON.stringify(good))}.`,
    ],
    ["RS256 header", handMade({ alg: "RS256", typ: "JWT" }, good)],
    ["HS512 header", handMade({ alg: "HS512", typ: "JWT" }, good)],
    ["wrong secret", handMade({ alg: "HS256", typ: "JWT" }, good, "x".repeat(32))],
    ["expired", handMade({ alg: "HS256", typ: "JWT" }, { ...good, iat: s - 120, exp: s - 1 })],
    ["no exp", handMade({ alg: "HS256", typ: "JWT" }, { ...good, exp: undefined })],
    ["lifetime > 24h", handMade({ alg: "HS256", typ: "JWT" }, { ...good, exp: s + 24 * 3600 + 1 })],
    [
      "no iat, far exp",
      handMade({ alg: "HS256", typ: "JWT" }, { ...good, iat: undefined, exp: s + 90000 }),
    ],
    ["unknown scope", handMade({ alg: "HS256", typ: "JWT" }, { ...good, scope: "root" })],
    ["no sub", handMade({ alg: "HS256", typ: "JWT" }, { ...good, sub: "" })],
    ["garbage", "not.a.jwt"],
    ["two parts", "abc.def"],
  ];
  for (const [name, token] of cases) {
    await assert.rejects(verifyToken(await token, SECRET, now), TokenError, name);
  }
  // The same claims, correctly signed, pass: the cases above fail for their stated reason.
  assert.equal(
    (await verifyToken(await handMade({ alg: "HS256", typ: "JWT" }, good), SECRET, now)).sub,
    "web-1",
  );
});
