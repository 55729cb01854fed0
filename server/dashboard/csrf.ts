/**
 * Refusing state-changing requests that another site's page made the browser send. Two
 * independent checks: the browser's own `Sec-Fetch-Site`/`Origin` headers (here), and the
 * per-session token every form carries (`SessionCodec.csrfToken`). The session cookie is also
 * `SameSite=Strict`, so a cross-site request does not carry it at all.
 */

/** Name of the hidden form field carrying the CSRF token. */
export const CSRF_FIELD = "_csrf";
/** Header a script may send the token in instead. */
export const CSRF_HEADER = "x-csrf-token";

/**
 * Why a request looks cross-site, or null when it does not: `Sec-Fetch-Site` other than
 * `same-origin`/`none`, or an `Origin` whose host is not the request's host (`Host` or, behind
 * a proxy, `X-Forwarded-Host`). Clients that send neither header (curl) pass this check and
 * still need the token.
 */
export function crossSiteReason(headers: Headers, requestUrl: string): string | null {
  const site = headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    return `Sec-Fetch-Site is ${site}`;
  }
  const origin = headers.get("origin");
  if (origin === null) return null;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return `Origin ${JSON.stringify(origin.slice(0, 100))} is not a URL`;
  }
  const hosts = [headers.get("host"), headers.get("x-forwarded-host"), new URL(requestUrl).host]
    .filter((h): h is string => !!h)
    .map((h) => h.split(",")[0].trim().toLowerCase());
  if (hosts.includes(originHost.toLowerCase())) return null;
  return `Origin ${JSON.stringify(origin.slice(0, 100))} is another site`;
}
