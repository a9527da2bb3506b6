/**
 * Shared shapes of the pipeline's data: a validated trade, its Kafka record,
 * a dead-letter record and a 1-minute candle.
 *
 * @module
 */

/** A trade that passed validation, enriched with the time Tickline received it. */
export interface Trade {
  /** Finnhub symbol, e.g. `AAPL` or `BINANCE:BTCUSDT`. */
  symbol: string;
  /** Trade price; always > 0. */
  price: number;
  /** Traded volume; > 0 (or 0 when zero-volume price updates are allowed). */
  volume: number;
  /** Exchange time in UNIX milliseconds. */
  timestamp: number;
  /** Condition codes; empty when the feed sent none. */
  conditions: string[];
  /** When Tickline received the frame, UNIX milliseconds. */
  ingestedAt: number;
}

/** A trade as read back from Kafka: where it sits in the log identifies it. */
export interface LoggedTrade extends Trade {
  partition: number;
  /** Kafka offset; a JS number is exact up to 2^53, far beyond any partition's life. */
  offset: number;
}

/**
 * Why an input was rejected; a closed set so metrics stay bounded. The first
 * group is about whole feed frames (and Kafka records), the rest about one
 * trade.
 */
export type RejectReason =
  /** A frame (or record) that is not JSON. */
  | "invalid_json"
  /** JSON, but not a frame of the protocol (not an object, `data` not an array). */
  | "invalid_frame"
  /** A binary WebSocket frame; Finnhub sends text only. */
  | "binary_frame"
  /** A JSON object whose `type` the protocol does not know. */
  | "unknown_type"
  /** A frame or record larger than the configured bound; its start is kept. */
  | "too_large"
  | "not_an_object"
  | "missing_symbol"
  | "invalid_symbol"
  | "missing_price"
  | "invalid_price"
  | "non_positive_price"
  | "missing_volume"
  | "invalid_volume"
  | "non_positive_volume"
  | "missing_time"
  | "invalid_time"
  | "implausible_time"
  /** Trade time further ahead of its receipt than `MAX_FUTURE_SKEW_MS`. */
  | "future_time"
  /** Price above the plausible bound (see validate.ts). */
  | "implausible_price"
  /** Volume above the plausible bound (see validate.ts). */
  | "implausible_volume"
  | "invalid_conditions";

/** A rejected input as written to the `trades.dlq` topic. */
export interface DeadLetter {
  /**
   * The raw trade object (or frame text) as received. The ingest stores it
   * as JSON text cut to `DLQ_MAX_RAW_CHARS` (then `truncated` is true), so a
   * letter is always small and serialisable.
   */
  raw: unknown;
  /** True when `raw` was cut short. */
  truncated?: boolean;
  reason: RejectReason;
  /** Human-readable explanation, e.g. "p must be > 0, got -1". */
  detail: string;
  receivedAt: number;
}

/** Exact OHLCV of one symbol's trades in `[windowStart, windowEnd)`. */
export interface Candle {
  symbol: string;
  windowStart: number;
  windowEnd: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  tradeCount: number;
  vwap: number;
  /**
   * Trades and zero-volume updates the candle was built from. Not stored:
   * it orders racing writes of the same row (see the candle store).
   */
  updates?: number;
}
