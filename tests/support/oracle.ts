/**
 * An independent brute-force OHLCV oracle for integration tests: the
 * candles a set of trades must produce, written without the pipeline's code
 * (sums in exact BigInt arithmetic, rounded once).
 *
 * @module
 */
import type { Candle } from "../../actors/trade/types.ts";
import { referenceSum } from "../../actors/window/_test_utils.ts";

/** A trade as the oracle needs it; `seq` orders same-millisecond trades. */
export interface OracleTrade {
  symbol: string;
  t: number;
  p: number;
  v: number;
  seq: number;
}

/** The candle of one symbol and minute. */
export type OracleCandle = Omit<Candle, "windowEnd">;

/** Candles per `symbol|windowStart`. */
export function oracleCandles(
  trades: OracleTrade[],
): Map<string, OracleCandle> {
  const groups = new Map<string, OracleTrade[]>();
  for (const t of trades) {
    const start = Math.floor(t.t / 60_000) * 60_000;
    const key = `${t.symbol}|${start}`;
    let group = groups.get(key);
    if (!group) groups.set(key, group = []);
    group.push(t);
  }
  const out = new Map<string, OracleCandle>();
  for (const [key, group] of groups) {
    group.sort((a, b) => a.t - b.t || a.seq - b.seq);
    let high = -Infinity;
    let low = Infinity;
    for (const t of group) {
      high = Math.max(high, t.p);
      low = Math.min(low, t.p);
    }
    // Exact sums rounded once (BigInt reference), independent of any order.
    const volume = referenceSum(group.map((t) => t.v));
    const pv = referenceSum(group.map((t) => t.p * t.v));
    out.set(key, {
      symbol: group[0].symbol,
      windowStart: Number(key.split("|")[1]),
      open: group[0].p,
      close: group[group.length - 1].p,
      high,
      low,
      volume,
      // Zero-volume price updates are not trades (see CandleAccumulator).
      tradeCount: group.filter((t) => t.v !== 0).length,
      vwap: volume === 0 ? group[group.length - 1].p : pv / volume,
    });
  }
  return out;
}
