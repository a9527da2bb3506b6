/**
 * Classifies one text frame of the Finnhub WebSocket protocol without
 * trusting it: every frame becomes exactly one {@linkcode FeedMessage}.
 *
 * @module
 */

/** Which of Finnhub's known error messages a frame carried. */
export type FeedErrorKind = "invalid_symbol" | "too_many_symbols" | "other";

/** One server frame, classified. The `data` of trades is still unvalidated. */
export type FeedMessage =
  | { kind: "trades"; data: unknown[] }
  | { kind: "ping" }
  | {
    kind: "error";
    msg: string;
    errorKind: FeedErrorKind;
    /** The refused symbol, when `errorKind` is `"invalid_symbol"`. */
    symbol?: string;
  }
  /** A JSON object whose `type` is unknown; `type` is `""` when missing or not a string. */
  | { kind: "unknown"; type: string }
  /**
   * Not a frame of the protocol: `reason` is `invalid_json` for text that is
   * not JSON, `invalid_frame` for JSON that is not a protocol frame.
   */
  | {
    kind: "invalid_json";
    reason: "invalid_json" | "invalid_frame";
    detail: string;
  };

const INVALID_SYMBOL_PREFIX = "Invalid symbol ";
const MAX_DETAIL_CHARS = 120;

/**
 * Parses and classifies one frame. Never throws: garbage becomes
 * `invalid_json` so the caller can count it and move on.
 *
 * @example
 * ```ts
 * import { parseFeedMessage } from "./feed_message.ts";
 * const msg = parseFeedMessage('{"type":"ping"}');
 * console.assert(msg.kind === "ping");
 * ```
 */
export function parseFeedMessage(text: string): FeedMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return {
      kind: "invalid_json",
      reason: "invalid_json",
      detail: `frame is not JSON (${errorText(err)}): ${clip(text)}`,
    };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      kind: "invalid_json",
      reason: "invalid_frame",
      detail: `frame must be a JSON object, got ${
        Array.isArray(value)
          ? "an array"
          : value === null
          ? "null"
          : typeof value
      }`,
    };
  }
  const frame = value as Record<string, unknown>;
  const type = frame.type;
  switch (type) {
    case "trade": {
      const data = frame.data;
      if (!Array.isArray(data)) {
        return {
          kind: "invalid_json",
          reason: "invalid_frame",
          detail: `trade frame must carry a "data" array, got ${
            data === null ? "null" : typeof data
          }`,
        };
      }
      return { kind: "trades", data };
    }
    case "ping":
      return { kind: "ping" };
    case "error":
      return classifyError(frame.msg);
    default:
      return { kind: "unknown", type: typeof type === "string" ? type : "" };
  }
}

const TRADE_FIRST = '{"type":"trade","data":[';
const DATA_FIRST = '{"data":[';
const TRADE_LAST = '],"type":"trade"}';
const SYMBOL_KEY = '"s":';

/**
 * The number of trades in a trade frame, counted without parsing it, or
 * `undefined` for a frame of any other shape (which must be parsed). It
 * counts the `"s":` keys: an unescaped quote only ever bounds a string, so
 * in compact JSON (as Finnhub and the simulated feed write it) that text is
 * exactly a trade's symbol key, and the count is exact for every frame of
 * the protocol; for a malformed one it is an estimate. Scanning is several
 * times cheaper than `JSON.parse`, which is what an ingest shedding load
 * needs: a count of what it drops, without the work it cannot afford.
 *
 * @example
 * ```ts
 * import { countTradesUnparsed } from "./feed_message.ts";
 * const frame = '{"type":"trade","data":[{"s":"AAPL","p":1,"t":2,"v":3},{"s":"MSFT","p":1,"t":2,"v":3}]}';
 * console.assert(countTradesUnparsed(frame) === 2);
 * console.assert(countTradesUnparsed('{"type":"ping"}') === undefined);
 * ```
 */
export function countTradesUnparsed(frame: string): number | undefined {
  const shaped = frame.startsWith(TRADE_FIRST) ||
    (frame.startsWith(DATA_FIRST) && frame.endsWith(TRADE_LAST));
  if (!shaped) return undefined;
  let count = 0;
  for (
    let at = frame.indexOf(SYMBOL_KEY);
    at !== -1;
    at = frame.indexOf(SYMBOL_KEY, at + SYMBOL_KEY.length)
  ) count++;
  return count;
}

function classifyError(rawMsg: unknown): FeedMessage {
  const msg = typeof rawMsg === "string"
    ? rawMsg
    : rawMsg === undefined
    ? ""
    : String(rawMsg);
  if (msg.startsWith(INVALID_SYMBOL_PREFIX)) {
    return {
      kind: "error",
      msg,
      errorKind: "invalid_symbol",
      symbol: msg.slice(INVALID_SYMBOL_PREFIX.length).trim(),
    };
  }
  // Finnhub's wording is "Subscribing to too many symbols"; match loosely in
  // case capitalisation changes.
  if (/too many symbols/i.test(msg)) {
    return { kind: "error", msg, errorKind: "too_many_symbols" };
  }
  return { kind: "error", msg, errorKind: "other" };
}

function clip(text: string): string {
  return text.length > MAX_DETAIL_CHARS
    ? `${text.slice(0, MAX_DETAIL_CHARS)}...`
    : text;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
