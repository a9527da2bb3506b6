import assert from "node:assert/strict";
import fc from "fast-check";
import { referenceSum } from "./_test_utils.ts";
import { ExactSum } from "./exact_sum.ts";

function sum(values: number[]): number {
  const s = new ExactSum();
  for (const v of values) s.add(v);
  return s.value();
}

Deno.test("ExactSum is the correctly rounded sum, for any values and order", () => {
  const value = fc.oneof(
    fc.double({ min: 1e-9, max: 1e9, noNaN: true }),
    fc.double({ min: -1e9, max: -1e-9, noNaN: true }),
    fc.integer({ min: -1000, max: 1000 }).map((n) => n / 100),
    fc.constantFrom(0.1, 0.2, 0.3, 1e16, -1e16, 1),
  );
  fc.assert(
    fc.property(
      fc.array(value, { maxLength: 60 }),
      fc.func(fc.integer()),
      (values, pick) => {
        const want = referenceSum(values);
        assert.equal(sum(values), want);
        const shuffled = [...values].sort((a, b) => pick(a, b) % 3 - 1);
        assert.equal(sum(shuffled), want);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("ExactSum handles cancellation and ties that plain addition gets wrong", () => {
  assert.equal(sum([1e16, 1, -1e16]), 1);
  assert.equal(sum([0.1, 0.2, 0.3]), 0.6);
  assert.notEqual(0.1 + 0.2 + 0.3, 0.6, "plain addition is off here");
  // 2^53 + 1 + 2^-30 must round up: the tiny partial decides the tie.
  assert.equal(sum([2 ** 53, 1, 2 ** -30]), 2 ** 53 + 2);
  assert.equal(sum([]), 0);
});
