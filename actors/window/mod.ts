/**
 * Exact 1-minute OHLCV windows: the candle arithmetic and the per-symbol
 * window state machine. Pure logic; the window actor wraps it.
 *
 * @example
 * ```ts
 * import { SymbolWindows } from "./mod.ts";
 * const w = new SymbolWindows({ symbol: "AAPL" });
 * w.add({ price: 10, volume: 2, timestamp: 1_000, partition: 0, offset: 7 });
 * console.assert(w.minOpenOffset() === 7);
 * console.assert(w.closeDue(60_000 + 5_000 + 2_000)[0].vwap === 10);
 * ```
 *
 * @module
 */

export type { Candle } from "../trade/types.ts";
export {
  CandleAccumulator,
  compareWindowTrades,
  computeCandle,
  EmptyWindowError,
  MINUTE_MS,
  TradeOutsideWindowError,
  windowStartOf,
  type WindowTrade,
} from "./candle.ts";
export { ExactSum } from "./exact_sum.ts";
export {
  type AddResult,
  InvalidWindowTradeError,
  SymbolWindows,
  type SymbolWindowsOptions,
  WindowOptionsError,
} from "./symbol_windows.ts";
