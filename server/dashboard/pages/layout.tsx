/**
 * The frame of every dashboard page: head (styles, the page's module script, no inline
 * script), header with navigation, the live-update status, theme switch and sign-out, the
 * firing-alerts banner, and the notice when nobody needs to sign in.
 */
import type { Child, FC } from "hono/jsx";
import type { AssetBundle } from "../assets.ts";
import type { AuthMode } from "../config.ts";
import { CSRF_FIELD } from "../csrf.ts";
import type { AlertBrief } from "../live_feed.ts";
import type { Session } from "../session.ts";

/** Which navigation entry is current. */
export type NavEntry = "overview" | "logs" | "alerts" | "host" | "signin";

/** What the frame needs besides the page's own content. */
export interface Chrome {
  assets: AssetBundle;
  theme: "dark" | "light";
  authMode: AuthMode;
  session: Session | null;
  csrf: string | null;
  serverNow: number;
  /** Active alerts for the banner; null when alerting is off or unknown. */
  alerts: AlertBrief[] | null;
}

/** Props of `Layout`. */
export interface LayoutProps {
  chrome: Chrome;
  title: string;
  nav: NavEntry;
  /** Module scripts of the page (names in the asset bundle). */
  scripts?: string[];
  /** Extra stylesheets (names in the asset bundle). */
  styles?: string[];
  /** Classic scripts loaded before the modules (uPlot). */
  classicScripts?: string[];
  /** The live event stream this page listens to (`/dashboard/events?…`), if any. */
  events?: string;
  children?: Child;
}

/** Firing alerts first, then pending; silenced ones are listed but do not count as firing. */
export function bannerCounts(alerts: readonly AlertBrief[]) {
  const firing = alerts.filter((a) => a.state === "firing" && !a.silenced);
  const silenced = alerts.filter((a) => a.state === "firing" && a.silenced).length;
  const pending = alerts.filter((a) => a.state === "pending").length;
  return { firing, silenced, pending };
}

/** The banner of firing alerts at the top of every page (also redrawn by `live.js`). */
export const AlertBanner: FC<{ alerts: AlertBrief[] | null }> = ({ alerts }) => {
  if (alerts === null) {
    return <div id="alert-banner" class="banner" hidden></div>;
  }
  const { firing, silenced, pending } = bannerCounts(alerts);
  if (firing.length === 0) {
    return (
      <div id="alert-banner" class="banner banner-ok" role="status">
        <span>No alerts firing</span>
        {pending > 0 || silenced > 0
          ? <span class="muted">({pending} pending, {silenced} silenced)</span>
          : null}
      </div>
    );
  }
  const shown = firing.slice(0, 5);
  return (
    <div id="alert-banner" class="banner banner-firing" role="alert">
      <a href="/alerts">
        <strong>{firing.length} firing</strong>
      </a>
      <ul>
        {shown.map((a) => (
          <li>
            <span class={`sev sev-${a.severity}`}>{a.severity}</span> {a.rule}{" "}
            <span class="muted">on</span> {a.host}
          </li>
        ))}
        {firing.length > shown.length ? <li>and {firing.length - shown.length} more</li> : null}
      </ul>
    </div>
  );
};

// Components rather than bare elements in lists, so a list's `key` is not rendered.
const Stylesheet: FC<{ href: string }> = ({ href }) => <link rel="stylesheet" href={href} />;
const Script: FC<{ src: string; module?: boolean }> = ({ src, module }) =>
  module ? <script type="module" src={src}></script> : <script src={src} defer></script>;

const NavLink: FC<{ href: string; current: boolean; children: Child }> = (
  { href, current, children },
) => (
  <a href={href} aria-current={current ? "page" : undefined}>
    {children}
  </a>
);

/** The page frame. */
export const Layout: FC<LayoutProps> = (p) => {
  const { chrome } = p;
  const signedIn = chrome.session !== null && p.nav !== "signin";
  return (
    <html lang="en" data-theme={chrome.theme}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="dark light" />
        <link rel="icon" href="data:," />
        <title>{p.title} · MiniObserv</title>
        <link rel="stylesheet" href={chrome.assets.url("css/app.css")} />
        {(p.styles ?? []).map((s) => <Stylesheet key={s} href={chrome.assets.url(s)} />)}
        {(p.classicScripts ?? []).map((s) => <Script key={s} src={chrome.assets.url(s)} />)}
        {(p.scripts ?? ["js/page.js"]).map((s) => (
          <Script key={s} src={chrome.assets.url(s)} module />
        ))}
      </head>
      <body data-server-now={String(chrome.serverNow)} data-events={p.events}>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/">MiniObserv</a>
          {signedIn
            ? (
              <nav aria-label="Main">
                <NavLink href="/" current={p.nav === "overview"}>Overview</NavLink>
                <NavLink href="/logs" current={p.nav === "logs"}>Logs</NavLink>
                <NavLink href="/alerts" current={p.nav === "alerts"}>Alerts</NavLink>
              </nav>
            )
            : null}
          <div class="top-tools">
            {p.events
              ? (
                <span
                  id="live-status"
                  class="live live-connecting"
                  role="status"
                  aria-live="polite"
                >
                  connecting…
                </span>
              )
              : null}
            <button type="button" id="theme-toggle" class="linkish" hidden>
              {chrome.theme === "dark" ? "Light theme" : "Dark theme"}
            </button>
            {signedIn && chrome.session?.method !== "none" && chrome.csrf
              ? (
                <form method="post" action="/signout" class="inline">
                  <input type="hidden" name={CSRF_FIELD} value={chrome.csrf} />
                  <button type="submit" class="linkish">Sign out</button>
                </form>
              )
              : null}
          </div>
        </header>
        {chrome.authMode === "none" && p.nav !== "signin"
          ? (
            <p class="notice" id="no-auth-notice">
              No sign-in required: this server listens on a loopback address only
              (DASHBOARD_AUTH=none). Set DASHBOARD_PASSWORD before exposing it.
            </p>
          )
          : null}
        {signedIn ? <AlertBanner alerts={chrome.alerts} /> : null}
        <main id="main" tabindex={-1}>
          {p.children}
        </main>
      </body>
    </html>
  );
};

/** Renders a page node to a full HTML document. */
export async function renderDocument(node: unknown): Promise<string> {
  return "<!DOCTYPE html>" + await (node as { toString(): string | Promise<string> }).toString();
}
