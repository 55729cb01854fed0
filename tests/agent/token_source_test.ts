import assert from "node:assert/strict";
import { TokenSource } from "../../agent/token_source.ts";
import { verifyToken } from "../../shared/jwt.ts";
import { FakeClock } from "./helpers.ts";

const SECRET = "0123456789abcdef0123456789abcdef";

Deno.test("TokenSource: an ingest token for the host, valid one hour", async () => {
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const tokens = new TokenSource({ secret: SECRET, subject: "web-1", now: clock.now });
  const claims = await verifyToken(await tokens.get(), SECRET, clock.now);
  assert.equal(claims.sub, "web-1");
  assert.equal(claims.scope, "ingest");
  assert.equal(claims.exp - claims.iat, 3600);
  assert.equal(claims.iat, Date.UTC(2024, 0, 1) / 1000);
});

Deno.test("TokenSource: cached until 5 minutes before expiry, then re-minted", async () => {
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const tokens = new TokenSource({ secret: SECRET, subject: "web-1", now: clock.now });
  const first = await tokens.get();
  clock.advance(55 * 60_000 - 1);
  assert.equal(await tokens.get(), first);
  clock.advance(1);
  const second = await tokens.get();
  assert.notEqual(second, first);
  const claims = await verifyToken(second, SECRET, clock.now);
  assert.equal(claims.iat, Date.UTC(2024, 0, 1, 0, 55) / 1000);
});

Deno.test("TokenSource: invalidate forces a fresh token", async () => {
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const tokens = new TokenSource({ secret: SECRET, subject: "h", now: clock.now });
  const first = await tokens.get();
  clock.advance(1000);
  assert.equal(await tokens.get(), first);
  tokens.invalidate();
  assert.notEqual(await tokens.get(), first);
});
