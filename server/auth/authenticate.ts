/**
 * Authenticating a request: bearer token, HS256 signature, claims, then scope.
 *
 * Returns the claims or the reason for refusal; the caller logs the reason and answers
 * every refusal with the same 401 body, so a client learns nothing about why.
 */
import { type TokenClaims, TokenError, verifyToken } from "../../shared/jwt.ts";
import { parseBearer } from "./bearer.ts";
import { type Permission, scopeAllows } from "./scopes.ts";

/** Outcome of authenticating one request. */
export type AuthResult = { ok: true; claims: TokenClaims } | { ok: false; reason: string };

/** Verifies the `Authorization` header against `secret` and checks the token may do `permission`. */
export async function authenticate(
  authorization: string | null | undefined,
  permission: Permission,
  secret: string,
  now: () => number,
): Promise<AuthResult> {
  const bearer = parseBearer(authorization);
  if (!bearer.ok) return bearer;
  let claims: TokenClaims;
  try {
    claims = await verifyToken(bearer.token, secret, now);
  } catch (e) {
    if (e instanceof TokenError) return { ok: false, reason: e.message };
    return { ok: false, reason: `token refused: ${(e as Error)?.name ?? "error"}` };
  }
  if (!scopeAllows(claims.scope, permission)) {
    return { ok: false, reason: `scope ${claims.scope} may not ${permission}` };
  }
  return { ok: true, claims };
}
