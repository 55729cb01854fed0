/**
 * The dashboard's static files — its own scripts and styles and uPlot's, read from the npm
 * package — loaded once at start and served by the server itself, so the dashboard works on
 * a network without internet. Every file lives under `/static/<version>/`, where the version
 * is a digest of all of them: URLs change when any file does, so browsers may cache them
 * forever, and the scripts' relative imports stay within one version.
 *
 * @example
 * ```ts
 * const assets = await loadDashboardAssets((url) => Deno.readFile(url));
 * assets.url("js/overview.js"); // "/static/3f2a…/js/overview.js"
 * ```
 */

// Importing the package's manifest puts `uplot` into the module graph, so Deno fetches the
// package on a fresh machine (nothing else imports it: its files are read as text, below).
import uplotPackage from "uplot/package.json" with { type: "json" };

/** The uPlot version the dashboard serves. */
export const UPLOT_VERSION: string = uplotPackage.version;

/** One file. */
export interface StaticAsset {
  /** Path below the version, e.g. `js/overview.js`. */
  name: string;
  contentType: string;
  body: Uint8Array;
}

/** Every file, by name, and the version in their URLs. */
export interface AssetBundle {
  version: string;
  get(name: string): StaticAsset | undefined;
  /** The URL path of `name` (throws for an unknown name: a typo in a page). */
  url(name: string): string;
  /** Every file. */
  readonly files: readonly StaticAsset[];
}

/** The URL prefix of every static file. */
export const STATIC_PREFIX = "/static";

const OWN_FILES = [
  "css/app.css",
  "js/dom.js",
  "js/format.js",
  "js/range.js",
  "js/sort.js",
  "js/live.js",
  "js/page.js",
  "js/chart.js",
  "js/overview.js",
  "js/host.js",
  "js/logs.js",
  "js/alerts.js",
] as const;

/** Where uPlot's files come from: the `uplot` npm package pinned in deno.json. */
export const UPLOT_FILES: Readonly<Record<string, string>> = {
  "vendor/uPlot.iife.min.js": "uplot/dist/uPlot.iife.min.js",
  "vendor/uPlot.min.css": "uplot/dist/uPlot.min.css",
};

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
};

function contentType(name: string): string {
  return TYPES[name.slice(name.lastIndexOf(".") + 1)] ?? "application/octet-stream";
}

/** Where each file is read from. */
export function assetSources(): { name: string; url: URL }[] {
  return [
    ...OWN_FILES.map((name) => ({ name, url: new URL(`./static/${name}`, import.meta.url) })),
    ...Object.entries(UPLOT_FILES).map(([name, spec]) => ({
      name,
      url: new URL(import.meta.resolve(spec)),
    })),
  ];
}

/** Builds a bundle from files already read (tests, and `loadDashboardAssets`). */
export async function bundleOf(files: readonly StaticAsset[]): Promise<AssetBundle> {
  const digest = new Uint8Array(files.reduce((n, f) => n + f.name.length + 1 + f.body.length, 0));
  let at = 0;
  const enc = new TextEncoder();
  for (const f of files) {
    digest.set(enc.encode(`${f.name}\n`), at);
    at += f.name.length + 1;
    digest.set(f.body, at);
    at += f.body.length;
  }
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", digest));
  const version = [...hash.slice(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const byName = new Map(files.map((f) => [f.name, f]));
  return {
    version,
    files,
    get: (name) => byName.get(name),
    url: (name) => {
      if (!byName.has(name)) throw new Error(`dashboard: no static file ${name}`);
      return `${STATIC_PREFIX}/${version}/${name}`;
    },
  };
}

/**
 * Reads every file with `readFile` (`Deno.readFile` in `main.ts`); fails naming the file
 * that cannot be read.
 */
export async function loadDashboardAssets(
  readFile: (url: URL) => Promise<Uint8Array>,
): Promise<AssetBundle> {
  const files = await Promise.all(
    assetSources().map(async ({ name, url }) => {
      try {
        return { name, contentType: contentType(name), body: await readFile(url) };
      } catch (e) {
        throw new Error(
          `dashboard: reading static file ${name} (${url.href}): ${(e as Error).message}`,
        );
      }
    }),
  );
  return await bundleOf(files);
}
