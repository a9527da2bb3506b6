import assert from "node:assert/strict";
import fc from "fast-check";
import {
  compareWindowTrades,
  computeCandle,
  EmptyWindowError,
  TradeOutsideWindowError,
  windowStartOf,
  type WindowTrade,
} from "./candle.ts";

Deno.test("windowStartOf floors at exact edges", () => {
  const base = 1_714_573_800_000; // a multiple of 60 000
  assert.equal(base % 60_000, 0);
  assert.equal(windowStartOf(base), base);
  assert.equal(windowStartOf(base + 1), base);
  assert.equal(windowStartOf(base + 59_999), base);
  assert.equal(windowStartOf(base + 60_000), base + 60_000);
  assert.equal(windowStartOf(base - 1), base - 60_000);
  assert.equal(windowStartOf(0), 0);
  assert.equal(windowStartOf(-1), -60_000);
  assert.ok(Object.is(windowStartOf(-60_000), -60_000));
  assert.ok(Object.is(windowStartOf(0), 0));
  assert.equal(windowStartOf(1_234, 1_000), 1_000);
});

Deno.test("windowStartOf is the floor for any safe integer and size", () => {
  fc.assert(
    fc.property(
      // Below this the floor itself would leave the safe-integer range.
      fc.integer({
        min: Number.MIN_SAFE_INTEGER + 86_400_000,
        max: Number.MAX_SAFE_INTEGER,
      }),
      fc.integer({ min: 1, max: 86_400_000 }),
      (ts, size) => {
        const start = windowStartOf(ts, size);
        assert.ok(Number.isSafeInteger(start));
        assert.ok(
          start <= ts && ts - start < size,
          `${ts} ${size} -> ${start}`,
        );
        assert.equal(start % size === 0 || Object.is(start % size, -0), true);
        assert.ok(
          BigInt(start) ===
            BigInt(ts) -
              ((BigInt(ts) % BigInt(size)) + BigInt(size)) % BigInt(size),
        );
      },
    ),
    { numRuns: 2000 },
  );
});

const T0 = 1_714_573_800_000;

Deno.test("computeCandle: OHLC from canonical order, not arrival order", () => {
  const trades: WindowTrade[] = [
    { price: 101, volume: 1, timestamp: T0 + 59_999, partition: 0, offset: 4 },
    { price: 99, volume: 2, timestamp: T0, partition: 0, offset: 2 },
    { price: 105, volume: 1, timestamp: T0 + 30_000, partition: 0, offset: 3 },
    { price: 98, volume: 1, timestamp: T0, partition: 0, offset: 1 }, // same ms, earlier offset
  ];
  const c = computeCandle("AAPL", T0, trades);
  assert.deepEqual(c, {
    symbol: "AAPL",
    windowStart: T0,
    windowEnd: T0 + 60_000,
    open: 98,
    high: 105,
    low: 98,
    close: 101,
    volume: 5,
    tradeCount: 4,
    vwap: (98 + 99 * 2 + 105 + 101) / 5,
    updates: 4,
  });
  // The caller's array is not reordered.
  assert.equal(trades[0].offset, 4);
});

Deno.test("computeCandle: zero total volume gives vwap = close", () => {
  const c = computeCandle("OANDA:EUR_USD", T0, [
    { price: 1.07, volume: 0, timestamp: T0 + 1, partition: 0, offset: 0 },
    { price: 1.08, volume: 0, timestamp: T0 + 2, partition: 0, offset: 1 },
  ]);
  assert.equal(c.vwap, 1.08);
  assert.equal(c.volume, 0);
});

// Finding 6 of issue 9: zero-volume updates counted toward trade_count.
Deno.test("computeCandle: zero-volume updates move the price but are not trades", () => {
  const c = computeCandle("OANDA:EUR_USD", T0, [
    { price: 2, volume: 3, timestamp: T0 + 1, partition: 0, offset: 0 },
    { price: 9, volume: 0, timestamp: T0 + 2, partition: 0, offset: 1 },
    { price: 4, volume: 1, timestamp: T0 + 3, partition: 0, offset: 2 },
  ]);
  assert.equal(c.tradeCount, 2);
  assert.equal(c.high, 9);
  assert.equal(c.vwap, (2 * 3 + 4 * 1) / 4);
});

Deno.test("computeCandle: sums are exact, so arrival order cannot change them", () => {
  // Plain sums differ in the last bit by order...
  assert.notEqual((0.1 + 0.2) + 0.3, 0.1 + (0.2 + 0.3));
  const a = {
    price: 1,
    volume: 0.1,
    timestamp: T0 + 1,
    partition: 0,
    offset: 0,
  };
  const b = {
    price: 1,
    volume: 0.2,
    timestamp: T0 + 2,
    partition: 0,
    offset: 1,
  };
  const c = {
    price: 1,
    volume: 0.3,
    timestamp: T0 + 3,
    partition: 0,
    offset: 2,
  };
  // ...but the candle is identical whichever order the trades came in.
  const one = computeCandle("X", T0, [a, b, c]);
  const other = computeCandle("X", T0, [c, b, a]);
  assert.deepEqual(one, other);
  assert.equal(
    one.volume,
    0.6,
    "the correctly rounded sum, not (0.1 + 0.2) + 0.3",
  );
});

Deno.test("computeCandle is bit-identical for any permutation of the same trades", () => {
  const tradeArb = fc.record({
    price: fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
    volume: fc.oneof(
      fc.constant(0),
      fc.double({ min: 1e-8, max: 1e4, noNaN: true }),
    ),
    timestamp: fc.oneof(
      fc.constantFrom(T0, T0 + 59_999, T0 + 30_000),
      fc.integer({ min: T0, max: T0 + 59_999 }),
    ),
    partition: fc.integer({ min: 0, max: 2 }),
    offset: fc.integer({ min: 0, max: 50 }),
  });
  fc.assert(
    fc.property(
      fc.array(tradeArb, { minLength: 1, maxLength: 40 }).chain((trades) =>
        fc.tuple(
          fc.constant(trades),
          fc.shuffledSubarray(trades, { minLength: trades.length }),
        )
      ),
      ([trades, shuffled]) => {
        const a = computeCandle("S", T0, trades);
        const b = computeCandle("S", T0, shuffled);
        assert.deepEqual(a, b); // SameValue: distinguishes every bit but NaN payloads
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("compareWindowTrades is a total order on distinct trades", () => {
  const x = { price: 1, volume: 1, timestamp: T0, partition: 1, offset: 0 };
  const y = { price: 1, volume: 1, timestamp: T0, partition: 0, offset: 99 };
  assert.ok(compareWindowTrades(y, x) < 0);
  assert.equal(compareWindowTrades(x, { ...x }), 0);
});

Deno.test("computeCandle refuses empty windows and foreign trades", () => {
  assert.throws(() => computeCandle("S", T0, []), EmptyWindowError);
  for (const ts of [T0 - 1, T0 + 60_000]) {
    assert.throws(
      () =>
        computeCandle("S", T0, [{
          price: 1,
          volume: 1,
          timestamp: ts,
          partition: 0,
          offset: 0,
        }]),
      TradeOutsideWindowError,
    );
  }
});
