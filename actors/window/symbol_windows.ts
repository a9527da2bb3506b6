/**
 * Event-time tumbling windows of one symbol: holds the trades of open
 * windows, decides which trades are late, and finalizes windows by watermark
 * or, when the symbol goes quiet, by wall clock. Pure logic: no timers, no I/O.
 *
 * @module
 */

import type { Candle } from "../trade/types.ts";
import {
  CandleAccumulator,
  MINUTE_MS,
  windowStartOf,
  type WindowTrade,
} from "./candle.ts";

/** Options of {@linkcode SymbolWindows}. */
export interface SymbolWindowsOptions {
  symbol: string;
  /** Window size in ms, a positive integer. Default 60 000. */
  sizeMs?: number;
  /** How far event time may go back: watermark = max timestamp seen - this. Default 5 000. */
  allowedLatenessMs?: number;
  /** Extra wall-clock wait before a quiet symbol's window is closed. Default 2 000. */
  graceMs?: number;
  /**
   * How far ahead of the wall clock (the `nowMs` given to {@linkcode SymbolWindows.add})
   * one trade may move event time. Default `Infinity` (no cap).
   */
  maxAheadMs?: number;
}

/**
 * What {@linkcode SymbolWindows.add} did with a trade. Each Kafka record must
 * be offered once: the partition actor drops re-reads by offset.
 */
export type AddResult = "accepted" | "late";

/** Thrown for window options that cannot work. */
export class WindowOptionsError extends Error {
  override name = "WindowOptionsError";
  constructor(problem: string) {
    super(`invalid SymbolWindows options: ${problem}`);
  }
}

/** Thrown by {@linkcode SymbolWindows.add} for a trade whose timestamp is not a finite integer. */
export class InvalidWindowTradeError extends Error {
  override name = "InvalidWindowTradeError";
  constructor(symbol: string, timestamp: unknown) {
    super(
      `trade of ${symbol} has timestamp ${
        String(timestamp)
      }, not an integer of epoch ms: ` +
        `only add trades that passed validateTrade/decodeTrade`,
    );
  }
}

interface OpenWindow {
  acc: CandleAccumulator;
  /** Smallest offset held per partition: what a commit must not pass. */
  minOffset: Map<number, number>;
  /** Largest offset held (any partition): what must be durable before the store has the window. */
  maxOffset: number;
}

/**
 * The windows of one symbol.
 *
 * Rules (all a test oracle replays):
 * - watermark = (max timestamp of accepted trades) - allowedLatenessMs;
 * - a window `[start, end)` is finalized once `end <= watermark`, or once
 *   {@linkcode closeDue} closed it or any later window (wall-clock close of a
 *   quiet symbol: `end + allowedLatenessMs + graceMs <= nowMs`);
 * - a trade for a finalized window is `"late"` and changes nothing, not even
 *   the watermark.
 *
 * Open windows keep running totals, not trades, and only a high-water mark
 * of finalized windows is kept: memory does not grow with the trade rate.
 *
 * @example
 * ```ts
 * import { SymbolWindows } from "./symbol_windows.ts";
 * const w = new SymbolWindows({ symbol: "AAPL", allowedLatenessMs: 5_000 });
 * w.add({ price: 10, volume: 1, timestamp: 1_000, partition: 0, offset: 0 });
 * w.add({ price: 11, volume: 1, timestamp: 66_000, partition: 0, offset: 1 });
 * const [candle] = w.closeDue(66_001);
 * console.assert(candle.windowStart === 0 && candle.close === 10);
 * console.assert(w.add({ price: 9, volume: 1, timestamp: 2_000, partition: 0, offset: 2 }) === "late");
 * ```
 */
export class SymbolWindows {
  readonly symbol: string;
  readonly sizeMs: number;
  readonly allowedLatenessMs: number;
  readonly graceMs: number;
  readonly maxAheadMs: number;
  readonly #open = new Map<number, OpenWindow>();
  #maxTimestamp = -Infinity;
  #finalizedThrough = -Infinity;

  constructor(options: SymbolWindowsOptions) {
    const {
      symbol,
      sizeMs = MINUTE_MS,
      allowedLatenessMs = 5_000,
      graceMs = 2_000,
      maxAheadMs = Infinity,
    } = options;
    if (!Number.isSafeInteger(sizeMs) || sizeMs <= 0) {
      throw new WindowOptionsError(
        `sizeMs must be a positive integer, got ${sizeMs}`,
      );
    }
    if (!Number.isFinite(allowedLatenessMs) || allowedLatenessMs < 0) {
      throw new WindowOptionsError(
        `allowedLatenessMs must be a finite number >= 0, got ${allowedLatenessMs}`,
      );
    }
    if (!Number.isFinite(graceMs) || graceMs < 0) {
      throw new WindowOptionsError(
        `graceMs must be a finite number >= 0, got ${graceMs}`,
      );
    }
    if (!(maxAheadMs >= 0)) {
      throw new WindowOptionsError(
        `maxAheadMs must be a number >= 0, got ${maxAheadMs}`,
      );
    }
    this.symbol = symbol;
    this.maxAheadMs = maxAheadMs;
    this.sizeMs = sizeMs;
    this.allowedLatenessMs = allowedLatenessMs;
    this.graceMs = graceMs;
  }

  /**
   * Offers one trade. Trades of one window may arrive in any order. With
   * `nowMs`, the trade moves event time at most to `nowMs + maxAheadMs`: one
   * trade stamped in the future cannot close the live minute early (which
   * would make every later trade of it late).
   *
   * @throws {InvalidWindowTradeError} when `t.timestamp` is not a safe integer.
   */
  add(t: WindowTrade, nowMs?: number): AddResult {
    if (!Number.isSafeInteger(t.timestamp)) {
      throw new InvalidWindowTradeError(this.symbol, t.timestamp);
    }
    const start = windowStartOf(t.timestamp, this.sizeMs);
    if (this.isFinalized(start)) return "late";
    let w = this.#open.get(start);
    if (w === undefined) {
      w = {
        acc: new CandleAccumulator(),
        minOffset: new Map(),
        maxOffset: -Infinity,
      };
      this.#open.set(start, w);
    }
    w.acc.add(t);
    if (t.offset > w.maxOffset) w.maxOffset = t.offset;
    const min = w.minOffset.get(t.partition);
    if (min === undefined || t.offset < min) {
      w.minOffset.set(t.partition, t.offset);
    }
    const eventTime = nowMs === undefined
      ? t.timestamp
      : Math.min(t.timestamp, nowMs + this.maxAheadMs);
    if (eventTime > this.#maxTimestamp) this.#maxTimestamp = eventTime;
    return "accepted";
  }

  /**
   * Finalizes every open window that is due by watermark, or by wall clock
   * (`end + allowedLatenessMs + graceMs <= nowMs`), forgets its trades and
   * returns the final candles in window order.
   */
  closeDue(nowMs: number): Candle[] {
    const watermark = this.watermark();
    const idleLimit = nowMs - this.allowedLatenessMs - this.graceMs;
    const candles: Candle[] = [];
    for (const start of this.openWindowStarts()) {
      const end = start + this.sizeMs;
      // Both conditions hold for a prefix of the sorted starts, so stop at the first miss.
      if (end > watermark && end > idleLimit) break;
      candles.push(this.#candleOf(start));
      this.#open.delete(start);
      this.#finalizedThrough = start;
    }
    return candles;
  }

  /** Current candles of the open windows, in window order; they may still change. */
  provisional(): Candle[] {
    return this.openWindowStarts().map((start) => this.#candleOf(start));
  }

  /** Starts of the windows holding trades, ascending. */
  openWindowStarts(): number[] {
    return [...this.#open.keys()].sort((a, b) => a - b);
  }

  /**
   * Smallest Kafka offset of any trade held in an open window (of `partition`
   * only, when given), or `undefined` when none: committing past it would lose
   * a trade an open window still needs if the consumer restarted.
   */
  minOpenOffset(partition?: number): number | undefined {
    let min: number | undefined;
    for (const w of this.#open.values()) {
      for (const [p, offset] of w.minOffset) {
        if (partition !== undefined && p !== partition) continue;
        if (min === undefined || offset < min) min = offset;
      }
    }
    return min;
  }

  /** Smallest Kafka offset held by the open window starting at `windowStart`, if open. */
  minOffsetOf(windowStart: number): number | undefined {
    const w = this.#open.get(windowStart);
    if (!w) return undefined;
    let min: number | undefined;
    for (const offset of w.minOffset.values()) {
      if (min === undefined || offset < min) min = offset;
    }
    return min;
  }

  /** Largest Kafka offset held by the open window starting at `windowStart`, if open. */
  maxOffsetOf(windowStart: number): number | undefined {
    return this.#open.get(windowStart)?.maxOffset;
  }

  /** True when no window is open. */
  isEmpty(): boolean {
    return this.#open.size === 0;
  }

  /** Max accepted timestamp - allowedLatenessMs; `-Infinity` before the first trade. */
  watermark(): number {
    return this.#maxTimestamp - this.allowedLatenessMs;
  }

  /** Start of the latest window finalized by {@linkcode closeDue}, if any. */
  finalizedThrough(): number | undefined {
    return this.#finalizedThrough === -Infinity
      ? undefined
      : this.#finalizedThrough;
  }

  /** True when a trade for the window starting at `windowStart` would be late. */
  isFinalized(windowStart: number): boolean {
    return windowStart <= this.#finalizedThrough ||
      windowStart + this.sizeMs <= this.watermark();
  }

  #candleOf(start: number): Candle {
    // Only called for open windows, which hold at least one trade.
    return this.#open.get(start)!.acc.candle(this.symbol, start, this.sizeMs);
  }
}
