import assert from "node:assert/strict";
import { parseRetryAfter, RETRY_AFTER_MAX_MS } from "../../agent/retry_after.ts";

const NOW = Date.UTC(2015, 9, 21, 7, 28, 0);

Deno.test("parseRetryAfter: delay-seconds", () => {
  assert.equal(parseRetryAfter("0", NOW), 0);
  assert.equal(parseRetryAfter(" 120 ", NOW), 120_000);
  assert.equal(parseRetryAfter("86400", NOW), RETRY_AFTER_MAX_MS, "capped");
});

Deno.test("parseRetryAfter: HTTP dates, past ones mean now", () => {
  assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:28:45 GMT", NOW), 45_000);
  assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", NOW), 0);
});

Deno.test("parseRetryAfter: absent or malformed → null", () => {
  for (const v of [null, "", "soon", "-5", "1.5", "2015-10-21T07:29:00Z"]) {
    assert.equal(parseRetryAfter(v, NOW), null, String(v));
  }
});
