/**
 * Child process of the SIGKILL acknowledgement test: appends records to the spool in
 * `Deno.args[0]`, claims them as the delivery loop does (head and live lane, so merges,
 * solo marks and appended acknowledgements all happen, and with a small compaction
 * threshold, compactions too), completes every claim, and prints `ack <ids>` once
 * `complete` has resolved.
 */
import { Counters } from "../../../agent/counters.ts";
import { denoSpoolFs } from "../../../agent/spool/deno_spool_fs.ts";
import { Spool } from "../../../agent/spool/spool.ts";
import { silentLogger } from "../../../shared/log.ts";
import { idsOf, rec } from "./helpers.ts";

const spool = await Spool.open({
  dir: Deno.args[0],
  fs: denoSpoolFs(),
  maxBytes: 64 * 1024 * 1024,
  segmentBytes: 4 * 1024,
  checkpointCompactBytes: 2048,
  now: Date.now,
  logger: silentLogger,
  counters: new Counters(),
});
const out = new TextEncoder();
let n = 1;
for (let round = 0;; round++) {
  for (let i = 0; i <= round % 4; i++) await spool.append(rec(n++));
  const { head, live } = await spool.claimRound({ maxItems: 6, maxBytes: 1 << 20 }, 0);
  for (const claim of [live, head]) {
    if (!claim) continue;
    await spool.complete(claim);
    Deno.stdout.writeSync(out.encode(`ack ${idsOf(claim.records).join(" ")}\n`));
  }
}
