import assert from "node:assert/strict";
import fc from "fast-check";
import { referenceSum } from "./_test_utils.ts";
import { computeCandle, type WindowTrade } from "./candle.ts";
import {
  InvalidWindowTradeError,
  SymbolWindows,
  WindowOptionsError,
} from "./symbol_windows.ts";
import type { Candle } from "../trade/types.ts";

const MIN = 60_000;
const T0 = 1_714_573_800_000; // a minute edge

function trade(
  offset: number,
  timestamp: number,
  price = 100,
  volume = 1,
): WindowTrade {
  return { price, volume, timestamp, partition: 0, offset };
}

// ---------------------------------------------------------------------------
// Brute-force oracle: the documented rules, written as plainly as possible and
// sharing no code with SymbolWindows or computeCandle.

function bruteCandle(
  symbol: string,
  start: number,
  trades: WindowTrade[],
): Candle {
  const key = (
    t: WindowTrade,
  ) => [t.timestamp, t.partition, t.offset, t.price, t.volume];
  const sorted = [...trades].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) {
      if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    }
    return 0;
  });
  // Exact sums, rounded once: what the window must produce in any order.
  const volume = referenceSum(sorted.map((t) => t.volume));
  const notional = referenceSum(sorted.map((t) => t.price * t.volume));
  const close = sorted[sorted.length - 1].price;
  return {
    symbol,
    windowStart: start,
    windowEnd: start + MIN,
    open: sorted[0].price,
    high: Math.max(...sorted.map((t) => t.price)),
    low: Math.min(...sorted.map((t) => t.price)),
    close,
    volume,
    // Zero-volume price updates are not trades (issue 9).
    tradeCount: sorted.filter((t) => t.volume !== 0).length,
    vwap: volume === 0 ? close : notional / volume,
    updates: sorted.length,
  };
}

class Oracle {
  accepted: WindowTrade[] = [];
  finalized: number[] = [];
  late: number[] = [];
  maxTs = -Infinity;
  constructor(readonly lateness: number, readonly grace: number) {}
  startOf(ts: number): number {
    return Math.floor(ts / MIN) * MIN; // fine for these small positive numbers
  }
  watermark(): number {
    return this.maxTs - this.lateness;
  }
  add(t: WindowTrade): "accepted" | "late" {
    const start = this.startOf(t.timestamp);
    const late = start + MIN <= this.watermark() ||
      this.finalized.some((f) => f >= start);
    if (late) {
      this.late.push(t.offset);
      return "late";
    }
    this.accepted.push(t);
    this.maxTs = Math.max(this.maxTs, t.timestamp);
    return "accepted";
  }
  openStarts(): number[] {
    const starts = new Set(this.accepted.map((t) => this.startOf(t.timestamp)));
    return [...starts].filter((s) => !this.finalized.includes(s)).sort((a, b) =>
      a - b
    );
  }
  tradesOf(start: number): WindowTrade[] {
    return this.accepted.filter((t) => this.startOf(t.timestamp) === start);
  }
  closeDue(now: number): Candle[] {
    const out: Candle[] = [];
    for (const s of this.openStarts()) {
      if (
        s + MIN <= this.watermark() ||
        s + MIN + this.lateness + this.grace <= now
      ) {
        out.push(bruteCandle("S", s, this.tradesOf(s)));
        this.finalized.push(s);
      }
    }
    return out;
  }
  minOpenOffset(): number | undefined {
    const offsets = this.openStarts().flatMap((s) =>
      this.tradesOf(s).map((t) => t.offset)
    );
    return offsets.length ? Math.min(...offsets) : undefined;
  }
}

const scenarioArb = fc.record({
  lateness: fc.oneof(
    fc.constant(0),
    fc.constant(5_000),
    fc.integer({ min: 0, max: 150_000 }),
  ),
  grace: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10_000 })),
  trades: fc.array(
    fc.record({
      minute: fc.integer({ min: 0, max: 5 }),
      inMinute: fc.oneof(
        fc.constantFrom(0, 59_999, 30_000), // exact edges and repeated milliseconds
        fc.integer({ min: 0, max: 59_999 }),
      ),
      sameMsAsPrevious: fc.boolean(),
      price: fc.double({ min: 1e-4, max: 1e5, noNaN: true }),
      volume: fc.oneof(
        fc.constant(0),
        fc.double({ min: 1e-6, max: 1e3, noNaN: true }),
      ),
      partition: fc.constantFrom(0, 0, 0, 1),
    }),
    { minLength: 1, maxLength: 60 },
  ),
  arrivalKeys: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
  // After each arrival, maybe a closeDue with some wall-clock time.
  closes: fc.array(
    fc.option(fc.integer({ min: 0, max: 9 * MIN }), { nil: undefined }),
    {
      minLength: 60,
      maxLength: 60,
    },
  ),
});

Deno.test("SymbolWindows matches the brute-force oracle for any arrival order and lateness", () => {
  fc.assert(
    fc.property(
      scenarioArb,
      ({ lateness, grace, trades, arrivalKeys, closes }) => {
        // Log order gives offsets; arrival order is a shuffle of it.
        const log: WindowTrade[] = [];
        for (const [i, g] of trades.entries()) {
          const ts = g.sameMsAsPrevious && i > 0
            ? log[i - 1].timestamp
            : T0 + g.minute * MIN + g.inMinute;
          log.push({
            price: g.price,
            volume: g.volume,
            timestamp: ts,
            partition: g.partition,
            offset: i,
          });
        }
        const arrival = log.map((t, i) => ({ t, k: arrivalKeys[i] }))
          .sort((a, b) => a.k - b.k || a.t.offset - b.t.offset)
          .map((x) => x.t);

        const sut = new SymbolWindows({
          symbol: "S",
          allowedLatenessMs: lateness,
          graceMs: grace,
        });
        const oracle = new Oracle(lateness, grace);
        const sutLate: number[] = [];
        const emitted: Candle[] = [];

        for (const [i, t] of arrival.entries()) {
          const result = sut.add(t);
          assert.equal(result, oracle.add(t), `add #${i} offset ${t.offset}`);
          if (result === "late") sutLate.push(t.offset);
          const now = closes[i];
          if (now !== undefined) {
            const got = sut.closeDue(T0 + now);
            assert.deepEqual(got, oracle.closeDue(T0 + now));
            emitted.push(...got);
          }
          assert.equal(sut.minOpenOffset(), oracle.minOpenOffset());
          assert.deepEqual(sut.openWindowStarts(), oracle.openStarts());
          assert.deepEqual(
            sut.provisional(),
            oracle.openStarts().map((s) =>
              bruteCandle("S", s, oracle.tradesOf(s))
            ),
          );
        }
        const rest = sut.closeDue(Number.POSITIVE_INFINITY);
        assert.deepEqual(rest, oracle.closeDue(Number.POSITIVE_INFINITY));
        emitted.push(...rest);
        assert.ok(sut.isEmpty());
        assert.equal(sut.minOpenOffset(), undefined);

        assert.deepEqual(sutLate, oracle.late);
        // Every candle is exactly computeCandle of the accepted trades of its window...
        for (const c of emitted) {
          assert.deepEqual(
            c,
            computeCandle("S", c.windowStart, oracle.tradesOf(c.windowStart)),
          );
        }
        // ...windows are emitted once, in order, and no trade is lost or counted twice.
        const starts = emitted.map((c) => c.windowStart);
        assert.deepEqual(starts, [...new Set(starts)].sort((a, b) => a - b));
        // (zero-volume updates are not counted as trades).
        const counted = emitted.reduce((n, c) => n + c.tradeCount, 0);
        const lateTrades =
          log.filter((t) => t.volume !== 0 && sutLate.includes(t.offset))
            .length;
        assert.equal(
          counted + lateTrades,
          log.filter((t) => t.volume !== 0).length,
        );
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("SymbolWindows: in-order arrival with no lateness budget loses nothing", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 5 * MIN - 1 }), {
        minLength: 1,
        maxLength: 50,
      }),
      (offsetsInTime) => {
        const sorted = [...offsetsInTime].sort((a, b) => a - b);
        const w = new SymbolWindows({ symbol: "S", allowedLatenessMs: 0 });
        const results = sorted.map((d, i) => w.add(trade(i, T0 + d)));
        assert.ok(results.every((r) => r === "accepted"));
      },
    ),
  );
});

Deno.test("SymbolWindows: watermark closes a window once event time passes end + lateness", () => {
  const w = new SymbolWindows({
    symbol: "S",
    allowedLatenessMs: 5_000,
    graceMs: 2_000,
  });
  assert.equal(w.add(trade(0, T0 + 59_999)), "accepted");
  assert.equal(w.add(trade(1, T0 + MIN + 4_999)), "accepted");
  assert.deepEqual(w.closeDue(0), []); // watermark = T0 + 59 999 < end
  assert.equal(w.add(trade(2, T0 + 10)), "accepted"); // still within lateness
  assert.equal(w.add(trade(3, T0 + MIN + 5_000)), "accepted"); // watermark = end exactly
  assert.equal(w.isFinalized(T0), true);
  assert.equal(w.add(trade(4, T0 + 1)), "late"); // due, even before closeDue ran
  const [c] = w.closeDue(0);
  assert.equal(c.windowStart, T0);
  assert.equal(c.tradeCount, 2);
  assert.equal(c.open, 100);
  assert.deepEqual(w.openWindowStarts(), [T0 + MIN]);
  assert.equal(w.finalizedThrough(), T0);
});

Deno.test("SymbolWindows: a quiet symbol's window closes by wall clock, then trades for it are late", () => {
  const w = new SymbolWindows({
    symbol: "S",
    allowedLatenessMs: 5_000,
    graceMs: 2_000,
  });
  w.add(trade(0, T0 + 1_000, 10));
  const end = T0 + MIN;
  assert.deepEqual(w.closeDue(end + 5_000 + 2_000 - 1), []);
  const closed = w.closeDue(end + 5_000 + 2_000);
  assert.equal(closed.length, 1);
  assert.equal(closed[0].close, 10);
  assert.ok(w.isEmpty());
  assert.equal(w.add(trade(1, T0 + 2_000, 11)), "late");
  assert.equal(w.add(trade(2, T0 - 1, 11)), "late"); // an earlier window can no longer open
  assert.equal(w.add(trade(3, end, 12)), "accepted"); // the next window is fine
  assert.deepEqual(w.openWindowStarts(), [end]);
});

Deno.test("SymbolWindows: provisional candles track open windows without closing them", () => {
  const w = new SymbolWindows({ symbol: "AAPL" });
  assert.deepEqual(w.provisional(), []);
  w.add(trade(0, T0 + 5, 10, 1));
  w.add(trade(1, T0 + MIN + 5, 20, 1));
  w.add(trade(2, T0 + 7, 12, 3));
  const p = w.provisional();
  assert.deepEqual(
    p.map((c) => [c.windowStart, c.close, c.volume, c.tradeCount]),
    [
      [T0, 12, 4, 2],
      [T0 + MIN, 20, 1, 1],
    ],
  );
  assert.equal(p[0].symbol, "AAPL");
  assert.deepEqual(w.openWindowStarts(), [T0, T0 + MIN]);
});

Deno.test("SymbolWindows: minOpenOffset follows the open windows, per partition if asked", () => {
  const w = new SymbolWindows({
    symbol: "S",
    allowedLatenessMs: 0,
    graceMs: 0,
  });
  assert.equal(w.minOpenOffset(), undefined);
  w.add({ ...trade(41, T0 + 1), partition: 3 });
  w.add({ ...trade(40, T0 + MIN + 1), partition: 3 });
  w.add({ ...trade(7, T0 + MIN + 2), partition: 1 });
  assert.equal(w.minOpenOffset(), 7);
  assert.equal(w.minOpenOffset(3), 40);
  assert.equal(w.minOpenOffset(2), undefined);
  w.add({ ...trade(42, T0 + 2 * MIN), partition: 3 }); // watermark passes the first window
  w.closeDue(0);
  assert.deepEqual(w.openWindowStarts(), [T0 + 2 * MIN]);
  assert.equal(w.minOpenOffset(), 42);
});

Deno.test("SymbolWindows: same-millisecond trades are distinct trades", () => {
  const w = new SymbolWindows({ symbol: "S" });
  assert.equal(w.add(trade(5, T0 + 1)), "accepted");
  assert.equal(w.add({ ...trade(5, T0 + 1), partition: 1 }), "accepted");
  assert.equal(w.add(trade(6, T0 + 1)), "accepted");
  assert.equal(w.provisional()[0].tradeCount, 3);
});

Deno.test("SymbolWindows refuses unusable options and timestamps", () => {
  assert.throws(
    () => new SymbolWindows({ symbol: "S", sizeMs: 0 }),
    WindowOptionsError,
  );
  assert.throws(
    () => new SymbolWindows({ symbol: "S", sizeMs: 1.5 }),
    WindowOptionsError,
  );
  assert.throws(
    () => new SymbolWindows({ symbol: "S", allowedLatenessMs: -1 }),
    WindowOptionsError,
  );
  assert.throws(
    () => new SymbolWindows({ symbol: "S", graceMs: NaN }),
    WindowOptionsError,
  );
  const w = new SymbolWindows({ symbol: "S" });
  assert.throws(() => w.add(trade(0, NaN)), InvalidWindowTradeError);
  assert.throws(() => w.add(trade(0, T0 + 0.5)), InvalidWindowTradeError);
});

Deno.test("SymbolWindows: one trade stamped a minute ahead does not close the live minute (finding 4 of issue 8)", () => {
  const now = 1_700_000_010_000; // 10 s into the minute starting 1_700_000_000_000
  const t = (timestamp: number, offset: number) => ({
    price: 10,
    volume: 1,
    timestamp,
    partition: 0,
    offset,
  });
  const capped = new SymbolWindows({
    symbol: "AAPL",
    allowedLatenessMs: 5_000,
    maxAheadMs: 10_000,
  });
  const uncapped = new SymbolWindows({
    symbol: "AAPL",
    allowedLatenessMs: 5_000,
  });
  for (const w of [capped, uncapped]) {
    w.add(t(now - 1_000, 0), now);
    w.add(t(now + 60_000, 1), now); // the outlier
  }
  // Without the cap the live minute is closed by the outlier's watermark and
  // every later trade of it is late; with it they still count.
  assert.equal(uncapped.add(t(now + 500, 2), now), "late");
  assert.equal(capped.add(t(now + 500, 2), now), "accepted");
  assert.deepEqual(capped.closeDue(Number.NEGATIVE_INFINITY), []);
  const [live] = capped.provisional();
  assert.equal(live.tradeCount, 2);
});
