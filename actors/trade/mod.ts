/**
 * Trade ingestion: classify Finnhub frames, validate and enrich trades, and
 * encode/decode them as Kafka records.
 *
 * @example
 * ```ts
 * import { decodeTrade, encodeTrade, parseFeedMessage, validateTrade } from "./mod.ts";
 * const msg = parseFeedMessage('{"type":"trade","data":[{"s":"AAPL","p":1.5,"t":1700000000000,"v":3}]}');
 * if (msg.kind === "trades") {
 *   const r = validateTrade(msg.data[0], { receivedAt: 1700000000005 });
 *   if (r.ok) console.assert(decodeTrade(encodeTrade(r.trade)).symbol === "AAPL");
 * }
 * ```
 *
 * @module
 */

export type { DeadLetter, LoggedTrade, RejectReason, Trade } from "./types.ts";
export {
  countTradesUnparsed,
  type FeedErrorKind,
  type FeedMessage,
  parseFeedMessage,
} from "./feed_message.ts";
export {
  DEFAULT_MAX_FUTURE_SKEW_MS,
  DEFAULT_MIN_TIMESTAMP_MS,
  MAX_PRICE,
  MAX_VOLUME,
  toDeadLetter,
  type ValidateContext,
  validateTrade,
  type ValidationResult,
} from "./validate.ts";
export {
  decodeTrade,
  encodeTrade,
  TradeDecodeError,
  TradeEncodeError,
  tradeRecordSchema,
} from "./codec.ts";
export {
  boundedDeadLetter,
  boundedJson,
  type BoundedText,
  DEFAULT_MAX_RAW_CHARS,
} from "./dead_letter.ts";
