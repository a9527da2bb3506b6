/**
 * Subscription gaps of a feed: stretches of time in which nobody was
 * subscribed to a symbol while the market went on, and the trades sent in
 * them that reached nobody. What a handover between ingest instances costs,
 * measured where the trades come from.
 *
 * @module
 */

/** One stretch of time with no subscriber to `symbol`. */
export interface FeedGap {
  symbol: string;
  /** When the last subscriber went (or the feed started, for a symbol nobody held). */
  from: number;
  /** When a subscriber came; absent while the gap is open. */
  to?: number;
  /** Trades of `symbol` sent during the gap, received by nobody. */
  missed: number;
}

/**
 * Tracks the gaps of a symbol universe from the subscribed set, observed at
 * every change.
 *
 * @example
 * ```ts
 * import { SubscriptionGaps } from "./gaps.ts";
 * const gaps = new SubscriptionGaps(["A", "B"]);
 * gaps.observe(new Set(["A", "B"]), 0);
 * gaps.observe(new Set(["A"]), 100);
 * gaps.miss("B");
 * gaps.observe(new Set(["A", "B"]), 350);
 * console.assert(gaps.list()[0].to === 350 && gaps.list()[0].missed === 1);
 * ```
 */
export class SubscriptionGaps {
  readonly #open = new Map<string, FeedGap>();
  readonly #closed: FeedGap[] = [];
  readonly #universe: readonly string[];

  constructor(universe: Iterable<string>) {
    this.#universe = [...new Set(universe)];
  }

  /** Records the symbols subscribed now; the first call starts the watch (a symbol nobody holds opens a gap). */
  observe(subscribed: ReadonlySet<string>, at: number): void {
    for (const symbol of this.#universe) {
      const gap = this.#open.get(symbol);
      if (subscribed.has(symbol)) {
        if (gap) {
          gap.to = at;
          this.#open.delete(symbol);
          this.#closed.push(gap);
        }
      } else if (!gap) {
        this.#open.set(symbol, { symbol, from: at, missed: 0 });
      }
    }
  }

  /** Counts a trade of `symbol` that reached nobody; false when no gap is open (not watched yet). */
  miss(symbol: string): boolean {
    const gap = this.#open.get(symbol);
    if (!gap) return false;
    gap.missed++;
    return true;
  }

  /** Every gap so far, closed ones first, as copies. */
  list(): FeedGap[] {
    return [...this.#closed, ...this.#open.values()].map((g) => ({ ...g }));
  }
}
