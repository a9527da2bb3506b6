/**
 * Restart back-off: exponential ceilings with full jitter, starting over
 * after a quiet period.
 *
 * @module
 */

import type { BackoffOptions } from "./types.ts";

/**
 * The ceiling of the `attempt`-th delay (0-based): `min(maxMs, minMs * 2^attempt)`.
 *
 * @example
 * ```ts
 * import { backoffCeiling } from "./backoff.ts";
 * const opts = { minMs: 100, maxMs: 1000, resetAfterMs: 5000 };
 * console.assert(backoffCeiling(opts, 0) === 100);
 * console.assert(backoffCeiling(opts, 3) === 800);
 * console.assert(backoffCeiling(opts, 9) === 1000);
 * ```
 */
export function backoffCeiling(
  options: BackoffOptions,
  attempt: number,
): number {
  // 2^attempt overflows to Infinity long before it matters; min() caps it.
  return Math.min(options.maxMs, options.minMs * 2 ** attempt);
}

/**
 * Back-off state of one child: each call to {@linkcode Backoff.next} returns
 * the delay before the next restart, `random() * ceiling(attempt)`, and
 * starts again from `minMs` once the child has run for `resetAfterMs`
 * without failing.
 *
 * @example
 * ```ts
 * import { Backoff } from "./backoff.ts";
 * const b = new Backoff({ minMs: 100, maxMs: 1000, resetAfterMs: 5000, random: () => 0.5 });
 * console.assert(b.next(0) === 50);
 * console.assert(b.next(100) === 100);
 * console.assert(b.next(10_000) === 50); // quiet for 5 s: reset
 * ```
 */
export class Backoff {
  #options: BackoffOptions | undefined;
  #random: () => number;
  #attempt = 0;
  #runningSince = -Infinity;

  /** Without options every delay is 0 (restart at once). */
  constructor(options?: BackoffOptions) {
    this.#options = options;
    this.#random = options?.random ?? Math.random;
  }

  /** Restarts counted since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay in ms before the restart caused by a failure at `now`. */
  next(now: number): number {
    const opts = this.#options;
    if (!opts) return 0;
    if (this.#attempt > 0 && now - this.#runningSince >= opts.resetAfterMs) {
      this.#attempt = 0;
    }
    const delay = Math.floor(
      this.#random() * backoffCeiling(opts, this.#attempt),
    );
    this.#attempt++;
    this.#runningSince = now + delay;
    return delay;
  }
}
