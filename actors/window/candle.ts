/**
 * Exact OHLCV of one symbol's trades in one window, computed so that the same
 * set of trades always gives a bit-identical candle, whatever order they
 * arrived in, incrementally and in constant memory.
 *
 * @module
 */

import type { Candle } from "../trade/types.ts";
import { ExactSum } from "./exact_sum.ts";

/** Default window size: one minute. */
export const MINUTE_MS = 60_000;

/** What a window needs of a trade: its numbers and its place in the Kafka log. */
export interface WindowTrade {
  price: number;
  volume: number;
  /** Exchange time, UNIX milliseconds. */
  timestamp: number;
  /** Kafka partition of the record. */
  partition: number;
  /** Kafka offset of the record. */
  offset: number;
}

/** Thrown by {@linkcode computeCandle} when given no trades: a window without trades has no candle. */
export class EmptyWindowError extends Error {
  override name = "EmptyWindowError";
  constructor(symbol: string, windowStart: number) {
    super(
      `no trades for ${symbol} in the window starting at ${windowStart}: only call ` +
        `computeCandle for windows that hold at least one trade`,
    );
  }
}

/** Thrown by {@linkcode computeCandle} when a trade lies outside the window. */
export class TradeOutsideWindowError extends Error {
  override name = "TradeOutsideWindowError";
  constructor(
    symbol: string,
    windowStart: number,
    sizeMs: number,
    timestamp: number,
  ) {
    super(
      `trade of ${symbol} at ${timestamp} is outside the window [${windowStart}, ` +
        `${
          windowStart + sizeMs
        }): group trades by windowStartOf(timestamp, ${sizeMs}) first`,
    );
  }
}

/**
 * Start of the window holding `ts`: `ts` floored to a multiple of `sizeMs`.
 * Exact whenever the result is a safe integer, negative `ts` included (`%` on
 * doubles is exact, unlike `Math.floor(ts / sizeMs)`). `sizeMs` must be a
 * positive integer.
 *
 * @example
 * ```ts
 * import { windowStartOf } from "./candle.ts";
 * console.assert(windowStartOf(1_700_000_059_999) === 1_700_000_040_000);
 * console.assert(windowStartOf(120_000) === 120_000);
 * ```
 */
export function windowStartOf(ts: number, sizeMs: number = MINUTE_MS): number {
  const r = ts % sizeMs;
  // `r + 0` turns the -0 of an exact negative multiple into 0.
  return ts - (r < 0 ? r + sizeMs : r + 0);
}

/**
 * The canonical order of trades in a window: exchange time, then position in
 * the Kafka log. Price and volume only break ties between identical log
 * positions (a record read twice), so the order is total.
 *
 * @example
 * ```ts
 * import { compareWindowTrades } from "./candle.ts";
 * const a = { price: 1, volume: 1, timestamp: 5, partition: 0, offset: 9 };
 * const b = { price: 2, volume: 1, timestamp: 5, partition: 0, offset: 10 };
 * console.assert(compareWindowTrades(a, b) < 0);
 * ```
 */
export function compareWindowTrades(a: WindowTrade, b: WindowTrade): number {
  return a.timestamp - b.timestamp || a.partition - b.partition ||
    a.offset - b.offset ||
    a.price - b.price || a.volume - b.volume;
}

/**
 * Running OHLCV of one window: constant memory whatever the trade count.
 * Open and close are the first and last trade in canonical order; volume
 * and notional are exact sums, so the result does not depend on the order
 * trades were added in.
 *
 * @example
 * ```ts
 * import { CandleAccumulator } from "./candle.ts";
 * const acc = new CandleAccumulator();
 * acc.add({ price: 10, volume: 1, timestamp: 30_000, partition: 0, offset: 2 });
 * acc.add({ price: 12, volume: 3, timestamp: 10_000, partition: 0, offset: 1 });
 * console.assert(acc.candle("AAPL", 0, 60_000).open === 12);
 * ```
 */
export class CandleAccumulator {
  /**
   * Trades with volume > 0. A zero-volume price update (accepted only with
   * `ALLOW_ZERO_VOLUME`) moves open, high, low and close but is not a trade:
   * it adds nothing to `tradeCount`, volume or VWAP.
   */
  count = 0;
  /** Everything added, zero-volume updates included. */
  updates = 0;
  #first?: WindowTrade;
  #last?: WindowTrade;
  #high = -Infinity;
  #low = Infinity;
  #volume = new ExactSum();
  #notional = new ExactSum();

  /** Adds one trade. */
  add(t: WindowTrade): void {
    if (t.volume !== 0) this.count++;
    this.updates++;
    if (this.#first === undefined || compareWindowTrades(t, this.#first) < 0) {
      this.#first = t;
    }
    if (this.#last === undefined || compareWindowTrades(t, this.#last) > 0) {
      this.#last = t;
    }
    if (t.price > this.#high) this.#high = t.price;
    if (t.price < this.#low) this.#low = t.price;
    this.#volume.add(t.volume);
    this.#notional.add(t.price * t.volume);
  }

  /** The candle so far; needs at least one trade. */
  candle(symbol: string, windowStart: number, sizeMs: number): Candle {
    if (this.#first === undefined || this.#last === undefined) {
      throw new EmptyWindowError(symbol, windowStart);
    }
    const volume = this.#volume.value();
    const close = this.#last.price;
    return {
      symbol,
      windowStart,
      windowEnd: windowStart + sizeMs,
      open: this.#first.price,
      high: this.#high,
      low: this.#low,
      close,
      volume,
      tradeCount: this.count,
      vwap: volume === 0 ? close : this.#notional.value() / volume,
      updates: this.updates,
    };
  }
}

/**
 * Computes the candle of `trades`, which must all lie in
 * `[windowStart, windowStart + sizeMs)`.
 *
 * Open and close follow the canonical order of {@linkcode compareWindowTrades};
 * volume and VWAP use exact sums. A live candle and one recomputed from the
 * trades stored in Cassandra are therefore bit-identical. Zero-volume price
 * updates (only accepted with `ALLOW_ZERO_VOLUME`) set open, high, low and
 * close but are not counted in `tradeCount`; they carry no weight in VWAP.
 * When the total volume is 0, `vwap` is the close price.
 *
 * @throws {EmptyWindowError} when `trades` is empty.
 * @throws {TradeOutsideWindowError} when a trade lies outside the window.
 * @example
 * ```ts
 * import { computeCandle } from "./candle.ts";
 * const c = computeCandle("AAPL", 0, [
 *   { price: 10, volume: 1, timestamp: 30_000, partition: 0, offset: 2 },
 *   { price: 12, volume: 3, timestamp: 10_000, partition: 0, offset: 1 },
 * ]);
 * console.assert(c.open === 12 && c.close === 10 && c.volume === 4 && c.vwap === 11.5);
 * ```
 */
export function computeCandle(
  symbol: string,
  windowStart: number,
  trades: readonly WindowTrade[],
  sizeMs: number = MINUTE_MS,
): Candle {
  if (trades.length === 0) throw new EmptyWindowError(symbol, windowStart);
  const windowEnd = windowStart + sizeMs;
  const acc = new CandleAccumulator();
  for (const t of trades) {
    if (!(t.timestamp >= windowStart && t.timestamp < windowEnd)) {
      throw new TradeOutsideWindowError(
        symbol,
        windowStart,
        sizeMs,
        t.timestamp,
      );
    }
    acc.add(t);
  }
  return acc.candle(symbol, windowStart, sizeMs);
}
