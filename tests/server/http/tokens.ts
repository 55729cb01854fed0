/**
 * Hand-made JWTs for tests: base64url and WebCrypto HMAC, deliberately not the shared
 * helper, so the tests check the server against the standard rather than against itself.
 */

/** The secret the test apps are configured with. */
export const TEST_SECRET = "test-secret-0123456789-abcdefghijklmnop";

const enc = new TextEncoder();

/** base64url without padding. */
export function b64url(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? enc.encode(data) : data;
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Signs `header.payload` with HMAC-SHA256 under `secret`. */
export async function hs256(signingInput: string, secret: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    enc.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return b64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(signingInput))));
}

/** Builds a token from any header and payload, signed with HS256 under `secret`. */
export async function handToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret = TEST_SECRET,
): Promise<string> {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${await hs256(input, secret)}`;
}

/** A valid HS256 token for `sub` with `scope`, issued at `nowMs`, living `ttlS` seconds. */
export function validToken(
  sub: string,
  scope: string,
  nowMs: number,
  ttlS = 600,
): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return handToken(
    { alg: "HS256", typ: "JWT" },
    { iss: "miniobserv", sub, scope, iat, exp: iat + ttlS },
  );
}
