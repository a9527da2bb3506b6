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
