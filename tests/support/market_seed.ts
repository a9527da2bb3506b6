/**
 * Writes candles and trades straight into Cassandra for tests of the market
 * page and API (past days the live pipeline cannot produce on demand), and
 * removes them again.
 *
 * @module
 */
import type cassandra from "cassandra-driver";
import { utcDaysOf, utcMonthsOf } from "../../actors/web/partitions.ts";
import type { PageCandle, PageTrade } from "../../actors/web/mod.ts";

const INSERT_CANDLE =
  `INSERT INTO trade_aggregates (symbol, trade_year, trade_month, window_start,
  window_end, open, high, low, close, volume, trade_count, vwap, is_final, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const INSERT_TRADE =
  `INSERT INTO trades_v2 (symbol, trade_year, trade_month, trade_day, ts,
  kafka_partition, kafka_offset, trade_hour, price, volume, conditions, ingested_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** Runs `fn` over `items` with at most `lanes` at a time. */
async function inLanes<T>(
  items: readonly T[],
  lanes: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** A deterministic random walk of 1-minute candles from `from`, one every `stepMs`. */
export function makeCandles(
  from: number,
  count: number,
  stepMs = 60_000,
  seed = 1,
): PageCandle[] {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  let price = 100;
  const out: PageCandle[] = [];
  for (let i = 0; i < count; i++) {
    const open = price;
    const close = Math.max(1, open + (rand() - 0.5) * 2);
    const high = Math.max(open, close) + rand();
    const low = Math.min(open, close) - rand();
    price = close;
    out.push({
      time: from + i * stepMs,
      open: round(open),
      high: round(high),
      low: round(Math.max(0.5, low)),
      close: round(close),
      volume: round(1 + rand() * 500),
      trades: 1 + Math.floor(rand() * 50),
      final: true,
    });
  }
  return out;
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Inserts candles of `symbol`. */
export async function insertCandles(
  client: cassandra.Client,
  symbol: string,
  candles: readonly PageCandle[],
  lanes = 64,
): Promise<void> {
  await inLanes(candles, lanes, (c) => {
    const d = new Date(c.time);
    return client.execute(INSERT_CANDLE, [
      symbol,
      d.getUTCFullYear(),
      d.getUTCMonth() + 1,
      d,
      new Date(c.time + 60_000),
      c.open,
      c.high,
      c.low,
      c.close,
      c.volume,
      c.trades,
      (c.high + c.low) / 2,
      c.final,
      new Date(),
    ], { prepare: true });
  });
}

/** Inserts raw trades of `symbol`. */
export async function insertTrades(
  client: cassandra.Client,
  symbol: string,
  trades: readonly PageTrade[],
): Promise<void> {
  await inLanes(trades, 32, (t) => {
    const d = new Date(t.time);
    return client.execute(INSERT_TRADE, [
      symbol,
      d.getUTCFullYear(),
      d.getUTCMonth() + 1,
      d.getUTCDate(),
      d,
      t.partition,
      t.offset,
      d.getUTCHours(),
      t.price,
      t.volume,
      [],
      new Date(),
    ], { prepare: true });
  });
}

/** Deletes every partition of `symbols` that `[from, to)` touches, in both tables. */
export async function deleteMarketData(
  client: cassandra.Client,
  symbols: readonly string[],
  from: number,
  to: number,
): Promise<void> {
  for (const symbol of symbols) {
    for (const m of utcMonthsOf(from, to)) {
      await client.execute(
        "DELETE FROM trade_aggregates WHERE symbol = ? AND trade_year = ? AND trade_month = ?",
        [symbol, m.year, m.month],
        { prepare: true },
      );
    }
    await inLanes(utcDaysOf(from, to), 16, (d) =>
      client.execute(
        "DELETE FROM trades_v2 WHERE symbol = ? AND trade_year = ? AND trade_month = ? AND trade_day = ?",
        [symbol, d.year, d.month, d.day],
        { prepare: true },
      ));
  }
}
