/**
 * Writes numbered lines to a log file at a steady rate, as an application would: appends
 * (O_APPEND, so copytruncate leaves no hole), and reopens the path when it no longer names the
 * file it writes to (rotation with `create`). One line in three has no timestamp (the agent
 * stamps it with the read time). Prints `{"written": n}` at the end.
 *
 * Usage: deno run --allow-read --allow-write tests/e2e/logs_writer.ts <path> <lines/s> <seconds>
 */
const [path, rateText, secondsText] = Deno.args;
const rate = Number(rateText);
const seconds = Number(secondsText);
const TICK_MS = 10;
const perTick = rate * TICK_MS / 1000;
const enc = new TextEncoder();

let file = await Deno.open(path, { append: true, create: true });
let ino = (await file.stat()).ino;
let n = 0;
const started = performance.now();
const total = Math.round(rate * seconds);
while (n < total) {
  const due = Math.min(total, Math.round(((performance.now() - started) / TICK_MS + 1) * perTick));
  let text = "";
  for (; n < due; n++) {
    const seq = String(n).padStart(7, "0");
    text += n % 3 === 2
      ? `seq=${seq} no timestamp on this line, level WARN\n`
      : `${new Date().toISOString()} INFO seq=${seq} request served in ${n % 97} ms\n`;
  }
  if (text) {
    const data = enc.encode(text);
    let done = 0;
    while (done < data.length) done += await file.write(data.subarray(done));
  }
  const now = await Deno.stat(path).catch(() => null);
  if (!now || now.ino !== ino) {
    file.close();
    file = await Deno.open(path, { append: true, create: true });
    ino = (await file.stat()).ino;
  }
  const next = started + (Math.floor(n / perTick)) * TICK_MS;
  await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
}
file.close();
console.log(JSON.stringify({ written: n }));
