/**
 * Extracting the bearer token from an `Authorization` header.
 */

/** Longest `Authorization` header value accepted; real tokens are a few hundred bytes. */
export const MAX_AUTHORIZATION_LENGTH = 4096;

/** The token of `Authorization: Bearer <token>`, or a reason why there is none. */
export type BearerResult = { ok: true; token: string } | { ok: false; reason: string };

/** Parses an `Authorization` header value (scheme case-insensitive, per RFC 6750). */
export function parseBearer(header: string | null | undefined): BearerResult {
  if (header === null || header === undefined || header === "") {
    return { ok: false, reason: "authorization header missing" };
  }
  if (header.length > MAX_AUTHORIZATION_LENGTH) {
    return { ok: false, reason: "authorization header too long" };
  }
  const m = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
  if (!m) return { ok: false, reason: "authorization header is not a bearer token" };
  return { ok: true, token: m[1] };
}
