import assert from "node:assert/strict";
import fc from "fast-check";
import { candleWriteTimestamp } from "./cassandra_trade_store.ts";

Deno.test("candle write timestamps: every final above every provisional, more trades above fewer", () => {
  const count = fc.integer({ min: 0, max: 2 ** 31 - 1 });
  fc.assert(
    fc.property(count, count, (a, b) => {
      assert.ok(
        candleWriteTimestamp(a, true).greaterThan(
          candleWriteTimestamp(b, false),
        ),
        `final(${a}) > provisional(${b})`,
      );
      for (const isFinal of [true, false]) {
        assert.equal(
          candleWriteTimestamp(a, isFinal).compare(
            candleWriteTimestamp(b, isFinal),
          ),
          Math.sign(a - b),
        );
      }
    }),
  );
});
