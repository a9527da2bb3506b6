/**
 * Retry with exponential back-off and full jitter, for transient storage
 * errors (timeouts, unavailable replicas, overload).
 *
 * @module
 */

import { backoffCeiling } from "../../runtime/mod.ts";

/** Settings of {@linkcode retryWithBackoff}. */
export interface RetryOptions {
  /** Attempts in all, including the first; `Infinity` waits out any outage. */
  attempts: number;
  minMs: number;
  maxMs: number;
  isRetryable: (error: unknown) => boolean;
  /** Waits `ms`; inject a manual clock's sleep in tests. */
  sleep: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `fn`, retrying retryable failures with a delay drawn from
 * `[0, min(maxMs, minMs * 2^attempt))`; the last error is rethrown.
 *
 * @example
 * ```ts
 * import { retryWithBackoff } from "./retry.ts";
 * const value = await retryWithBackoff(() => Promise.resolve(1), {
 *   attempts: 3, minMs: 10, maxMs: 100, isRetryable: () => true, sleep: () => Promise.resolve(),
 * });
 * ```
 */
export async function retryWithBackoff<T>(
  fn: () => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const random = options.random ?? Math.random;
  for (let attempt = 0;; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt + 1 >= options.attempts || !options.isRetryable(error)) {
        throw error;
      }
      const ceiling = backoffCeiling({ ...options, resetAfterMs: 0 }, attempt);
      const delay = Math.floor(random() * ceiling);
      options.onRetry?.(error, attempt + 1, delay);
      await options.sleep(delay);
    }
  }
}
