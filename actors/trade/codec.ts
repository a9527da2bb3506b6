/**
 * Kafka record codec of {@linkcode Trade}: compact JSON with the field names
 * of `Trade`, so a record read with any Kafka tool is self-describing.
 *
 * Decoding validates again because a topic may hold anything (old producers,
 * manual writes). The checks are hand-written for speed on the hot path; only
 * a record that fails them goes through the zod schema, to explain why. A test
 * checks that both agree on random inputs.
 *
 * @module
 */

import { z } from "zod";
import type { RejectReason, Trade } from "./types.ts";
import {
  isConditions,
  isPrice,
  isSymbol,
  isTimestamp,
  isVolume,
} from "./fields.ts";
import { tradeFieldSchemas, validateTrade } from "./validate.ts";

/**
 * Thrown by {@linkcode decodeTrade} for a record that is not a valid trade.
 * `reason` says which rule it broke, so the consumer side can label the
 * dead letter (`invalid_json`, `not_an_object`, `invalid_price`, ...).
 */
export class TradeDecodeError extends Error {
  override name = "TradeDecodeError";
  /** The start of the offending record, for logs and the dead-letter topic. */
  readonly record: string;
  /** The specific reject reason, as used by the ingest's validation. */
  readonly reason: RejectReason;
  constructor(problem: string, record: string, reason: RejectReason) {
    super(
      `Kafka record is not a valid trade (${reason}): ${problem}. Skip it (send ` +
        `it to the dead-letter topic) rather than retrying: the record will not change.`,
    );
    this.record = record.length > 200 ? `${record.slice(0, 200)}...` : record;
    this.reason = reason;
  }
}

/** Thrown by {@linkcode encodeTrade} for a trade whose numbers JSON cannot carry. */
export class TradeEncodeError extends Error {
  override name = "TradeEncodeError";
  constructor(problem: string) {
    super(
      `cannot encode trade: ${problem}. Only trades returned by validateTrade ` +
        `(or decodeTrade) should be produced to Kafka.`,
    );
  }
}

/** Zod schema of a Kafka trade record; decoding applies exactly these rules. */
export const tradeRecordSchema = z.object({
  symbol: tradeFieldSchemas.symbol,
  price: tradeFieldSchemas.price,
  volume: tradeFieldSchemas.volumeOrZero,
  timestamp: tradeFieldSchemas.timestamp,
  conditions: tradeFieldSchemas.conditions,
  ingestedAt: z.number().nonnegative(),
});

/**
 * Encodes a trade as one compact JSON record value.
 *
 * @example
 * ```ts
 * import { encodeTrade } from "./codec.ts";
 * const value = encodeTrade({ symbol: "AAPL", price: 1.5, volume: 10, timestamp: 1700000000000, conditions: [], ingestedAt: 1700000000001 });
 * console.assert(value.startsWith('{"symbol":"AAPL"'));
 * ```
 */
export function encodeTrade(trade: Trade): string {
  const { symbol, price, volume, timestamp, conditions, ingestedAt } = trade;
  // String(n) equals JSON for finite numbers, but would write NaN/Infinity verbatim.
  if (
    !Number.isFinite(price) || !Number.isFinite(volume) ||
    !Number.isFinite(timestamp) ||
    !Number.isFinite(ingestedAt)
  ) {
    throw new TradeEncodeError(
      `price, volume, timestamp and ingestedAt must be finite, got ` +
        `${price}, ${volume}, ${timestamp}, ${ingestedAt}`,
    );
  }
  // V8's serializer on a fresh object of fixed shape is the fastest route,
  // and finite numbers print as String(n) does.
  return JSON.stringify({
    symbol,
    price,
    volume,
    timestamp,
    conditions,
    ingestedAt,
  });
}

// Not `fatal`: that costs 3x on every record, and invalid bytes become U+FFFD,
// which no accepted field can hold (symbols and condition codes are ASCII), so
// a corrupt record is still refused below.
const utf8 = new TextDecoder();

/**
 * Decodes and validates one Kafka record value.
 *
 * @throws {TradeDecodeError} when the value is not JSON of a valid trade.
 * @example
 * ```ts
 * import { decodeTrade, encodeTrade } from "./codec.ts";
 * const t = { symbol: "AAPL", price: 1.5, volume: 10, timestamp: 1700000000000, conditions: ["1"], ingestedAt: 1700000000001 };
 * console.assert(decodeTrade(encodeTrade(t)).price === 1.5);
 * ```
 */
export function decodeTrade(value: string | Uint8Array): Trade {
  const text = typeof value === "string" ? value : utf8.decode(value);
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (err) {
    throw new TradeDecodeError(
      `value is not JSON (${err instanceof Error ? err.message : String(err)})`,
      text,
      "invalid_json",
    );
  }
  if (isTradeRecord(o)) {
    return {
      symbol: o.symbol,
      price: o.price,
      volume: o.volume === 0 ? 0 : o.volume,
      timestamp: o.timestamp,
      conditions: o.conditions,
      ingestedAt: o.ingestedAt === 0 ? 0 : o.ingestedAt,
    };
  }
  throw new TradeDecodeError(explain(o), text, reasonOf(o));
}

/**
 * The reject reason of a record the fast path refused: the ingest's own
 * validation on the record's fields (with no time bounds, which only apply
 * on receipt), then the record-only field `ingestedAt`.
 */
function reasonOf(o: unknown): RejectReason {
  if (typeof o !== "object" || o === null || Array.isArray(o)) {
    return "not_an_object";
  }
  const r = o as Record<string, unknown>;
  const checked = validateTrade(
    { s: r.symbol, p: r.price, t: r.timestamp, v: r.volume, c: r.conditions },
    {
      receivedAt: 0,
      allowZeroVolume: true,
      minTimestampMs: -Infinity,
      maxFutureSkewMs: Infinity,
    },
  );
  if (!checked.ok) return checked.reason;
  // validateTrade takes a null or missing `c`; a record must hold an array.
  if (!Array.isArray(r.conditions)) return "invalid_conditions";
  return "invalid_time"; // only ingestedAt is left
}

/**
 * The fast path of decoding: true iff `tradeRecordSchema` would accept `o`.
 * Exported for the agreement test only.
 */
export function isTradeRecord(o: unknown): o is Trade {
  if (typeof o !== "object" || o === null || Array.isArray(o)) return false;
  const r = o as Record<string, unknown>;
  const { ingestedAt } = r;
  return isSymbol(r.symbol) && isPrice(r.price) && isVolume(r.volume, true) &&
    isTimestamp(r.timestamp) && typeof ingestedAt === "number" &&
    ingestedAt >= 0 && ingestedAt !== Infinity && isConditions(r.conditions);
}

function explain(o: unknown): string {
  const result = tradeRecordSchema.safeParse(o);
  if (result.success) {
    // Only reachable if the fast path and the schema disagree: a bug here.
    return "record failed the fast checks but passed the schema (codec bug, please report)";
  }
  return result.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join(".") : "record"}: ${i.message}`)
    .join("; ");
}
