/**
 * Debian's Chromium driven by playwright-core for the dashboard's browser tests: launched
 * headless with a fresh profile and no network besides the page's, watching every page for
 * console errors, uncaught exceptions and Content-Security-Policy violations. Screenshots go
 * to `SCREENSHOTS_DIR` (default `dist/screenshots/`, named in the README).
 */
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Where Chromium is looked for (`CHROMIUM_PATH` overrides). */
export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

function chromiumMissing(): string | undefined {
  try {
    Deno.statSync(CHROMIUM_PATH);
    return undefined;
  } catch {
    return `Chromium is not installed at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH); dashboard browser tests skipped`;
  }
}

/** Why the browser tests cannot run here, or undefined. */
export const CHROMIUM_SKIP: string | undefined = chromiumMissing();

/** Where screenshots are written. */
export const SCREENSHOTS_DIR = Deno.env.get("SCREENSHOTS_DIR") ??
  new URL("../../dist/screenshots/", import.meta.url).pathname;

/** Chromium's flags: headless, no sandbox (containers), nothing phoning home. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Launches Chromium (playwright gives it a fresh temporary profile). */
export async function launchChromium(): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** Problems a page reported: console errors, uncaught exceptions, CSP violations. */
export interface PageProblems {
  list: string[];
}

/** A context whose pages record CSP violations, console errors and uncaught exceptions. */
export async function watchedContext(
  browser: Browser,
  opts: Parameters<Browser["newContext"]>[0] = {},
  ignore: (message: string) => boolean = () => false,
): Promise<{ context: BrowserContext; problems: PageProblems }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...opts });
  const problems: PageProblems = { list: [] };
  // Runs in every page before its own scripts (CSP does not apply to it).
  await context.addInitScript(`document.addEventListener("securitypolicyviolation", (e) => {
    console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
  });`);
  const watch = (page: Page) => {
    page.on("console", (m) => {
      const text = m.text();
      if (
        (m.type() === "error" || /Content Security Policy|CSP violation/.test(text)) &&
        !ignore(text)
      ) {
        problems.list.push(`${page.url()}: console ${m.type()}: ${text}`);
      }
    });
    page.on("pageerror", (e) => problems.list.push(`${page.url()}: uncaught: ${e.message}`));
  };
  context.on("page", watch);
  return { context, problems };
}

/** Saves a screenshot (the whole page unless `fullPage` is false) as `<name>.png`; returns its path. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  await Deno.mkdir(SCREENSHOTS_DIR, { recursive: true });
  const path = `${SCREENSHOTS_DIR.replace(/\/+$/, "")}/${name}.png`;
  await page.screenshot({ path, fullPage });
  return path;
}

/** A TCP port free right now on 127.0.0.1 (the server restarts on it mid-test). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
