/**
 * CQL values of the trades insert, encoded here rather than by the driver.
 * cassandra-driver sends a `Buffer` parameter as it is, so a value shared by
 * many rows (a partition key part, a repeated conditions list, an hour) is
 * encoded once and the same bytes serve every row, and the others skip the
 * `Date` and `Long` objects the driver's path needs. At 30,000 trades/s the
 * driver's encoding was a tenth of the app's CPU profile, its conditions
 * lists (a `Buffer.concat` each) four points of it. A test holds every
 * function here to the driver's own `Encoder`, byte for byte.
 *
 * @module
 */
import { Buffer } from "node:buffer";

const TWO_32 = 4_294_967_296;

/**
 * A CQL `int`.
 *
 * @example
 * ```ts
 * import { cqlInt } from "./cql_values.ts";
 * console.assert(cqlInt(-1).toString("hex") === "ffffffff");
 * ```
 */
export function cqlInt(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(n, 0);
  return b;
}

/**
 * A CQL `bigint` from a safe integer.
 *
 * @example
 * ```ts
 * import { cqlBigint } from "./cql_values.ts";
 * console.assert(cqlBigint(2 ** 32 + 1).toString("hex") === "0000000100000001");
 * ```
 */
export function cqlBigint(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  // Two words: no BigInt or Long per value. floor keeps negatives right.
  const high = Math.floor(n / TWO_32);
  b.writeInt32BE(high, 0);
  b.writeUInt32BE(n - high * TWO_32, 4);
  return b;
}

/**
 * A CQL `timestamp` from ms since the epoch, truncated toward zero as
 * `new Date(ms)` does (a record may carry a fractional `ingestedAt`).
 *
 * @example
 * ```ts
 * import { cqlBigint, cqlTimestamp } from "./cql_values.ts";
 * console.assert(cqlTimestamp(1.9).equals(cqlBigint(1)));
 * ```
 */
export function cqlTimestamp(ms: number): Buffer {
  return cqlBigint(Math.trunc(ms));
}

/**
 * A CQL `text`.
 *
 * @example
 * ```ts
 * import { cqlText } from "./cql_values.ts";
 * console.assert(cqlText("AAPL").length === 4);
 * ```
 */
export function cqlText(s: string): Buffer {
  return Buffer.from(s, "utf8");
}

/**
 * A CQL `list<text>` (protocol v3 and later: 4-byte counts and lengths);
 * `null` when empty, as the driver sends an empty list.
 *
 * @example
 * ```ts
 * import { cqlTextList } from "./cql_values.ts";
 * console.assert(cqlTextList([]) === null);
 * console.assert(cqlTextList(["1"])!.length === 9);
 * ```
 */
export function cqlTextList(items: readonly string[]): Buffer | null {
  if (items.length === 0) return null;
  const encoded = items.map(cqlText);
  let size = 4;
  for (const e of encoded) size += 4 + e.length;
  const b = Buffer.allocUnsafe(size);
  b.writeInt32BE(items.length, 0);
  let at = 4;
  for (const e of encoded) {
    b.writeInt32BE(e.length, at);
    e.copy(b, at + 4);
    at += 4 + e.length;
  }
  return b;
}

/** The 24 hours of a day as CQL ints: every row of an hour shares one. */
export const CQL_HOURS: readonly Buffer[] = Array.from(
  { length: 24 },
  (_, h) => cqlInt(h),
);

/**
 * Encodings of conditions lists, each made once: a market uses few distinct
 * lists. Bounded: past `maxEntries` distinct lists it starts afresh.
 *
 * @example
 * ```ts
 * import { ConditionsEncodings } from "./cql_values.ts";
 * const lists = new ConditionsEncodings();
 * console.assert(lists.of(["1", "12"]) === lists.of(["1", "12"]));
 * ```
 */
export class ConditionsEncodings {
  readonly #encoded = new Map<string, Buffer | null>();

  constructor(private readonly maxEntries = 1_024) {}

  /** The list's encoding, made once per distinct list. */
  of(conditions: readonly string[]): Buffer | null {
    if (conditions.length === 0) return null;
    // U+0000 separates the key's codes; validated codes never hold it.
    if (conditions.some((c) => c.includes("\u0000"))) {
      return cqlTextList(conditions);
    }
    const key = conditions.join("\u0000");
    let encoded = this.#encoded.get(key);
    if (encoded === undefined) {
      if (this.#encoded.size >= this.maxEntries) this.#encoded.clear();
      encoded = cqlTextList(conditions);
      this.#encoded.set(key, encoded);
    }
    return encoded;
  }
}
