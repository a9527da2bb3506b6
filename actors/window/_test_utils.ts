/**
 * A slow but obviously exact reference for summing doubles, for tests: every
 * double is an integer multiple of 2^-SCALE (for the magnitudes prices and
 * volumes have), so the sum is exact in BigInt and rounded once by Number().
 *
 * @module
 */

const SCALE = 300;

function scaled(x: number): bigint {
  if (x === 0) return 0n;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & 0xfffffffffffffn;
  let exponent = -1074;
  if (biased !== 0) {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  const shift = exponent + SCALE;
  if (shift < 0) {
    throw new RangeError(`${x} is too small for the reference sum`);
  }
  const v = mantissa << BigInt(shift);
  return negative ? -v : v;
}

/**
 * The exact sum of `values` rounded once to the nearest double.
 *
 * @example
 * ```ts
 * import { referenceSum } from "./_test_utils.ts";
 * console.assert(referenceSum([0.1, 0.2, 0.3]) === 0.6);
 * ```
 */
export function referenceSum(values: readonly number[]): number {
  let total = 0n;
  for (const v of values) total += scaled(v);
  // Number(bigint) rounds to nearest, ties to even; dividing by 2^SCALE is exact.
  return Number(total) / 2 ** SCALE;
}
