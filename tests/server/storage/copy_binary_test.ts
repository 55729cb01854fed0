/** The binary COPY encoding, byte by byte. */
import assert from "node:assert/strict";
import { encodeSamplesBinary } from "../../../server/db/copy_binary.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("copy: an empty payload is header and trailer only", () => {
  assert.equal(
    hex(encodeSamplesBinary({ time: [], seriesId: [], value: [] })),
    "5047434f50590aff0d0a00" + "00000000" + "00000000" + "ffff",
  );
});

Deno.test("copy: one row is 3 fields of 8 bytes: µs since 2000, int8, float8", () => {
  const payload = encodeSamplesBinary({
    time: [Date.parse("2000-01-01T00:00:01.5Z")],
    seriesId: [2 ** 32 + 5],
    value: [1],
  });
  assert.equal(payload.length, 19 + 38 + 2);
  assert.equal(
    hex(payload.subarray(19, 57)),
    "0003" +
      "00000008" + "000000000016e360" + // 1 500 000 µs
      "00000008" + "0000000100000005" +
      "00000008" + "3ff0000000000000",
  );
});

Deno.test("copy: times before 2000 are negative (two's complement)", () => {
  const payload = encodeSamplesBinary({
    time: [Date.parse("1999-12-31T23:59:59.999Z")],
    seriesId: [1],
    value: [0],
  });
  assert.equal(hex(payload.subarray(25, 33)), "fffffffffffffc18"); // −1000 µs
});

Deno.test("copy: columns of different lengths are refused", () => {
  assert.throws(
    () => encodeSamplesBinary({ time: [1], seriesId: [], value: [1] }),
    /differ in length/,
  );
});
