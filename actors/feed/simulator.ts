/**
 * The simulated market: random-walk prices per symbol, plausible volumes and
 * condition codes, as raw Finnhub trade objects (`{s, p, t, v, c}`).
 *
 * @module
 */

import { hashString, mulberry32, type Random } from "./prng.ts";

/** One trade as Finnhub sends it. */
export interface FinnhubTrade {
  s: string;
  p: number;
  t: number;
  v: number;
  c?: string[];
}

/** Options of {@linkcode MarketSimulator}. */
export interface MarketSimulatorOptions {
  /** Same seed, same subscriptions: same trades. */
  seed: number;
  /** Fraction in [0, 1] of trades replaced by invalid ones. Default 0. */
  injectInvalid?: number;
}

const STOCK_CONDITIONS = ["1", "8", "12", "24", "37"];
/** Chance that a trade shares the previous trade's millisecond, as Finnhub captures show. */
const SAME_MS_CHANCE = 0.2;

/** Ways to break a trade, each a real failure mode of a feed. */
const BREAKERS: ReadonlyArray<(t: FinnhubTrade) => Record<string, unknown>> = [
  (t) => ({ ...t, p: -t.p }),
  (t) => ({ ...t, p: 0 }),
  ({ v: _v, ...rest }) => rest,
  (t) => ({ ...t, p: String(t.p) }),
  (t) => ({ ...t, t: Math.floor(t.t / 1000) }),
  (t) => ({ ...t, c: "1" }),
  (t) => ({ ...t, v: -t.v }),
  (t) => ({ ...t, p: null }),
];

/**
 * Deterministic trade generator. Holds each symbol's last price, so the walk
 * continues across client reconnects.
 *
 * @example
 * ```ts
 * import { MarketSimulator } from "./simulator.ts";
 * const sim = new MarketSimulator({ seed: 1 });
 * const batch = sim.nextBatch(["AAPL", "BINANCE:BTCUSDT"], 5, 1_700_000_000_000, 1_700_000_000_050);
 * console.assert(batch.length === 5);
 * ```
 */
export class MarketSimulator {
  readonly #random: Random;
  readonly #injectInvalid: number;
  readonly #prices = new Map<string, number>();

  constructor(options: MarketSimulatorOptions) {
    this.#random = mulberry32(options.seed);
    this.#injectInvalid = Math.min(1, Math.max(0, options.injectInvalid ?? 0));
  }

  /**
   * `count` trades over `symbols` with times in `(fromMs, toMs]` (all `toMs`
   * if the interval is empty), ascending, some sharing a millisecond.
   * Symbols are taken in the given order, so pass them sorted for determinism.
   */
  nextBatch(
    symbols: readonly string[],
    count: number,
    fromMs: number,
    toMs: number,
  ): Array<FinnhubTrade | Record<string, unknown>> {
    if (symbols.length === 0 || count <= 0) return [];
    const rnd = this.#random;
    const span = Math.max(0, Math.floor(toMs) - Math.floor(fromMs));
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      times.push(
        span === 0
          ? Math.floor(toMs)
          : Math.floor(fromMs) + 1 + Math.floor(rnd() * span),
      );
    }
    times.sort((a, b) => a - b);
    const out: Array<FinnhubTrade | Record<string, unknown>> = [];
    for (let i = 0; i < count; i++) {
      if (i > 0 && rnd() < SAME_MS_CHANCE) times[i] = times[i - 1];
      const s = symbols[Math.floor(rnd() * symbols.length)];
      const trade = this.#trade(s, times[i]);
      if (this.#injectInvalid > 0 && rnd() < this.#injectInvalid) {
        out.push(BREAKERS[Math.floor(rnd() * BREAKERS.length)](trade));
      } else {
        out.push(trade);
      }
    }
    return out;
  }

  #trade(s: string, t: number): FinnhubTrade {
    const rnd = this.#random;
    const crypto = s.includes(":");
    const last = this.#prices.get(s) ?? initialPrice(s, crypto);
    // Multiplicative steps keep the walk positive; the floor keeps rounding from reaching 0.
    const p = Math.max(0.01, round(last * (1 + (rnd() - 0.5) * 0.002), 2));
    this.#prices.set(s, p);
    if (crypto) {
      // Fractional, like Binance's 0.011467.
      return { s, p, t, v: Math.max(0.000001, round(rnd() * 0.5, 6)) };
    }
    const v = rnd() < 0.6
      ? 100 * (1 + Math.floor(rnd() * 5))
      : 1 + Math.floor(rnd() * 99);
    const c: string[] = [];
    const codes = Math.floor(rnd() * 3);
    for (let i = 0; i < codes; i++) {
      c.push(STOCK_CONDITIONS[Math.floor(rnd() * STOCK_CONDITIONS.length)]);
    }
    return { s, p, t, v, c };
  }
}

function initialPrice(symbol: string, crypto: boolean): number {
  const h = hashString(symbol);
  return crypto ? 100 + (h % 60_000) : 20 + (h % 500);
}

function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}
