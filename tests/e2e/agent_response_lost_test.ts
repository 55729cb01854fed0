/**
 * End to end: a batch the server committed but whose answer never reached the agent (a TCP
 * proxy in front of the real server drops the connection as soon as the answer starts,
 * i.e. after the commit) is retried under the same batch id and stored once.
 */
import assert from "node:assert/strict";
import { backendNamed, POSTGRES_SKIP } from "../server/storage/backends.ts";
import {
  assertEachCollectedSampleStoredOnce,
  collectedBatches,
  databaseUrlOf,
  freePort,
  storedSamples,
} from "./agent_oracle.ts";
import { eventually, type RunningProgram, startAgent, startServer } from "./processes.ts";

const SECRET = "e2e-lost-answer-secret-".padEnd(40, "x");

/** A TCP proxy to `port` that, on its first connection, drops the first answer. */
function answerDroppingProxy(port: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  const state = { dropped: 0 };
  const open = new Set<Deno.Conn>();
  const close = (c: Deno.Conn) => {
    try {
      c.close();
    } catch { /* already closed */ }
  };
  (async () => {
    for await (const client of listener) {
      const n = ++connections;
      (async () => {
        const upstream = await Deno.connect({ hostname: "127.0.0.1", port });
        open.add(client).add(upstream);
        client.readable.pipeTo(upstream.writable).catch(() => {});
        if (n > 1) {
          upstream.readable.pipeTo(client.writable).catch(() => {});
          return;
        }
        // The server answers only after its commit: the first byte back proves it stored.
        const reader = upstream.readable.getReader();
        await reader.read();
        state.dropped++;
        close(client);
        close(upstream);
      })().catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    state,
    close() {
      listener.close();
      for (const c of open) close(c);
    },
  };
}

Deno.test({
  name: "e2e: a batch retried after the server committed it (answer lost) is stored once",
  ignore: !!POSTGRES_SKIP,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const host = `lost-${crypto.randomUUID().slice(0, 8)}`;
    const pg = await backendNamed("postgres").openDb();
    const stateDir = await Deno.makeTempDir({ prefix: "agent-lost-" });
    const running: RunningProgram[] = [];
    let proxy: ReturnType<typeof answerDroppingProxy> | null = null;
    try {
      const server = await startServer({
        DATABASE_URL: await databaseUrlOf(pg.db),
        AGENT_TOKEN: SECRET,
        LISTEN_ADDR: `127.0.0.1:${freePort()}`,
        LOG_LEVEL: "info",
      });
      running.push(server);
      proxy = answerDroppingProxy(Number(new URL(server.baseUrl).port));
      const agent = await startAgent({
        SERVER_URL: `http://127.0.0.1:${proxy.port}`,
        AGENT_TOKEN: SECRET,
        AGENT_HOST: host,
        AGENT_STATE_DIR: stateDir,
        COLLECT_INTERVAL: "1s",
        LOG_LEVEL: "debug",
      });
      running.push(agent);
      const duplicate = await agent.lineSeen(
        (l) => l.includes('"msg":"sent"') && l.includes('"duplicate":true'),
        20_000,
      );
      const firstId = collectedBatches(agent.logLines)[0].id;
      await eventually("two more batches sent", 10_000, () =>
        Promise.resolve(
          agent.logLines.filter((l) => l.includes('"msg":"sent"')).length >= 3 ? true : undefined,
        ));
      assert.equal(await agent.stop(), 0);

      assert.equal(proxy.state.dropped, 1);
      assert.equal(JSON.parse(duplicate).request, firstId, "the retry carried the same batch id");
      const failed = agent.logLines.find((l) => l.includes("sending failed"))!;
      assert.match(failed, /network error/);
      const stored = await pg.db.query(
        "SELECT count(*)::int AS n FROM ingested_batches WHERE host = $1 AND batch_id = $2",
        [host, firstId],
      );
      assert.equal(stored[0].n, 1);
      const report = assertEachCollectedSampleStoredOnce(
        collectedBatches(agent.logLines),
        await storedSamples(pg.db, host),
      );
      assert.deepEqual(report.unlogged, []);
    } finally {
      proxy?.close();
      for (const p of running.reverse()) await p.kill("SIGKILL");
      await pg.close();
      await Deno.remove(stateDir, { recursive: true });
    }
  },
});
