/**
 * Final is final, on the real Cassandra: whatever order candle writes land
 * in (a provisional queued behind a slow Cassandra, a stalled member's late
 * write, a replay that saw part of a minute), the stored row is the final
 * candle built from the most trades (finding 2 of issue 8).
 */
import assert from "node:assert/strict";
import type { Candle } from "../actors/trade/types.ts";
import {
  runId,
  storedCandles,
  testCassandra,
  testStore,
} from "./support/servers.ts";

function candle(symbol: string, windowStart: number, trades: number): Candle {
  return {
    symbol,
    windowStart,
    windowEnd: windowStart + 60_000,
    open: 100,
    high: 100 + trades,
    low: 99,
    close: 100 + trades / 2,
    volume: trades * 10,
    tradeCount: trades,
    vwap: 100.5,
  };
}

Deno.test({
  name:
    "candle rows: a late provisional or a partial final never replaces a complete final",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const store = testStore();
    const client = await testCassandra();
    const symbol = `ORD${runId()}`;
    const start = Date.UTC(2026, 10, 26, 12, 0);
    try {
      const complete = candle(symbol, start, 12);
      // In landing order: the final, then writes that were overtaken by it.
      await store.writeCandles([{ candle: complete, isFinal: true }]);
      await store.writeCandles([{
        candle: candle(symbol, start, 11),
        isFinal: false,
      }]);
      await store.writeCandles([{
        candle: candle(symbol, start, 13),
        isFinal: false,
      }]);
      await store.writeCandles([{
        candle: candle(symbol, start, 5),
        isFinal: true,
      }]);
      let [row] = await storedCandles(client, [symbol], start, start);
      const { windowEnd: _, ...expected } = complete;
      assert.deepEqual(row, { ...expected, isFinal: true });
      // A late trade's rebuild has one trade more: it does replace the final.
      const rebuilt = candle(symbol, start, 13);
      await store.writeCandles([{ candle: rebuilt, isFinal: true }]);
      [row] = await storedCandles(client, [symbol], start, start);
      assert.equal(row.isFinal, true);
      assert.equal(row.tradeCount, 13);
      assert.equal(row.high, rebuilt.high);
    } finally {
      await store.close();
      await client.shutdown();
    }
  },
});
