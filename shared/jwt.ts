/**
 * JWT helpers: HS256 only, `exp` required, claims `iss`, `sub` (the host) and `scope`.
 *
 * The agent mints short-lived tokens from the shared secret; the server verifies them.
 * Anything but HS256 (`alg: none`, RS256 with the secret as a "public key") is refused.
 */
import { sign, verify } from "hono/jwt";

/** What a token may do: `ingest` writes, `read` queries, `admin` manages. */
export const SCOPES = ["ingest", "read", "admin"] as const;
/** One token scope. */
export type Scope = typeof SCOPES[number];

/** Shortest accepted shared secret, in characters. */
export const SECRET_MIN_LENGTH = 32;
/** Longest lifetime the server accepts for a token (24 h), in seconds. */
export const MAX_TOKEN_LIFETIME_S = 24 * 3600;
/** Issuer written into every token MiniObserv mints. */
export const TOKEN_ISSUER = "miniobserv";

/** The claims MiniObserv puts into and reads out of a token. */
export interface TokenClaims {
  iss: string;
  sub: string;
  scope: Scope;
  iat: number;
  exp: number;
}

/** Options for minting a token. `now` is injected so tests control the clock. */
export interface MintOptions {
  secret: string;
  subject: string;
  scope: Scope;
  ttlSeconds: number;
  now: () => number;
}

/** Mints an HS256 token valid for `ttlSeconds` from `now()`. */
export async function mintToken(opts: MintOptions): Promise<string> {
  if (opts.secret.length < SECRET_MIN_LENGTH) {
    throw new Error(`jwt: secret must be at least ${SECRET_MIN_LENGTH} characters`);
  }
  if (!Number.isFinite(opts.ttlSeconds) || opts.ttlSeconds <= 0) {
    throw new Error("jwt: ttlSeconds must be positive");
  }
  const iat = Math.floor(opts.now() / 1000);
  const claims: TokenClaims = {
    iss: TOKEN_ISSUER,
    sub: opts.subject,
    scope: opts.scope,
    iat,
    exp: iat + Math.floor(opts.ttlSeconds),
  };
  return await sign({ ...claims }, opts.secret, "HS256");
}

/** Why a token was refused; the server never tells the client, but logs it. */
export class TokenError extends Error {}

function decodeHeader(token: string): Record<string, unknown> {
  const part = token.split(".")[0] ?? "";
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(b64 + "=".repeat((4 - b64.length % 4) % 4)));
  } catch {
    throw new TokenError("malformed header");
  }
}

/**
 * Verifies a token: HS256 signature with `secret`, `exp` present and in the future,
 * lifetime (`exp - iat`, or `exp - now` without `iat`) at most 24 h, known scope, a subject.
 */
export async function verifyToken(
  token: string,
  secret: string,
  now: () => number,
): Promise<TokenClaims> {
  if (token.split(".").length !== 3) throw new TokenError("not a JWT");
  const header = decodeHeader(token);
  if (header.alg !== "HS256") throw new TokenError(`algorithm ${String(header.alg)} refused`);
  let payload: Record<string, unknown>;
  try {
    // Time claims are checked below against the injected clock, not hono's Date.now().
    payload = await verify(token, secret, {
      alg: "HS256",
      exp: false,
      nbf: false,
      iat: false,
    }) as Record<string, unknown>;
  } catch (e) {
    throw new TokenError(`signature or claims invalid: ${(e as Error).name}`);
  }
  const nowS = Math.floor(now() / 1000);
  const exp = payload.exp;
  if (typeof exp !== "number" || !Number.isFinite(exp)) throw new TokenError("exp missing");
  if (exp <= nowS) throw new TokenError("expired");
  const iat = typeof payload.iat === "number" ? payload.iat : nowS;
  if (exp - Math.min(iat, nowS) > MAX_TOKEN_LIFETIME_S) {
    throw new TokenError("lifetime longer than 24 h");
  }
  if (iat > nowS + 60) throw new TokenError("issued in the future");
  if (typeof payload.nbf === "number" && payload.nbf > nowS + 60) {
    throw new TokenError("not valid yet");
  }
  const scope = payload.scope;
  if (typeof scope !== "string" || !(SCOPES as readonly string[]).includes(scope)) {
    throw new TokenError("unknown scope");
  }
  if (typeof payload.sub !== "string" || payload.sub.length === 0) {
    throw new TokenError("sub missing");
  }
  return {
    iss: typeof payload.iss === "string" ? payload.iss : "",
    sub: payload.sub,
    scope: scope as Scope,
    iat,
    exp,
  };
}
