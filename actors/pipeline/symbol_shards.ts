/**
 * Which ingest shard a symbol belongs to. Every instance must agree without
 * talking, so the hash is fixed (32-bit FNV-1a over UTF-16 code units) and
 * independent of the order symbols are configured in.
 *
 * @module
 */

/**
 * The shard of `symbol` among `shards` (0-based).
 *
 * @example
 * ```ts
 * import { shardOf } from "./symbol_shards.ts";
 * console.assert(shardOf("AAPL", 16) === shardOf("AAPL", 16));
 * console.assert(shardOf("AAPL", 1) === 0);
 * ```
 */
export function shardOf(symbol: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < symbol.length; i++) {
    h ^= symbol.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/**
 * The configured symbols whose shard is among `assigned`, in config order.
 *
 * @example
 * ```ts
 * import { ownedSymbols } from "./symbol_shards.ts";
 * console.assert(ownedSymbols(["AAPL", "MSFT"], 1, [0]).length === 2);
 * console.assert(ownedSymbols(["AAPL", "MSFT"], 1, []).length === 0);
 * ```
 */
export function ownedSymbols(
  symbols: readonly string[],
  shards: number,
  assigned: readonly number[],
): string[] {
  const mine = new Set(assigned);
  return symbols.filter((s) => mine.has(shardOf(s, shards)));
}
