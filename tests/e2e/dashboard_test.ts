/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against the
 * real server on PostgreSQL and the real agent collecting this machine every second:
 *
 * - a page opened without signing in is refused (sign-in page; data endpoints 401);
 * - sign in; the host appears on the overview within one interval, without a reload;
 * - the host page's CPU chart has points, its newest value matches the query API, the newest
 *   point arrives live, hovering and the keyboard show exact values;
 * - an alert with a low threshold shows on the alerts page and in the banner; a silence
 *   created from the page mutes it; expiring it unmutes it;
 * - host names from agents are shown as text (no script runs);
 * - the server restarted mid-test: the page says "reconnecting…" and recovers by itself;
 * - a phone-sized screen, keyboard-only navigation, the light theme;
 * - no console error, uncaught exception or CSP violation on any page.
 *
 * Screenshots of every page go to `dist/screenshots/` (see `dashboard_browser.ts`).
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { mintToken } from "../../shared/jwt.ts";
import { POSTGRES_SKIP } from "../server/storage/backends.ts";
import { CHROMIUM_SKIP, launchChromium, screenshot, watchedContext } from "./dashboard_browser.ts";
import { dashboardServerSetup } from "./dashboard_server.ts";
import { eventually, type RunningServer, startAgent, startServer } from "./processes.ts";

// The callbacks given to `page.evaluate` run in the browser, where these exist.
// deno-lint-ignore no-explicit-any
declare const document: any;
// deno-lint-ignore no-explicit-any
declare const getComputedStyle: (el: unknown) => any;
declare const innerWidth: number;

const SECRET = "e2e-dashboard-secret-".padEnd(48, "x");
const PASSWORD = "e2e dashboard password";
const HOST = "e2e-dashboard-host";
const XSS_HOST = `<img src=x onerror="window.__xss=1">"'&`;
const RULES = JSON.stringify([{
  name: "CpuSeen",
  metric: "cpu.usage_pct",
  labels: { core: "total" },
  window: "10s",
  op: ">=",
  threshold: 0,
  severity: "warning",
  summary: "CPU at {{value}} % on {{host}}",
}]);

// deno-lint-ignore no-explicit-any -- API answers are asserted field by field
async function api(base: string, path: string, token: string): Promise<any> {
  const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return await r.json();
}

async function postMetrics(base: string, host: string, value: number): Promise<void> {
  const token = await mintToken({
    secret: SECRET,
    subject: host,
    scope: "ingest",
    ttlSeconds: 300,
    now: Date.now,
  });
  const time = new Date().toISOString();
  const r = await fetch(`${base}/api/v1/metrics`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      id: crypto.randomUUID(),
      host,
      metrics: [
        { host, name: "cpu.usage_pct", time, value, labels: { core: "total" } },
        { host, name: "disk.used_pct", time, value: 50, labels: { mount: `/mnt/<b>"x"</b>` } },
      ],
    }),
  });
  assert.equal(r.status, 202, await r.text());
}

/** The state the status pill is in (`ok`, `reconnecting`, `error`, `connecting`). */
function pillState(page: Page): Promise<string | null> {
  return page.locator("#live-status").getAttribute("data-state");
}

Deno.test({
  name: "e2e: the dashboard in Chromium against the real server on PostgreSQL and a real agent",
  ignore: !!(POSTGRES_SKIP || CHROMIUM_SKIP),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const setup = await dashboardServerSetup(SECRET, PASSWORD);
    const serverEnv = {
      ...setup.env,
      ALERT_RULES: RULES,
      ALERT_EVAL_INTERVAL: "1s",
      HOST_STALE_AFTER: "4s",
      HOST_DOWN_AFTER: "8s",
    };
    let server: RunningServer = await startServer(serverEnv);
    const base = server.baseUrl;
    const stateDir = await Deno.makeTempDir({ prefix: "miniobserv-e2e-dash-" });
    const browser = await launchChromium();
    let restarting = false;
    let wrongPasswordTried = false;
    let signedIn = false;
    const { context, problems } = await watchedContext(
      browser,
      {},
      // While the server is down on purpose, the browser logs the failed requests.
      (m) =>
        (restarting && /Failed to load resource|ERR_CONNECTION_REFUSED|EventSource/.test(m)) ||
        // The deliberately wrong password: the sign-in page comes back with 401.
        (m.includes("status of 401") && wrongPasswordTried && !signedIn),
    );
    let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
    const read = await mintToken({
      secret: SECRET,
      subject: "e2e",
      scope: "read",
      ttlSeconds: 3600,
      now: Date.now,
    });
    try {
      const page = await context.newPage();

      await t.step("a page opened without signing in is refused", async () => {
        await page.goto(`${base}/alerts`);
        assert.equal(new URL(page.url()).pathname, "/signin");
        assert.equal(new URL(page.url()).searchParams.get("next"), "/alerts");
        assert.equal(await page.locator("main h1").textContent(), "Sign in");
        assert.equal(await page.locator("#alert-banner").count(), 0, "no alerts before signing in");
        for (const path of ["/dashboard/events", "/dashboard/api/v1/hosts", "/dashboard/session"]) {
          const r = await fetch(`${base}${path}`);
          assert.equal(r.status, 401, path);
          await r.body?.cancel();
        }
        await screenshot(page, "signin");
        wrongPasswordTried = true;
        await page.fill("#password", "not the password");
        await page.click("#signin-form button[type=submit]");
        assert.match((await page.locator("#signin-error").textContent())!, /Sign-in failed/);
      });

      await t.step(
        "sign in; the host appears on the overview within one interval, without a reload",
        async () => {
          await page.fill("#password", PASSWORD);
          await page.click("#signin-form button[type=submit]");
          await page.waitForURL(`${base}/alerts`);
          signedIn = true;
          const cookies = await context.cookies();
          const session = cookies.find((c) => c.name === "mo_session")!;
          assert.equal(session.httpOnly, true);
          assert.equal(session.sameSite, "Strict");
          assert.ok(session.expires > Date.now() / 1000, "the cookie has an expiry");

          await page.goto(`${base}/`);
          await page.waitForSelector("#live-status[data-state=ok]");
          await page.evaluate(
            () => ((globalThis as unknown as { __noReload: boolean }).__noReload = true),
          );
          assert.equal(await page.locator("#hosts-empty").isVisible(), true, "no host yet");

          agent = await startAgent({
            SERVER_URL: base,
            AGENT_TOKEN: SECRET,
            AGENT_HOST: HOST,
            COLLECT_INTERVAL: "1s",
            AGENT_STATE_DIR: stateDir,
            LOG_LEVEL: "info",
          });
          const apiSeen = await eventually("host listed by the API", 20_000, async () => {
            const body = await api(base, "/api/v1/hosts", read);
            return body.hosts.some((h: { host: string }) => h.host === HOST)
              ? Date.now()
              : undefined;
          });
          const row = page.locator(`tr[data-host="${HOST}"]`);
          await row.waitFor({ timeout: 5000 });
          const shownAfter = Date.now() - apiSeen;
          // Within one interval: the page refreshes every 1 s (DASHBOARD_REFRESH, the agent's
          // COLLECT_INTERVAL too); the rest is room for a loaded test machine.
          assert.ok(
            shownAfter < 2500,
            `the row appeared ${shownAfter} ms after the API listed the host`,
          );
          assert.equal(
            await page.evaluate(() =>
              (globalThis as unknown as { __noReload?: boolean }).__noReload
            ),
            true,
            "no reload",
          );
          const status = row.locator('[data-col="status"] .status');
          assert.equal((await status.textContent())?.trim(), "up");
          assert.match((await status.getAttribute("class"))!, /status-up/);
          const color = await status.evaluate((el) => getComputedStyle(el).color);
          assert.notEqual(
            color,
            await page.locator("body").evaluate((el) => getComputedStyle(el).color),
            "coloured",
          );
          // Figures arrive with the next batches: CPU needs two samples.
          await page.waitForFunction(
            (host) => {
              const tr = [...document.querySelectorAll("tr[data-host]")].find((
                r: { dataset: { host: string } },
              ) => r.dataset.host === host);
              const cpu = tr?.querySelector('[data-col="cpu"]')?.textContent ?? "";
              const mem = tr?.querySelector('[data-col="mem"]')?.textContent ?? "";
              return /%/.test(cpu) && /GiB|MiB/.test(mem);
            },
            HOST,
            { timeout: 15_000 },
          );
          assert.equal(await page.locator("#hosts-empty").isVisible(), false);
          // The new host's sparkline follows within seconds, not at the next 30 s refresh.
          await page.waitForFunction(
            (host: string) =>
              [...document.querySelectorAll("tr[data-host]")]
                .find((r: { dataset: { host: string } }) => r.dataset.host === host)
                ?.querySelector(".spark polyline")?.getAttribute("points") !== "",
            HOST,
            { timeout: 15_000 },
          );
          assert.equal(await page.locator('[data-count="up"]').textContent(), "1");
          await screenshot(page, "overview");
        },
      );

      await t.step("host names from agents are text: no script runs", async () => {
        await postMetrics(base, XSS_HOST, 12.5);
        const row = page.locator("tr[data-host]").filter({ hasText: "onerror" });
        await row.waitFor({ timeout: 5000 });
        assert.equal(await row.locator("th a").textContent(), XSS_HOST);
        assert.equal(await page.locator("tbody img").count(), 0);
        await page.reload();
        await page.locator("tr[data-host]").filter({ hasText: "onerror" }).waitFor();
        assert.equal(
          await page.locator("tbody img").count(),
          0,
          "rendered by the server: escaped too",
        );
        assert.equal(
          await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss),
          undefined,
        );
        // Sorting in place: by CPU, busiest first, then back by name.
        await page.click('th[data-sort="cpu"] a');
        assert.equal(await page.getAttribute('th[data-sort="cpu"]', "aria-sort"), "descending");
        assert.match(page.url(), /sort=cpu&dir=desc/);
        await page.click('th[data-sort="host"] a');
        assert.equal(await page.getAttribute('th[data-sort="host"]', "aria-sort"), "ascending");
        // Filtering in place, and in the URL.
        await page.fill("#host-filter", "e2e-dash");
        assert.equal(await page.locator("tr[data-host]:visible").count(), 1);
        assert.match(page.url(), /\?q=e2e-dash/);
        await page.fill("#host-filter", "");
      });

      await t.step(
        "a host that stops sending turns stale, then down, without a reload",
        async () => {
          await page.evaluate(
            () => ((globalThis as unknown as { __noReload: boolean }).__noReload = true),
          );
          const row = () => page.locator("tr[data-host]").filter({ hasText: "onerror" });
          const status = () => row().getAttribute("data-status");
          await eventually(
            "stale",
            10_000,
            async () => (await status()) === "stale" ? true : undefined,
          );
          assert.equal((await row().locator(".status").textContent())?.trim(), "stale");
          await eventually(
            "down",
            10_000,
            async () => (await status()) === "down" ? true : undefined,
          );
          assert.match((await row().locator(".status").getAttribute("class"))!, /status-down/);
          assert.equal(await page.locator('[data-count="down"]').textContent(), "1");
          assert.equal(
            await page.evaluate(() =>
              (globalThis as unknown as { __noReload?: boolean }).__noReload
            ),
            true,
            "no reload",
          );
        },
      );

      await t.step(
        "the host page: CPU chart with points, newest value equal to the query API's, live",
        async () => {
          await page.click(`tr[data-host="${HOST}"] th a`);
          await page.waitForURL(`${base}/hosts/${HOST}`);
          const cpu = page.locator("#chart-cpu");
          await page.waitForFunction(
            () => Number(document.getElementById("chart-cpu")?.dataset.points ?? 0) > 0,
            null,
            {
              timeout: 15_000,
            },
          );
          assert.equal(await cpu.locator("canvas").count() > 0, true, "uPlot drew it");
          // Units on every value axis (drawn on a canvas; the chart keeps the labels in data-y-ticks).
          const ticks = async (id: string) =>
            (await page.locator(`#chart-${id} .plot`).getAttribute("data-y-ticks")) ?? "";
          assert.match(await ticks("cpu"), /^0 %\|.*100 %$/);
          assert.match(await ticks("mem"), /\d (B|KiB|MiB|GiB|TiB)(\||$)/);
          assert.match(await ticks("diskio"), /B\/s/);
          assert.match(await ticks("disk"), /%/);
          assert.match(await ticks("load"), /^\d/);

          // The newest value equals what the query API answers for that bucket (samples keep
          // arriving, so compare a few times until one read falls between two batches).
          let compared = "";
          for (let i = 0; i < 15; i++) {
            const [time, value] = await cpu.evaluate((
              el,
            ) => [Number(el.dataset.lastTime), Number(el.dataset.lastValue)]);
            const from = new Date(time).toISOString();
            const to = new Date(time + 10_000).toISOString();
            const body = await api(
              base,
              `/api/v1/metrics/query?host=${HOST}&name=cpu.usage_pct&label.core=total&from=${from}&to=${to}&bucket=10s&agg=avg`,
              read,
            );
            const point = body.series[0]?.points.find((p: { time: string }) =>
              Date.parse(p.time) === time
            );
            compared = `chart ${value} at ${from}, API ${point?.value}`;
            if (point && Math.abs(point.value - value) < 1e-9) break;
            compared = `MISMATCH ${compared}`;
            await page.waitForTimeout(700);
          }
          assert.doesNotMatch(compared, /MISMATCH/, compared);
          // The newest point arrives live: a new bucket (10 s wide) appears without a reload.
          await page.evaluate(
            () => ((globalThis as unknown as { __noReload: boolean }).__noReload = true),
          );
          const lastBefore = Number(await cpu.getAttribute("data-last-time"));
          const newest = await eventually(
            "a newer bucket arrives without a reload",
            25_000,
            async () => {
              const last = Number(await cpu.getAttribute("data-last-time"));
              return last > lastBefore ? last : undefined;
            },
          );
          assert.equal(newest - lastBefore, 10_000, "the next bucket");
          assert.equal(
            await page.evaluate(() =>
              (globalThis as unknown as { __noReload?: boolean }).__noReload
            ),
            true,
            "no reload",
          );

          // Hovering shows the exact value and time.
          const plot = cpu.locator(".u-over");
          const box = (await plot.boundingBox())!;
          await page.mouse.move(box.x + box.width - 3, box.y + box.height / 2);
          const legend = cpu.locator(".u-legend");
          await page.waitForFunction(() =>
            /\d+\.\d %/.test(document.querySelector("#chart-cpu .u-legend")?.textContent ?? "")
          );
          const hover = await legend.textContent();
          assert.match(hover!, /\d{1,2}:\d{2}:\d{2}/, `a time in the legend: ${hover}`);
          // The keyboard moves the cursor too.
          await page.mouse.move(0, 0);
          await cpu.locator(".plot").focus();
          await page.keyboard.press("Home");
          await page.waitForFunction(() =>
            /\d+\.\d %/.test(document.querySelector("#chart-cpu .u-legend")?.textContent ?? "")
          );
          // Per core on demand.
          await page.check("#per-core");
          await page.waitForFunction(
            () => /core 0/.test(document.querySelector("#chart-cpu .u-legend")?.textContent ?? ""),
            null,
            {
              timeout: 10_000,
            },
          );
          // The range picker.
          await page.click('.range-picker a[href="?range=15m"]');
          await page.waitForURL(/range=15m/);
          await page.waitForFunction(() =>
            Number(document.getElementById("chart-cpu")?.dataset.points ?? 0) > 0
          );
          assert.equal(
            await page.locator('.range-picker a[aria-current="true"]').textContent(),
            "15m",
          );
          await screenshot(page, "host");
        },
      );

      await t.step(
        "an alert with a low threshold shows on the alerts page and in the banner",
        async () => {
          await page.goto(`${base}/alerts`);
          const row = page.locator("#active-alerts tr").filter({ hasText: "CpuSeen" }).filter({
            hasText: HOST,
          });
          await row.waitFor({ timeout: 20_000 });
          await page.waitForFunction(
            (host) =>
              [...document.querySelectorAll("#active-alerts tr")].some((
                r: { textContent: string; querySelector: (s: string) => unknown },
              ) => r.textContent?.includes(host) && r.querySelector(".state-firing")),
            HOST,
            { timeout: 20_000 },
          );
          const banner = page.locator("#alert-banner");
          await page.waitForFunction(() =>
            /firing/.test(document.getElementById("alert-banner")?.textContent ?? "")
          );
          assert.match((await banner.textContent())!, /CpuSeen/);
          assert.match((await page.locator("#rules").textContent())!, /CpuSeen/);
          await page.waitForFunction(() => document.getElementById("transitions") !== null || true);
          await screenshot(page, "alerts");
        },
      );

      await t.step(
        "a silence created from the page mutes the alert; expiring it unmutes it",
        async () => {
          const row = page.locator("#active-alerts tr").filter({ hasText: HOST }).filter({
            hasText: "CpuSeen",
          });
          await row.getByRole("link", { name: "Silence…" }).click();
          await page.waitForURL(/\/alerts\/silence\?/);
          assert.equal(await page.inputValue('input[name="rule"]'), "CpuSeen");
          assert.equal(await page.inputValue('input[name="host"]'), HOST);
          await page.fill('input[name="comment"]', "e2e: muted from the dashboard");
          await page.click("#silence-form button[type=submit]");
          await page.waitForURL(`${base}/alerts?done=silenced`);
          assert.match((await page.locator(".flash").textContent())!, /Silence created/);
          const mine = page.locator("#active-alerts tr").filter({ hasText: HOST }).filter({
            hasText: "CpuSeen",
          });
          await mine.locator(".state-silenced").waitFor({ timeout: 10_000 });
          const alerts = await api(base, "/api/v1/alerts?rule=CpuSeen", read);
          const a = alerts.alerts.find((x: { host: string }) => x.host === HOST);
          assert.equal(a.silenced, true, "the API agrees: muted");
          const silences = await api(base, "/api/v1/silences", read);
          assert.equal(silences.silences[0].created_by, "dashboard");
          assert.equal(silences.silences[0].comment, "e2e: muted from the dashboard");
          await page.locator("#silences tr").filter({ hasText: "e2e: muted" }).getByRole("button", {
            name: "Expire",
          }).click();
          await page.waitForURL(`${base}/alerts?done=expired`);
          await page.waitForFunction(
            (host) =>
              [...document.querySelectorAll("#active-alerts tr")].some((
                r: { textContent: string; querySelector: (s: string) => unknown },
              ) =>
                r.textContent?.includes(host) && r.querySelector(".state-firing") &&
                !r.querySelector(".state-silenced")
              ),
            HOST,
            { timeout: 10_000 },
          );
          const after = await api(base, "/api/v1/alerts?rule=CpuSeen", read);
          assert.equal(after.alerts.find((x: { host: string }) => x.host === HOST).silenced, false);
        },
      );

      await t.step(
        "the server restarted mid-test: the page shows reconnecting, then recovers by itself",
        async () => {
          await page.goto(`${base}/`);
          await page.waitForSelector("#live-status[data-state=ok]");
          const lastSeen = () =>
            page.locator(`tr[data-host="${HOST}"] [data-col="last_seen"] time`).getAttribute(
              "data-ago",
            );
          restarting = true;
          assert.equal(await server.stop(), 0);
          await page.waitForSelector("#live-status[data-state=reconnecting]", { timeout: 10_000 });
          assert.equal((await page.locator("#live-status").textContent())?.trim(), "reconnecting…");
          await screenshot(page, "overview-reconnecting");
          server = await startServer(serverEnv);
          assert.equal(server.baseUrl, base, "same address");
          await page.waitForSelector("#live-status[data-state=ok]", { timeout: 30_000 });
          restarting = false;
          const before = Number(await lastSeen());
          await eventually(
            "updates flow again",
            15_000,
            async () => Number(await lastSeen()) > before ? true : undefined,
          );
          assert.equal(await pillState(page), "ok");
        },
      );

      await t.step("a phone-sized screen, the keyboard alone, the light theme", async () => {
        const phone = await context.newPage();
        await phone.setViewportSize({ width: 390, height: 844 });
        await phone.goto(`${base}/`);
        await phone.locator(`tr[data-host="${HOST}"]`).waitFor();
        const overflow = await phone.evaluate(() =>
          document.documentElement.scrollWidth - innerWidth
        );
        assert.ok(overflow <= 1, `no sideways scrolling on a phone (${overflow} px too wide)`);
        await screenshot(phone, "overview-phone");
        await phone.goto(`${base}/hosts/${HOST}`);
        await phone.waitForFunction(() =>
          Number(document.getElementById("chart-cpu")?.dataset.points ?? 0) > 0
        );
        const hostOverflow = await phone.evaluate(() =>
          document.documentElement.scrollWidth - innerWidth
        );
        assert.ok(hostOverflow <= 1, `host page fits a phone (${hostOverflow} px too wide)`);
        await screenshot(phone, "host-phone");
        await phone.close();

        // Keyboard only: skip link, then the host link, then Enter.
        await page.goto(`${base}/`);
        await page.locator(`tr[data-host="${HOST}"]`).waitFor();
        await page.keyboard.press("Tab");
        assert.equal(
          await page.evaluate(() => document.activeElement?.textContent),
          "Skip to content",
        );
        await page.keyboard.press("Enter");
        let reached = false;
        for (let i = 0; i < 40 && !reached; i++) {
          await page.keyboard.press("Tab");
          reached = await page.evaluate(
            (host) => document.activeElement?.textContent === host,
            HOST,
          );
        }
        assert.ok(reached, "the host link is reachable with Tab");
        const outline = await page.evaluate(() =>
          getComputedStyle(document.activeElement!).outlineStyle
        );
        assert.notEqual(outline, "none", "focus is visible");
        await page.keyboard.press("Enter");
        await page.waitForURL(`${base}/hosts/${HOST}`);

        await page.click("#theme-toggle");
        assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "light");
        await page.goto(`${base}/`);
        assert.equal(
          await page.evaluate(() => document.documentElement.dataset.theme),
          "light",
          "remembered",
        );
        await page.locator(`tr[data-host="${HOST}"]`).waitFor();
        await screenshot(page, "overview-light");
        await page.click("#theme-toggle");
      });

      await t.step("no console error, uncaught exception or CSP violation on any page", () => {
        assert.deepEqual(problems.list, []);
      });
    } finally {
      await context.close().catch(() => {});
      await browser.close().catch(() => {});
      if (agent) await agent.stop();
      await server.stop();
      await setup.close();
      await Deno.remove(stateDir, { recursive: true });
    }
  },
});
