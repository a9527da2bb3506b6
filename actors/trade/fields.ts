/**
 * The trade field rules as plain predicates: exactly what the zod schemas in
 * `validate.ts` accept (the agreement tests in `validate_test.ts` and
 * `codec_test.ts` hold them to it), at a fraction of the cost. The hot paths
 * (every trade received, every record consumed) run these; zod runs only to
 * explain a refusal.
 *
 * @module
 */
import {
  CONDITION_PATTERN,
  MAX_CONDITIONS,
  MAX_PRICE,
  MAX_SYMBOL_LENGTH,
  MAX_VOLUME,
  SYMBOL_PATTERN,
} from "./validate.ts";

/**
 * A symbol: 1 to 64 allowed characters, not ending in a space.
 *
 * @example
 * ```ts
 * import { isSymbol } from "./fields.ts";
 * console.assert(isSymbol("BINANCE:BTCUSDT") && !isSymbol("AAPL "));
 * ```
 */
export function isSymbol(s: unknown): s is string {
  return typeof s === "string" && s.length > 0 &&
    s.length <= MAX_SYMBOL_LENGTH && SYMBOL_PATTERN.test(s) &&
    s.charCodeAt(s.length - 1) !== 32;
}

/** A price: finite, > 0 and <= `MAX_PRICE`. */
export function isPrice(p: unknown): p is number {
  return typeof p === "number" && p > 0 && p <= MAX_PRICE;
}

/** A time: a safe integer (epoch ms; plausibility is checked apart). */
export function isTimestamp(t: unknown): t is number {
  return Number.isSafeInteger(t);
}

/** A volume: finite, > 0 (or >= 0 with `allowZero`) and <= `MAX_VOLUME`. */
export function isVolume(v: unknown, allowZero: boolean): v is number {
  return typeof v === "number" && (allowZero ? v >= 0 : v > 0) &&
    v <= MAX_VOLUME;
}

/** Conditions: an array of at most 64 codes of printable ASCII, 16 at most each. */
export function isConditions(c: unknown): c is string[] {
  if (!Array.isArray(c) || c.length > MAX_CONDITIONS) return false;
  for (let i = 0; i < c.length; i++) {
    const x = c[i];
    if (typeof x !== "string" || !CONDITION_PATTERN.test(x)) return false;
  }
  return true;
}
