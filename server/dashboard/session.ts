/**
 * Dashboard sessions: a signed, self-contained cookie, so every replica accepts a session
 * any other replica issued and nothing is stored. The signing key is derived from
 * `AGENT_TOKEN` and `DASHBOARD_PASSWORD`: changing either signs every session out.
 *
 * Also derives each session's CSRF token (an HMAC of its id) and compares passwords in
 * constant time.
 *
 * @example
 * ```ts
 * const codec = new SessionCodec(agentToken, password);
 * const cookie = await codec.seal({ sid, sub: "dashboard", role: "admin", method: "password", iat: now, exp: now + ttl });
 * const session = await codec.open(cookie, now); // null when forged, altered or expired
 * ```
 */

/** What signing in grants: `admin` may create and expire silences, `read` only looks. */
export type Role = "admin" | "read";
/** How the session was opened. */
export type SignInMethod = "password" | "token" | "none";

/** A signed-in person. Times in epoch milliseconds. */
export interface Session {
  /** Random id; the CSRF token is derived from it. */
  sid: string;
  /** Who: `dashboard` for the password, the token's `sub`, `local` without sign-in. */
  sub: string;
  role: Role;
  method: SignInMethod;
  iat: number;
  exp: number;
}

/** Name of the session cookie. */
export const SESSION_COOKIE = "mo_session";
/** Longest cookie value read; a real one is about 250 characters. */
export const MAX_COOKIE_LENGTH = 2048;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** base64url without padding. */
export function b64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decodes base64url; null when it is not. */
export function fromB64url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** A random id of 128 bits, base64url. */
export function newSessionId(): string {
  return b64url(crypto.getRandomValues(new Uint8Array(16)));
}

/** Compares two byte strings in time independent of where they differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function isSession(v: unknown): v is Session {
  const s = v as Record<string, unknown> | null;
  return typeof s === "object" && s !== null &&
    typeof s.sid === "string" && s.sid.length > 0 && s.sid.length <= 64 &&
    typeof s.sub === "string" && s.sub.length > 0 && s.sub.length <= 256 &&
    (s.role === "admin" || s.role === "read") &&
    (s.method === "password" || s.method === "token" || s.method === "none") &&
    typeof s.iat === "number" && Number.isFinite(s.iat) &&
    typeof s.exp === "number" && Number.isFinite(s.exp);
}

/** Seals and opens session cookies; see the module comment. */
export class SessionCodec {
  readonly #key: Promise<CryptoKey>;
  readonly #password: string | undefined;

  /** `secret`: `AGENT_TOKEN`; `password`: `DASHBOARD_PASSWORD`, when set. */
  constructor(secret: string, password: string | undefined) {
    this.#password = password;
    this.#key = (async () => {
      const root = await crypto.subtle.importKey(
        "raw",
        enc.encode(secret),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
      const derived = await crypto.subtle.sign(
        "HMAC",
        root,
        enc.encode(`miniobserv dashboard session v1\u0000${password ?? ""}`),
      );
      return await crypto.subtle.importKey(
        "raw",
        derived,
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign", "verify"],
      );
    })();
  }

  async #mac(text: string): Promise<Uint8Array> {
    return new Uint8Array(await crypto.subtle.sign("HMAC", await this.#key, enc.encode(text)));
  }

  /** The cookie value for `s`: base64url JSON, a dot, base64url HMAC. */
  async seal(s: Session): Promise<string> {
    const body = b64url(enc.encode(JSON.stringify(s)));
    return `${body}.${b64url(await this.#mac(`session.${body}`))}`;
  }

  /** The session in `cookie` when its signature holds and it has not expired at `now`. */
  async open(cookie: string | undefined | null, now: number): Promise<Session | null> {
    if (!cookie || cookie.length > MAX_COOKIE_LENGTH) return null;
    const dot = cookie.indexOf(".");
    if (dot <= 0 || dot !== cookie.lastIndexOf(".")) return null;
    const body = cookie.slice(0, dot);
    const mac = fromB64url(cookie.slice(dot + 1));
    if (!mac) return null;
    const ok = await crypto.subtle.verify(
      "HMAC",
      await this.#key,
      mac,
      enc.encode(`session.${body}`),
    );
    if (!ok) return null;
    const raw = fromB64url(body);
    if (!raw) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(dec.decode(raw));
    } catch {
      return null;
    }
    if (!isSession(parsed) || parsed.exp <= now) return null;
    return parsed;
  }

  /** The CSRF token of a session: forms carry it, and only pages of that session know it. */
  async csrfToken(s: Pick<Session, "sid">): Promise<string> {
    return b64url(await this.#mac(`csrf.${s.sid}`));
  }

  /** True when `token` is the CSRF token of `s`. */
  async csrfValid(s: Pick<Session, "sid">, token: string | undefined | null): Promise<boolean> {
    if (!token || token.length > 128) return false;
    const given = fromB64url(token);
    if (!given) return false;
    return await crypto.subtle.verify("HMAC", await this.#key, given, enc.encode(`csrf.${s.sid}`));
  }

  /** True when a password is configured and `attempt` is it (constant time). */
  async passwordMatches(attempt: string): Promise<boolean> {
    if (this.#password === undefined) return false;
    const [a, b] = await Promise.all([
      this.#mac(`password.${attempt}`),
      this.#mac(`password.${this.#password}`),
    ]);
    return constantTimeEqual(a, b);
  }
}
