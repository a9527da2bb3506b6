/**
 * Exact OHLCV of one symbol's trades in one window, computed so that the same
 * set of trades always gives a bit-identical candle, whatever order they
 * arrived in.
 *
 * @module
 */

import type { Candle } from "../trade/types.ts";

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
 * Computes the candle of `trades`, which must all lie in
 * `[windowStart, windowStart + sizeMs)`.
 *
 * Volume and VWAP are summed in the canonical order of
 * {@linkcode compareWindowTrades}: float addition is not associative, and
 * summing in arrival order would make a live candle and one recomputed from
 * Cassandra differ in the last bits. When the total volume is 0 (zero-volume
 * price updates), `vwap` is the close price.
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
  for (const t of trades) {
    if (!(t.timestamp >= windowStart && t.timestamp < windowEnd)) {
      throw new TradeOutsideWindowError(
        symbol,
        windowStart,
        sizeMs,
        t.timestamp,
      );
    }
  }
  const sorted = trades.slice().sort(compareWindowTrades);
  const first = sorted[0];
  let high = first.price;
  let low = first.price;
  let volume = 0;
  let notional = 0;
  for (const t of sorted) {
    if (t.price > high) high = t.price;
    if (t.price < low) low = t.price;
    volume += t.volume;
    notional += t.price * t.volume;
  }
  const close = sorted[sorted.length - 1].price;
  return {
    symbol,
    windowStart,
    windowEnd,
    open: first.price,
    high,
    low,
    close,
    volume,
    tradeCount: sorted.length,
    vwap: volume === 0 ? close : notional / volume,
  };
}
