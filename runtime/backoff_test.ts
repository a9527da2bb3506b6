import assert from "node:assert/strict";
import { Backoff, backoffCeiling } from "./backoff.ts";

const opts = { minMs: 100, maxMs: 1000, resetAfterMs: 5000 };

Deno.test("backoffCeiling doubles from minMs and caps at maxMs", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 50].map((n) => backoffCeiling(opts, n)), [
    100,
    200,
    400,
    800,
    1000,
    1000,
  ]);
});

Deno.test("Backoff uses full jitter: random() * ceiling", () => {
  const draws = [0, 0.999, 0.5];
  const b = new Backoff({ ...opts, random: () => draws.shift()! });
  assert.deepEqual([b.next(0), b.next(0), b.next(0)], [0, 199, 200]);
});

Deno.test("Backoff resets after running quietly for resetAfterMs", () => {
  const b = new Backoff({ ...opts, random: () => 0.5 });
  assert.equal(b.next(0), 50); // running again from 50
  assert.equal(b.next(100), 100); // from 200
  assert.equal(b.next(5199), 200); // 4999 ms quiet: not yet
  assert.equal(b.next(5400 + 5000), 50); // ran >= 5000 ms since restart at 5400
  assert.equal(b.attempt, 1);
});

Deno.test("Backoff without options restarts at once", () => {
  assert.equal(new Backoff().next(123), 0);
});
