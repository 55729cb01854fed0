/**
 * The logs page in Chromium against a real server on PostgreSQL and an agent tailing a real
 * file: a line written to the tailed file shows up in the live tail and in a search, shown
 * as text with its level coloured; "load older" continues by cursor; the filters stay in the
 * URL. Screenshot: `logs.png`.
 * The programs are the real `server/main.ts` and `agent/main.ts` (with `LOG_PATHS`).
 */
import assert from "node:assert/strict";
import { mintToken } from "../../shared/jwt.ts";
import { POSTGRES_SKIP } from "../server/storage/backends.ts";
import { CHROMIUM_SKIP, launchChromium, screenshot, watchedContext } from "./dashboard_browser.ts";
import { dashboardServerSetup } from "./dashboard_server.ts";
import { eventually, startAgent, startServer } from "./processes.ts";

// The callbacks given to `page.evaluate` run in the browser, where these exist.
// deno-lint-ignore no-explicit-any
declare const document: any;

const SECRET = "e2e-dashboard-logs-secret-".padEnd(48, "x");
const PASSWORD = "e2e dashboard password";
const HOST = "e2e-logs-host";

Deno.test({
  name:
    "e2e: the logs page in Chromium — live tail, search, load older — on a real server and agent",
  ignore: !!(POSTGRES_SKIP || CHROMIUM_SKIP),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const setup = await dashboardServerSetup(SECRET, PASSWORD);
    const server = await startServer(setup.env);
    const base = server.baseUrl;
    const dir = await Deno.makeTempDir({ prefix: "miniobserv-e2e-dash-logs-" });
    const logFile = `${dir}/app.log`;
    const marker = `m${crypto.randomUUID().slice(0, 8)}`;
    await Deno.writeTextFile(logFile, `${new Date().toISOString()} INFO starting ${marker}-boot\n`);
    const agent = await startAgent({
      SERVER_URL: base,
      AGENT_TOKEN: SECRET,
      AGENT_HOST: HOST,
      AGENT_STATE_DIR: `${dir}/state`,
      COLLECT_INTERVAL: "1s",
      LOG_PATHS: logFile,
      LOG_START_AT: "beginning",
      LOG_LEVEL: "info",
    });
    const browser = await launchChromium();
    const { context, problems } = await watchedContext(browser);
    const append = (line: string) => Deno.writeTextFile(logFile, `${line}\n`, { append: true });
    try {
      const page = await context.newPage();
      await page.goto(`${base}/logs`);
      assert.equal(new URL(page.url()).pathname, "/signin", "the logs are not shown to strangers");
      await page.fill("#password", PASSWORD);
      await page.click("#signin-form button[type=submit]");
      await page.waitForURL(`${base}/logs`);

      await t.step(
        "a line written to the tailed file shows up in the live tail, as text, level coloured",
        async () => {
          // The agent ships the file's first line; the search finds it once stored.
          await eventually("the first line is searchable", 20_000, async () => {
            await page.goto(`${base}/logs?q=${marker}`);
            return await page.locator("tr.log-row").filter({ hasText: `${marker}-boot` }).count() >
                0
              ? true
              : undefined;
          });
          await page.click("#live-tail");
          assert.equal(await page.getAttribute("#live-tail", "aria-pressed"), "true");
          assert.match(page.url(), /[?&]live=1/, "the switch is in the URL");
          await page.waitForFunction(() =>
            /Live tail: on/.test(document.getElementById("tail-status")?.textContent ?? "")
          );
          const payload = `<img src=x onerror="window.__xss=1"> ${marker}-live`;
          await append(`${new Date().toISOString()} ERROR ${payload}`);
          const row = page.locator("tr.log-row").filter({ hasText: `${marker}-live` });
          await row.waitFor({ timeout: 20_000 });
          const message = (await row.locator(".log-message").textContent())!.trim();
          assert.ok(message.endsWith(`ERROR ${payload}`), `shown as text: ${message}`);
          assert.equal((await row.locator(".level").textContent())?.trim(), "error");
          assert.match((await row.getAttribute("class"))!, /log-level-error/);
          assert.equal(await page.locator("#logs-table img").count(), 0);
          assert.equal(
            await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss),
            undefined,
          );
          const first = await page.locator("tr.log-row").first().textContent();
          assert.match(first!, new RegExp(`${marker}-live`), "newest first");
        },
      );

      await t.step(
        "the same line is found by a search, and the filters are in the URL",
        async () => {
          await page.click("#live-tail");
          await page.fill('input[name="q"]', `${marker}-live`);
          await page.selectOption('select[name="level"]', "error");
          await page.click('#logs-form button[type="submit"]');
          await page.waitForURL(/level=error/);
          const url = new URL(page.url());
          assert.equal(url.searchParams.get("q"), `${marker}-live`);
          assert.equal(url.searchParams.get("level"), "error");
          const rows = page.locator("tr.log-row");
          assert.equal(await rows.count(), 1);
          assert.match((await rows.first().textContent())!, new RegExp(`${marker}-live`));
          // A shared link shows the same search.
          const other = await context.newPage();
          await other.goto(page.url());
          assert.equal(await other.locator("tr.log-row").count(), 1);
          await other.close();
          // The minimum level: nothing at fatal.
          await page.goto(`${base}/logs?q=${marker}-live&level=fatal`);
          assert.equal(await page.locator("tr.log-row").count(), 0);
          assert.equal(await page.locator("#logs-empty").isVisible(), true);
        },
      );

      await t.step("load older continues by cursor without a reload", async () => {
        const lines = Array.from(
          { length: 130 },
          (_, i) =>
            `${new Date(Date.now() - (130 - i) * 10).toISOString()} INFO ${marker}-bulk ${
              String(i).padStart(3, "0")
            }`,
        );
        await append(lines.join("\n"));
        const token = await mintToken({
          secret: SECRET,
          subject: "t",
          scope: "read",
          ttlSeconds: 60,
          now: Date.now,
        });
        await eventually("130 lines stored", 30_000, async () => {
          const r = await fetch(`${base}/api/v1/logs/query?q=${marker}-bulk&limit=1000`, {
            headers: { authorization: `Bearer ${token}` },
          });
          const body = await r.json();
          return body.entries?.length === 130 ? true : undefined;
        });
        await page.goto(`${base}/logs?q=${marker}-bulk`);
        assert.equal(await page.locator("tr.log-row").count(), 100);
        await page.evaluate(
          () => ((globalThis as unknown as { __noReload: boolean }).__noReload = true),
        );
        await page.click("#load-older");
        await page.waitForFunction(() => document.querySelectorAll("tr.log-row").length === 130);
        await page.locator("#no-older").waitFor();
        assert.equal(
          await page.evaluate(() => (globalThis as unknown as { __noReload?: boolean }).__noReload),
          true,
        );
        const texts = await page.locator("tr.log-row .log-message").allTextContents();
        assert.ok(texts[0].trim().endsWith(`${marker}-bulk 129`), texts[0]);
        assert.ok(texts[129].trim().endsWith(`${marker}-bulk 000`), texts[129]);
        await page.goto(`${base}/logs?q=${marker}`);
        await page.click("#live-tail");
        await page.waitForFunction(() =>
          /Live tail: on/.test(document.getElementById("tail-status")?.textContent ?? "")
        );
        await append(`${new Date().toISOString()} WARN ${marker} disk /data is 91 % full`);
        await append(`${new Date().toISOString()} ERROR ${marker} upstream timed out after 30 s`);
        await page.locator("tr.log-row").filter({ hasText: "upstream timed out" }).waitFor({
          timeout: 20_000,
        });
        await screenshot(page, "logs", false);
      });

      await t.step("no console error, uncaught exception or CSP violation", () => {
        assert.deepEqual(problems.list, []);
      });
    } finally {
      await context.close().catch(() => {});
      await browser.close().catch(() => {});
      await agent.stop();
      await server.stop();
      await setup.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
