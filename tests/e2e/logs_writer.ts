/**
 * Writes numbered lines to a log file at a steady rate, as an application would, and reopens
 * the path when it no longer names the file it writes to (rotation with `create`). One line in
 * three has no timestamp (the agent stamps it with the read time). Prints `{"written": n}` at
 * the end.
 *
 * Two ways of writing, as applications do:
 * - `append` (default): O_APPEND, every write lands at the end of the file, so after
 *   copytruncate the file starts over at 0.
 * - `offset`: no O_APPEND; the writer keeps its own offset, so after copytruncate it goes on
 *   writing where it was and the file begins with a hole of NUL bytes as long as everything it
 *   wrote before.
 *
 * Usage: deno run --allow-read --allow-write tests/e2e/logs_writer.ts <path> <lines/s> <seconds> [append|offset]
 */

/** How the writer writes; see the module comment. */
export type WriterMode = "append" | "offset";

/**
 * Line `n` as written at `now` (ASCII; its length does not depend on the time). The two modes
 * write different words, so two files written at once never share their first bytes.
 */
export function writerLine(n: number, now: Date, mode: WriterMode = "append"): string {
  const seq = String(n).padStart(7, "0");
  const what = mode === "append" ? "request served" : "job finished";
  return n % 3 === 2
    ? `seq=${seq} no timestamp on this line, level WARN\n`
    : `${now.toISOString()} INFO seq=${seq} ${what} in ${n % 97} ms\n`;
}

async function main(): Promise<void> {
  const [path, rateText, secondsText, modeText = "append"] = Deno.args;
  if (modeText !== "append" && modeText !== "offset") {
    throw new Error(`mode must be append or offset, not ${modeText}`);
  }
  const rate = Number(rateText);
  const seconds = Number(secondsText);
  const TICK_MS = 10;
  const perTick = rate * TICK_MS / 1000;
  const enc = new TextEncoder();
  const open = async () => {
    const f = modeText === "append"
      ? await Deno.open(path, { append: true, create: true })
      : await Deno.open(path, { write: true, create: true });
    if (modeText === "offset") await f.seek(0, Deno.SeekMode.End);
    return f;
  };

  let file = await open();
  let ino = (await file.stat()).ino;
  let n = 0;
  const started = performance.now();
  const total = Math.round(rate * seconds);
  while (n < total) {
    const due = Math.min(
      total,
      Math.round(((performance.now() - started) / TICK_MS + 1) * perTick),
    );
    let text = "";
    for (; n < due; n++) text += writerLine(n, new Date(), modeText);
    if (text) {
      const data = enc.encode(text);
      let done = 0;
      while (done < data.length) done += await file.write(data.subarray(done));
    }
    const now = await Deno.stat(path).catch(() => null);
    if (!now || now.ino !== ino) {
      file.close();
      file = await open();
      ino = (await file.stat()).ino;
    }
    const next = started + (Math.floor(n / perTick)) * TICK_MS;
    await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
  }
  file.close();
  console.log(JSON.stringify({ written: n }));
}

if (import.meta.main) await main();
