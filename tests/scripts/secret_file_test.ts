import assert from "node:assert/strict";
import { ensureSecret } from "../../scripts/secret_file.ts";

Deno.test("ensureSecret: creates a 0600 secret once and reuses it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/agent_token`;
    const first = await ensureSecret(path);
    assert.equal(first.created, true);
    assert.ok(first.secret.length >= 32);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const again = await ensureSecret(path);
    assert.deepEqual(again, { secret: first.secret, path, created: false });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ensureSecret: a too-short secret file is an error, not silently replaced", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/agent_token`, "short\n");
    await assert.rejects(ensureSecret(`${dir}/agent_token`), /shorter than 32 characters/);
    assert.equal(await Deno.readTextFile(`${dir}/agent_token`), "short\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
