import assert from "node:assert/strict";
import { concatBytes } from "../../shared/bytes.ts";

Deno.test("concatBytes: parts joined in order, with or without their total", () => {
  const parts = [new Uint8Array([1, 2]), new Uint8Array([]), new Uint8Array([3])];
  assert.deepEqual([...concatBytes(parts)], [1, 2, 3]);
  assert.deepEqual([...concatBytes(parts, 3)], [1, 2, 3]);
  assert.equal(concatBytes([]).length, 0);
});
