/**
 * Small deterministic pseudo-random numbers for the simulated feed. Not for
 * anything security-related.
 *
 * @module
 */

/** A source of uniform numbers in `[0, 1)`. */
export type Random = () => number;

/**
 * mulberry32: a 32-bit state PRNG, fast and good enough for simulated prices.
 * The same seed always gives the same sequence.
 *
 * @example
 * ```ts
 * import { mulberry32 } from "./prng.ts";
 * const a = mulberry32(42), b = mulberry32(42);
 * console.assert(a() === b());
 * ```
 */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * FNV-1a hash of a string to an unsigned 32-bit integer, so a symbol's
 * starting price depends on its name, not on subscription order.
 *
 * @example
 * ```ts
 * import { hashString } from "./prng.ts";
 * console.assert(hashString("AAPL") === hashString("AAPL"));
 * ```
 */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
