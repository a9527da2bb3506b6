/**
 * The trade store as the actors see it: idempotent writes of raw trades and
 * candles, and reads of one minute's stored trades. Cassandra is one
 * implementation (see `cassandra_trade_store.ts`).
 *
 * @module
 */
import type { Candle, LoggedTrade } from "../trade/types.ts";

/** A stored trade as needed to rebuild a candle. */
export interface StoredTrade {
  price: number;
  volume: number;
  timestamp: number;
  partition: number;
  offset: number;
}

/** A candle and whether its window is closed. */
export interface CandleRow {
  candle: Candle;
  isFinal: boolean;
}

/** Durable storage for trades and candles; every write is an idempotent upsert. */
export interface TradeStore {
  /** Resolves once every trade is durably written; rows are keyed by Kafka position, so replays rewrite them. */
  writeTrades(trades: readonly LoggedTrade[]): Promise<void>;
  /**
   * Upserts candles. Whatever order writes land in, a final row is never
   * replaced by a provisional one, nor a candle by one built from fewer trades.
   */
  writeCandles(rows: readonly CandleRow[]): Promise<void>;
  /** True when the window's candle is stored as final (write timestamps keep it so). */
  hasFinalCandle(symbol: string, windowStart: number): Promise<boolean>;
  /** Stored trades of `symbol` with `from <= timestamp < to` (within one UTC day). */
  readTrades(symbol: string, from: number, to: number): Promise<StoredTrade[]>;
  close(): Promise<void>;
}
