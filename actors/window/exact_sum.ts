/**
 * Exact, order-independent summation of doubles (Shewchuk's algorithm, as in
 * Python's `math.fsum`): the result is the true sum of the inputs rounded
 * once to the nearest double. A window can therefore keep a running total
 * instead of every trade, and any arrival order, a replay, or a recompute
 * from stored trades gives a bit-identical volume and VWAP.
 *
 * @module
 */

/**
 * A running exact sum. Memory is a handful of doubles (the non-overlapping
 * partials), whatever the number of inputs.
 *
 * @example
 * ```ts
 * import { ExactSum } from "./exact_sum.ts";
 * const s = new ExactSum();
 * for (const x of [0.1, 0.2, 0.3]) s.add(x);
 * console.assert(s.value() === 0.6); // plain addition gives 0.6000000000000001
 * ```
 */
export class ExactSum {
  #partials: number[] = [];

  /** Adds one finite double. */
  add(value: number): void {
    const p = this.#partials;
    let x = value;
    let i = 0;
    for (let j = 0; j < p.length; j++) {
      let y = p[j];
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) p[i++] = lo;
      x = hi;
    }
    p.length = i;
    p.push(x);
  }

  /** The sum of everything added, correctly rounded (ties to even). */
  value(): number {
    const p = this.#partials;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n];
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n];
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    // The partials below decide a tie: round half to even the way the exact sum would.
    if (n > 0 && ((lo < 0 && p[n - 1] < 0) || (lo > 0 && p[n - 1] > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }
}
