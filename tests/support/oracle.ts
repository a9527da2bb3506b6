/**
 * An independent brute-force OHLCV oracle for integration tests: the
 * candles a set of trades must produce, written without the pipeline's code.
 *
 * @module
 */

/** A trade as the oracle needs it; `seq` orders same-millisecond trades. */
export interface OracleTrade {
  symbol: string;
  t: number;
  p: number;
  v: number;
  seq: number;
}

/** The candle of one symbol and minute. */
export interface OracleCandle {
  symbol: string;
  windowStart: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  tradeCount: number;
  vwap: number;
}

/** Candles per `symbol|windowStart`. */
export function oracleCandles(
  trades: OracleTrade[],
): Map<string, OracleCandle> {
  const groups = new Map<string, OracleTrade[]>();
  for (const t of trades) {
    const start = Math.floor(t.t / 60_000) * 60_000;
    const key = `${t.symbol}|${start}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  const out = new Map<string, OracleCandle>();
  for (const [key, group] of groups) {
    group.sort((a, b) => a.t - b.t || a.seq - b.seq);
    let volume = 0;
    let pv = 0;
    let high = -Infinity;
    let low = Infinity;
    for (const t of group) {
      volume += t.v;
      pv += t.p * t.v;
      high = Math.max(high, t.p);
      low = Math.min(low, t.p);
    }
    out.set(key, {
      symbol: group[0].symbol,
      windowStart: Number(key.split("|")[1]),
      open: group[0].p,
      close: group[group.length - 1].p,
      high,
      low,
      volume,
      tradeCount: group.length,
      vwap: volume === 0 ? group[group.length - 1].p : pv / volume,
    });
  }
  return out;
}
