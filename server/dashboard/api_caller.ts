/**
 * How the dashboard calls the JSON API from the inside: the request goes through the whole
 * app (the same validation, limits and answers as any client gets), signed with a
 * short-lived `read` token minted for `dashboard:<who>` and reused for a minute.
 */
import { mintToken } from "../../shared/jwt.ts";

/** Lifetime of the minted tokens. */
export const API_TOKEN_TTL_S = 300;
/** How long one minted token is reused. */
export const API_TOKEN_REUSE_MS = 60_000;

/** Calls `GET /api/v1/…` of the app as a signed-in person. */
export class ApiCaller {
  readonly #tokens = new Map<string, { token: string; until: number }>();

  constructor(
    private readonly deps: {
      secret: string;
      now: () => number;
      apiFetch: (req: Request) => Response | Promise<Response>;
    },
  ) {}

  /** A `read` token for `dashboard:<sub>`. */
  async tokenFor(sub: string): Promise<string> {
    const now = this.deps.now();
    const cached = this.#tokens.get(sub);
    if (cached && cached.until > now) return cached.token;
    const token = await mintToken({
      secret: this.deps.secret,
      subject: `dashboard:${sub}`,
      scope: "read",
      ttlSeconds: API_TOKEN_TTL_S,
      now: this.deps.now,
    });
    if (this.#tokens.size > 1000) this.#tokens.clear();
    this.#tokens.set(sub, { token, until: now + API_TOKEN_REUSE_MS });
    return token;
  }

  /** `GET /api/v1/<path>?<query>` as `sub`; `base` is any URL of this server (for the origin). */
  async get(
    path: string,
    query: URLSearchParams | string,
    sub: string,
    base: string,
    init: { signal?: AbortSignal; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const q = String(query);
    const req = new Request(new URL(`/api/v1/${path}${q ? `?${q}` : ""}`, base), {
      method: "GET",
      headers: { ...init.headers, authorization: `Bearer ${await this.tokenFor(sub)}` },
      signal: init.signal,
    });
    return await this.deps.apiFetch(req);
  }
}
