/**
 * Child process of the SIGKILL test: appends records to the spool in `Deno.args[0]` as fast
 * as it can and prints each record's number once its append has resolved (durable).
 */
import { Counters } from "../../../agent/counters.ts";
import { denoSpoolFs } from "../../../agent/spool/deno_spool_fs.ts";
import { Spool } from "../../../agent/spool/spool.ts";
import { silentLogger } from "../../../shared/log.ts";
import { rec } from "./helpers.ts";

const spool = await Spool.open({
  dir: Deno.args[0],
  fs: denoSpoolFs(),
  maxBytes: 64 * 1024 * 1024,
  segmentBytes: 16 * 1024,
  now: Date.now,
  logger: silentLogger,
  counters: new Counters(),
});
const out = new TextEncoder();
for (let n = 1;; n++) {
  await spool.append(rec(n, 1 + (n % 7) * 5));
  Deno.stdout.writeSync(out.encode(`${n}\n`));
}
