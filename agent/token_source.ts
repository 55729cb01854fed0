/**
 * Short-lived ingest tokens minted from the shared secret, cached and re-minted ahead of expiry.
 *
 * @example
 * ```ts
 * const tokens = new TokenSource({ secret, subject: host, now: Date.now });
 * headers.set("Authorization", `Bearer ${await tokens.get()}`);
 * ```
 */
import { mintToken } from "../shared/jwt.ts";

/** Token lifetime: one hour. */
export const TOKEN_TTL_S = 3600;
/** Re-mint this long before expiry, so a token never expires in flight or by clock skew. */
export const TOKEN_REFRESH_BEFORE_S = 300;

/** What a sender needs from a token source. */
export interface Tokens {
  get(): Promise<string>;
  invalidate(): void;
}

/** Options: the HS256 secret, the host as subject, and the clock. */
export interface TokenSourceOptions {
  secret: string;
  subject: string;
  now: () => number;
  ttlSeconds?: number;
  refreshBeforeSeconds?: number;
  /** Called after each token is minted (self-metrics). */
  onMint?: () => void;
}

/** Caches one `ingest` token and re-mints it when it nears expiry or is invalidated. */
export class TokenSource implements Tokens {
  #token: string | null = null;
  #expiresAtMs = 0;

  constructor(private readonly opts: TokenSourceOptions) {}

  /** A token valid for at least `refreshBeforeSeconds` more. */
  async get(): Promise<string> {
    const refreshMs = (this.opts.refreshBeforeSeconds ?? TOKEN_REFRESH_BEFORE_S) * 1000;
    if (this.#token !== null && this.opts.now() < this.#expiresAtMs - refreshMs) {
      return this.#token;
    }
    const ttlSeconds = this.opts.ttlSeconds ?? TOKEN_TTL_S;
    const mintedAt = this.opts.now();
    this.#token = await mintToken({
      secret: this.opts.secret,
      subject: this.opts.subject,
      scope: "ingest",
      ttlSeconds,
      now: () => mintedAt,
    });
    this.#expiresAtMs = Math.floor(mintedAt / 1000) * 1000 + ttlSeconds * 1000;
    this.opts.onMint?.();
    return this.#token;
  }

  /** Forgets the cached token, so the next `get()` mints a fresh one (after a 401). */
  invalidate(): void {
    this.#token = null;
  }
}

/** One TokenSource per host, made on first use: spooled batches of an earlier host name keep their host. */
export class TokenSources {
  #byHost = new Map<string, TokenSource>();

  constructor(private readonly opts: Omit<TokenSourceOptions, "subject">) {}

  /** The token source whose tokens name `host` as subject. */
  forHost = (host: string): Tokens => {
    let source = this.#byHost.get(host);
    if (!source) this.#byHost.set(host, source = new TokenSource({ ...this.opts, subject: host }));
    return source;
  };
}
