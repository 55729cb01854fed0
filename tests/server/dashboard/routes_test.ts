/**
 * The dashboard through `app.request()`: every page and data endpoint refuses without a
 * session; signing in with the password or a token; the cookie's attributes; CSRF on every
 * form; the cookie never opens the JSON API; security headers and no inline script; values
 * from agents escaped; the host page's data equal to the query API's; static files.
 */
import assert from "node:assert/strict";
import { safeNext } from "../../../server/dashboard/auth_routes.tsx";
import { CONTENT_SECURITY_POLICY } from "../../../server/dashboard/security_headers.ts";
import { validToken } from "../http/tokens.ts";
import { dashboardTest, openDashboard, PASSWORD } from "./harness.ts";

const PAGES = ["/", "/hosts/web-1", "/logs", "/alerts", "/alerts/silence?rule=AnyCpu&host=web-1"];
const DATA = [
  "/dashboard/events",
  "/dashboard/session",
  "/dashboard/api/hosts/web-1/series",
  "/dashboard/api/v1/hosts",
  "/dashboard/api/v1/alerts",
  "/dashboard/api/v1/logs/query",
  "/dashboard/api/v1/logs/stream",
];
const FORMS = ["/alerts/silences", "/alerts/silences/some-id/expire", "/signout"];

dashboardTest(
  "dashboard: without a session, pages redirect to sign-in and data answers 401",
  async () => {
    const h = await openDashboard();
    try {
      for (const path of PAGES) {
        const res = await h.request(path);
        await res.body?.cancel();
        assert.equal(res.status, 303, path);
        assert.equal(res.headers.get("location"), `/signin?next=${encodeURIComponent(path)}`, path);
      }
      for (const path of DATA) {
        const res = await h.request(path);
        assert.equal(res.status, 401, path);
        assert.deepEqual(await res.json(), { error: "unauthorized" }, path);
      }
      for (const path of FORMS) {
        const res = await h.request(path, { form: { comment: "x" } });
        await res.body?.cancel();
        assert.equal(res.status, 303, path);
        assert.match(res.headers.get("location") ?? "", /^\/signin/, path);
      }
      // A forged or expired cookie is no session either.
      const cookie = await h.signIn();
      const forged = cookie.slice(0, -3) + "AAA";
      for (const path of ["/", "/dashboard/session"]) {
        const res = await h.request(path, { cookie: forged });
        await res.body?.cancel();
        assert.ok(res.status === 303 || res.status === 401, path);
      }
      h.world.clock.now += 3_600_001;
      const late = await h.request("/dashboard/session", { cookie });
      await late.body?.cancel();
      assert.equal(late.status, 401, "the session expired with its TTL");
      // Nothing was created by the refused forms.
      assert.equal((await h.world.silences.list(h.world.clock.now, true)).length, 0);
    } finally {
      await h.stop();
    }
  },
);

dashboardTest(
  "dashboard: a cross-site navigation without the Strict cookie reloads from this site once",
  async () => {
    const h = await openDashboard();
    try {
      const res = await h.request("/alerts", { headers: { "sec-fetch-site": "cross-site" } });
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(html, /<meta http-equiv="refresh" content="0">/);
      assert.doesNotMatch(html, /<script/);
    } finally {
      await h.stop();
    }
  },
);

dashboardTest(
  "dashboard: sign-in with the password sets a HttpOnly, SameSite=Strict cookie with an expiry",
  async () => {
    const h = await openDashboard();
    try {
      const page = await h.request("/signin?next=%2Flogs");
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /name="password"/);
      assert.match(html, /name="next" value="\/logs"/);

      const res = await h.request("/signin", { form: { password: PASSWORD, next: "/logs?q=x" } });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get("location"), "/logs?q=x");
      const set = res.headers.get("set-cookie")!;
      assert.match(set, /^mo_session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+;/);
      assert.match(set, /HttpOnly/);
      assert.match(set, /SameSite=Strict/);
      assert.match(set, /Path=\//);
      assert.match(set, /Max-Age=3600/);
      assert.doesNotMatch(set, /Secure/, "plain HTTP: a Secure cookie would never come back");
      const cookie = /^(mo_session=[^;]+)/.exec(set)![1];
      const who = await h.request("/dashboard/session", { cookie });
      assert.deepEqual(await who.json(), {
        sub: "dashboard",
        role: "admin",
        method: "password",
        expires_at: new Date(h.world.clock.now + 3_600_000).toISOString(),
      });
      // Behind a TLS proxy the cookie is Secure.
      const tls = await h.request("/signin", {
        form: { password: PASSWORD },
        headers: { "x-forwarded-proto": "https" },
      });
      assert.match(tls.headers.get("set-cookie")!, /Secure/);
      // Signed in already: the sign-in page sends you on.
      const again = await h.request("/signin?next=%2Falerts", { cookie });
      assert.equal(again.status, 303);
      assert.equal(again.headers.get("location"), "/alerts");
    } finally {
      await h.stop();
    }
  },
);

dashboardTest(
  "dashboard: wrong passwords are refused, then limited; cross-site sign-in is refused",
  async () => {
    const h = await openDashboard();
    try {
      const bad = await h.request("/signin", { form: { password: "wrong password!", next: "/" } });
      assert.equal(bad.status, 401);
      assert.equal(bad.headers.get("set-cookie"), null);
      assert.match(await bad.text(), /Sign-in failed/);
      const cross = await h.request("/signin", {
        form: { password: PASSWORD },
        headers: { origin: "http://evil.example", "sec-fetch-site": "cross-site" },
      });
      assert.equal(cross.status, 403);
      assert.equal(cross.headers.get("set-cookie"), null);
      await cross.body?.cancel();
      for (let i = 0; i < 9; i++) {
        const r = await h.request("/signin", { form: { password: `nope ${i}` } });
        await r.body?.cancel();
      }
      const limited = await h.request("/signin", { form: { password: PASSWORD } });
      assert.equal(limited.status, 429, "even the right password waits after ten failures");
      assert.ok(Number(limited.headers.get("retry-after")) > 0);
      await limited.body?.cancel();
      h.world.clock.now += 5 * 60_000 + 1;
      assert.ok(await h.signIn());
    } finally {
      await h.stop();
    }
  },
);

dashboardTest(
  "dashboard: a read token signs in read-only, an admin token as admin, an ingest token not at all",
  async () => {
    const h = await openDashboard();
    try {
      const now = h.world.clock.now;
      const read = await h.signIn({ token: await validToken("alice", "read", now, 600) });
      const who = await (await h.request("/dashboard/session", { cookie: read })).json();
      assert.equal(who.role, "read");
      assert.equal(who.sub, "alice");
      assert.equal(
        who.expires_at,
        new Date((Math.floor(now / 1000) + 600) * 1000).toISOString(),
        "no longer than the token",
      );
      const admin = await h.signIn({ token: await validToken("bob", "admin", now) });
      assert.equal(
        (await (await h.request("/dashboard/session", { cookie: admin })).json()).role,
        "admin",
      );
      for (
        const token of [
          await validToken("agent", "ingest", now),
          await validToken("late", "read", now - 3_600_000, 60),
          "not.a.token",
        ]
      ) {
        const r = await h.request("/signin", { form: { token } });
        await r.body?.cancel();
        assert.equal(r.status, 401);
      }
      // Read-only: the silence form and its post are refused.
      const form = await h.request("/alerts/silence?rule=AnyCpu", { cookie: read });
      assert.equal(form.status, 403);
      await form.body?.cancel();
      const alertsPage = await (await h.request("/alerts", { cookie: read })).text();
      assert.match(alertsPage, /read token: silences can be seen but not changed/);
    } finally {
      await h.stop();
    }
  },
);

dashboardTest(
  "dashboard: pages answer with the security headers and never an inline script or style",
  async () => {
    const h = await openDashboard();
    try {
      await h.world.send("web-1", "cpu.usage_pct", 12, { core: "total" });
      const cookie = await h.signIn();
      assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval/);
      for (const path of [...PAGES, "/signin", "/hosts/nobody"]) {
        const res = await h.request(path, { cookie: path === "/signin" ? null : cookie });
        assert.ok(res.status === 200 || res.status === 404, `${path}: ${res.status}`);
        assert.equal(res.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY, path);
        assert.match(CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
        assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'/);
        assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
        assert.equal(res.headers.get("referrer-policy"), "same-origin", path);
        assert.equal(res.headers.get("x-frame-options"), "DENY", path);
        assert.equal(res.headers.get("cache-control"), "no-store", path);
        const html = await res.text();
        assert.match(html, /^<!DOCTYPE html>/, path);
        for (const tag of html.match(/<script[^>]*>/g) ?? []) {
          assert.match(tag, /\ssrc="\/static\/[0-9a-f]{12}\//, `${path}: ${tag}`);
        }
        assert.doesNotMatch(html, /\sstyle=/, path);
        assert.doesNotMatch(html, /\son[a-z]+=/, `${path}: no inline event handlers`);
      }
      const data = await h.request("/dashboard/session", { cookie });
      assert.equal(data.headers.get("x-content-type-options"), "nosniff");
      await data.body?.cancel();
    } finally {
      await h.stop();
    }
  },
);

dashboardTest(
  "dashboard: the session cookie never authenticates the JSON API or its ingest route",
  async () => {
    const h = await openDashboard();
    try {
      const cookie = await h.signIn();
      for (const path of ["/api/v1/hosts", "/api/v1/alerts", "/api/v1/metrics/latest?host=a"]) {
        const res = await h.request(path, { cookie });
        assert.equal(res.status, 401, path);
        await res.body?.cancel();
      }
      const ingest = await h.app.request("/api/v1/metrics", {
        method: "POST",
        headers: { cookie, "content-type": "application/json" },
        body: JSON.stringify({ id: "b1", host: "web-1", metrics: [] }),
      });
      assert.equal(ingest.status, 401);
      await ingest.body?.cancel();
      // The pass-through serves only GETs of the read endpoints.
      for (
        const path of [
          "metrics",
          "hosts/web-1",
          "alerts/reload",
          "silences/x",
          "logs",
          "../metrics",
        ]
      ) {
        const res = await h.request(`/dashboard/api/v1/${path}`, { cookie });
        assert.equal(res.status, 404, path);
        await res.body?.cancel();
      }
      const post = await h.request("/dashboard/api/v1/silences", {
        cookie,
        method: "POST",
        headers: { "content-type": "application/json" },
      });
      assert.ok(
        post.status === 404 || post.status === 405,
        `POST through the pass-through: ${post.status}`,
      );
      await post.body?.cancel();
      // …and answers what the API answers.
      await h.world.send("web-1", "mem.used_pct", 40);
      const viaCookie = await (await h.request("/dashboard/api/v1/hosts", { cookie })).json();
      const token = await validToken("t", "read", h.world.clock.now);
      const viaToken = await (await h.app.request("/api/v1/hosts", {
        headers: { authorization: `Bearer ${token}` },
      })).json();
      assert.deepEqual(viaCookie, viaToken);
      assert.equal(viaCookie.hosts[0].host, "web-1");
    } finally {
      await h.stop();
    }
  },
);

dashboardTest(
  "dashboard: silences from the page need the session's CSRF token and a same-site request",
  async () => {
    const h = await openDashboard();
    try {
      await h.world.send("web-1", "cpu.usage_pct", 50, { core: "total" });
      const cookie = await h.signIn();
      const csrf = await h.csrfOf("/alerts/silence?rule=AnyCpu&host=web-1", cookie);
      const form = { rule: "AnyCpu", host: "web-1", duration: "1h", comment: "deploy" };
      const refused: [Record<string, string>, Record<string, string>][] = [
        [form, {}],
        [{ ...form, _csrf: "wrong" }, {}],
        [{ ...form, _csrf: await h.csrfOf("/alerts", await h.signIn()) }, {}],
        [{ ...form, _csrf: csrf }, { origin: "http://evil.example" }],
        [{ ...form, _csrf: csrf }, { "sec-fetch-site": "cross-site" }],
      ];
      for (const [fields, headers] of refused) {
        const res = await h.request("/alerts/silences", { cookie, form: fields, headers });
        assert.equal(res.status, 403, JSON.stringify([Object.keys(fields), headers]));
        await res.body?.cancel();
      }
      assert.equal((await h.world.silences.list(h.world.clock.now, true)).length, 0);

      const bad = await h.request("/alerts/silences", {
        cookie,
        form: { ...form, comment: "", _csrf: csrf },
      });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /Say why in the comment/);

      const ok = await h.request("/alerts/silences", { cookie, form: { ...form, _csrf: csrf } });
      assert.equal(ok.status, 303);
      assert.equal(ok.headers.get("location"), "/alerts?done=silenced");
      const [s] = await h.world.silences.list(h.world.clock.now);
      assert.deepEqual(s.matchers, [
        { name: "alertname", value: "AnyCpu", isRegex: false, isEqual: true },
        { name: "host", value: "web-1", isRegex: false, isEqual: true },
      ]);
      assert.equal(s.endsAt - s.startsAt, 3_600_000);
      assert.equal(s.createdBy, "dashboard");
      assert.equal(s.comment, "deploy");
      const page = await (await h.request("/alerts?done=silenced", { cookie })).text();
      assert.match(page, /Silence created/);
      assert.match(page, new RegExp(`data-silence="${s.id}"`));

      const expire = await h.request(`/alerts/silences/${s.id}/expire`, {
        cookie,
        form: { _csrf: csrf },
      });
      assert.equal(expire.status, 303);
      assert.equal(expire.headers.get("location"), "/alerts?done=expired");
      assert.equal((await h.world.silences.list(h.world.clock.now)).length, 0);
      const noToken = await h.request(`/alerts/silences/${s.id}/expire`, { cookie, form: {} });
      assert.equal(noToken.status, 403);
      await noToken.body?.cancel();
    } finally {
      await h.stop();
    }
  },
);

dashboardTest("dashboard: signing out needs the CSRF token and clears the cookie", async () => {
  const h = await openDashboard();
  try {
    const cookie = await h.signIn();
    const refused = await h.request("/signout", { cookie, form: {} });
    assert.equal(refused.status, 403);
    await refused.body?.cancel();
    const csrf = await h.csrfOf("/", cookie);
    const res = await h.request("/signout", { cookie, form: { _csrf: csrf } });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/signin?signed_out=1");
    assert.match(res.headers.get("set-cookie")!, /^mo_session=;.*Max-Age=0/);
    const page = await (await h.request("/signin?signed_out=1")).text();
    assert.match(page, /You are signed out/);
  } finally {
    await h.stop();
  }
});

dashboardTest(
  "dashboard: host names and values from agents are escaped on every page",
  async () => {
    const h = await openDashboard();
    try {
      const evil = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
      await h.world.send(evil, "cpu.usage_pct", 5, { core: "total" });
      await h.world.send(evil, "disk.used_pct", 50, { mount: `/m"><svg onload=alert(2)>` });
      await h.world.after(1000);
      const cookie = await h.signIn();
      for (
        const path of [
          "/",
          `/hosts/${encodeURIComponent(evil)}`,
          "/alerts",
          `/logs?q=${encodeURIComponent(evil)}`,
        ]
      ) {
        const html = await (await h.request(path, { cookie })).text();
        assert.doesNotMatch(html, /<script>alert/, path);
        assert.doesNotMatch(html, /<img src=x/, path);
        assert.doesNotMatch(html, /<svg onload/, path);
        assert.ok(
          html.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") || path === "/alerts",
          path,
        );
      }
      const overview = await (await h.request("/", { cookie })).text();
      assert.ok(overview.includes(`href="/hosts/${encodeURIComponent(evil)}"`));
    } finally {
      await h.stop();
    }
  },
);

dashboardTest(
  "dashboard: the overview shows the newest values, sorted and filtered as the URL says",
  async () => {
    const h = await openDashboard();
    try {
      // Older samples first, then the newest: the card must show the newest (the seed's bug).
      await h.world.send("web-1", "cpu.usage_pct", 99, { core: "total" });
      h.world.clock.now += 10_000;
      await h.world.send("web-1", "cpu.usage_pct", 7.25, { core: "total" });
      await h.world.send("db-1", "cpu.usage_pct", 50, { core: "total" });
      const cookie = await h.signIn();
      const html = await (await h.request("/?sort=cpu&dir=desc&q=web", { cookie })).text();
      const rows = [
        ...html.matchAll(/<tr data-host="([^"]+)" data-status="(\w+)"\s*( hidden="")?\s*>/g),
      ].map((m) => [m[1], m[2], !!m[3]]);
      assert.deepEqual(
        rows,
        [["db-1", "up", true], ["web-1", "up", false]],
        "sorted by CPU, filtered by name",
      );
      assert.match(html, /data-col="cpu" class="num">7\.3 %</);
      assert.doesNotMatch(html, /99\.0 %/);
      assert.match(html, /aria-sort="descending"><a href="\/\?q=web&amp;sort=cpu&amp;dir=asc">CPU/);
      assert.match(html, /total <span data-count="total">2<\/span>/);
    } finally {
      await h.stop();
    }
  },
);

dashboardTest(
  "dashboard: the host page's series equal the query API's for the same range and bucket",
  async () => {
    const h = await openDashboard();
    try {
      for (let i = 0; i < 30; i++) {
        await h.world.send("web-1", "cpu.usage_pct", i * 3, { core: "total" });
        await h.world.send("web-1", "cpu.usage_pct", i, { core: "0" });
        await h.world.send("web-1", "net.bytes_in", 1000 + i, { iface: "eth0" });
        h.world.clock.now += 7_000;
      }
      const cookie = await h.signIn();
      const from = new Date(h.world.clock.now - 900_000).toISOString();
      const to = new Date(h.world.clock.now).toISOString();
      const res = await h.request(`/dashboard/api/hosts/web-1/series?from=${from}&to=${to}`, {
        cookie,
      });
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.bucket, "10s");
      const cpu = body.series.filter((s: { name: string }) => s.name === "cpu.usage_pct");
      assert.deepEqual(
        cpu.map((s: { labels: unknown }) => s.labels),
        [{ core: "total" }],
        "per core only on demand",
      );
      const token = await validToken("t", "read", h.world.clock.now);
      const api = await (await h.app.request(
        `/api/v1/metrics/query?host=web-1&name=cpu.usage_pct&label.core=total&from=${from}&to=${to}&bucket=10s`,
        { headers: { authorization: `Bearer ${token}` } },
      )).json();
      assert.deepEqual(
        cpu[0].points,
        api.series[0].points.map((
          p: { time: string; value: number },
        ) => [Date.parse(p.time), p.value]),
      );
      const withCores =
        await (await h.request(`/dashboard/api/hosts/web-1/series?from=${from}&to=${to}&cores=1`, {
          cookie,
        })).json();
      assert.deepEqual(
        withCores.series.filter((s: { name: string }) => s.name === "cpu.usage_pct").map((
          s: { labels: unknown },
        ) => s.labels),
        [{ core: "total" }, { core: "0" }],
      );
      for (
        const q of ["bucket=1s", "from=yesterday", "cores=2", "nope=1", `from=${to}&to=${from}`]
      ) {
        const r = await h.request(`/dashboard/api/hosts/web-1/series?${q}`, { cookie });
        assert.equal(r.status, 400, q);
        assert.ok((await r.json()).error, q);
      }
    } finally {
      await h.stop();
    }
  },
);

dashboardTest(
  "dashboard: static files are served from the server, cacheable, uPlot included, under 150 KB of script",
  async () => {
    const h = await openDashboard();
    try {
      const html = await (await h.request("/hosts/web-1", { cookie: await h.signIn() })).text();
      void html;
      const page = await (await h.request("/signin")).text();
      const css = /href="(\/static\/[0-9a-f]{12}\/css\/app\.css)"/.exec(page)![1];
      const version = css.split("/")[2];
      let scriptBytes = 0;
      for (
        const [name, type] of [
          ["css/app.css", "text/css"],
          ["vendor/uPlot.iife.min.js", "text/javascript"],
          ["vendor/uPlot.min.css", "text/css"],
          ["js/overview.js", "text/javascript"],
          ["js/format.js", "text/javascript"],
        ]
      ) {
        const res = await h.request(`/static/${version}/${name}`);
        assert.equal(res.status, 200, name);
        assert.match(res.headers.get("content-type")!, new RegExp(type), name);
        assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable", name);
        assert.equal(res.headers.get("x-content-type-options"), "nosniff", name);
        await res.arrayBuffer();
      }
      const uplot = await (await h.request(`/static/${version}/vendor/uPlot.iife.min.js`)).text();
      assert.match(uplot, /uPlot/);
      for (
        const f of Deno.readDirSync(
          new URL("../../../server/dashboard/static/js/", import.meta.url),
        )
      ) {
        scriptBytes +=
          Deno.statSync(new URL(`../../../server/dashboard/static/js/${f.name}`, import.meta.url))
            .size;
      }
      scriptBytes += new TextEncoder().encode(uplot).length;
      assert.ok(scriptBytes < 150 * 1024, `all JavaScript shipped: ${scriptBytes} bytes`);
      const old = await h.request(`/static/000000000000/css/app.css`);
      assert.equal(
        old.headers.get("cache-control"),
        "no-cache",
        "an old version is served but not cached",
      );
      await old.body?.cancel();
      const missing = await h.request(`/static/${version}/js/nope.js`);
      assert.equal(missing.status, 404);
      await missing.body?.cancel();
    } finally {
      await h.stop();
    }
  },
);

dashboardTest(
  "dashboard: DASHBOARD_AUTH=none needs no sign-in, says so, and still wants CSRF tokens",
  async () => {
    const h = await openDashboard({ config: { auth: "none", password: undefined } });
    try {
      await h.world.send("web-1", "cpu.usage_pct", 10, { core: "total" });
      const res = await h.request("/");
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(html, /No sign-in required: this server listens on a loopback address only/);
      assert.doesNotMatch(html, /Sign out/);
      const who = await (await h.request("/dashboard/session")).json();
      assert.deepEqual(who, { sub: "local", role: "admin", method: "none", expires_at: null });
      const signin = await h.request("/signin");
      assert.equal(signin.status, 303);
      await signin.body?.cancel();
      const form = { rule: "AnyCpu", host: "web-1", duration: "1h", comment: "x" };
      const refused = await h.request("/alerts/silences", { form });
      assert.equal(refused.status, 403);
      await refused.body?.cancel();
      const csrf = await h.csrfOf("/alerts/silence?rule=AnyCpu", "");
      const ok = await h.request("/alerts/silences", { form: { ...form, _csrf: csrf } });
      assert.equal(ok.status, 303);
      await ok.body?.cancel();
    } finally {
      await h.stop();
    }
  },
);

dashboardTest(
  "dashboard: the event stream starts with the fleet, the alerts and the feed state",
  async () => {
    const h = await openDashboard();
    try {
      await h.world.send("web-1", "cpu.usage_pct", 10, { core: "total" });
      await h.world.after(1000);
      const cookie = await h.signIn();
      const bad = await h.request("/dashboard/events?nope=1", { cookie });
      assert.equal(bad.status, 400);
      await bad.body?.cancel();
      const res = await h.request("/dashboard/events?fleet=1", { cookie });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type")!, /text\/event-stream/);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (
        !(text.includes("event: hosts") && text.includes("event: alerts") &&
          text.includes("event: sparks"))
      ) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      await reader.cancel();
      assert.match(text, /event: feed\ndata: \{"ok":true,"error":null,"at":\d+\}\nretry: 2000/);
      const hosts = JSON.parse(/event: hosts\ndata: (.*)/.exec(text)![1]);
      assert.equal(hosts.full, true);
      assert.equal(hosts.hosts[0].host, "web-1");
      assert.equal(hosts.hosts[0].cpu_pct, 10);
      const alerts = JSON.parse(/event: alerts\ndata: (.*)/.exec(text)![1]);
      assert.equal(alerts.alerts[0].rule, "AnyCpu");
      assert.equal(alerts.alerts[0].state, "firing");
      assert.equal(alerts.alerts[0].silenced, false);
    } finally {
      await h.stop();
    }
  },
);

Deno.test("dashboard: next is a path of this site or /", () => {
  assert.equal(safeNext("/hosts/a?range=1h"), "/hosts/a?range=1h");
  for (
    const bad of [
      "//evil.com",
      "/\\evil.com",
      "https://evil.com",
      "javascript:alert(1)",
      "",
      null,
      "/signin",
      "/x\n",
    ]
  ) {
    assert.equal(safeNext(bad), "/", String(bad));
  }
});
