/**
 * The trades insert sends hand-encoded CQL values (`cql_values.ts`), some
 * shared by many rows: on the real Cassandra, every column of every row
 * reads back as the trade it came from, across days, hours, partitions and
 * conditions lists.
 */
import assert from "node:assert/strict";
import type cassandra from "cassandra-driver";
import { utcParts } from "../actors/cassandra/mod.ts";
import type { LoggedTrade } from "../actors/trade/types.ts";
import { runId, testCassandra, testStore } from "./support/servers.ts";

Deno.test({
  name: "trade rows: every column of hand-encoded rows reads back as written",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const store = testStore(7);
    const client = await testCassandra();
    const symbols = [`ROW${runId()}`, `RÖW${runId()}`];
    // Across midnight UTC, every hour, two partitions, offsets past 2^32.
    const t0 = Date.UTC(2026, 10, 26, 22, 59, 58, 500);
    const lists = [[], ["1"], ["1", "12"], ["T", "I", "@"], ["1"]];
    const trades: LoggedTrade[] = Array.from({ length: 240 }, (_, i) => ({
      symbol: symbols[i % 2],
      price: 100 + i / 8,
      volume: i % 5 === 0 ? 0 : i * 1.5,
      timestamp: t0 + i * 1_000 * 60 * 7,
      conditions: lists[i % lists.length],
      ingestedAt: t0 + i + 0.75,
      partition: i % 3 === 0 ? 2 : 11,
      offset: 2 ** 32 + i * 977,
    }));
    try {
      await store.writeTrades(trades);
      for (const t of trades) {
        const { year, month, day, hour } = utcParts(t.timestamp);
        const rs = await client.execute(
          `SELECT trade_hour, price, volume, conditions, ingested_at FROM trades_v2
           WHERE symbol = ? AND trade_year = ? AND trade_month = ? AND trade_day = ?
           AND ts = ? AND kafka_partition = ? AND kafka_offset = ?`,
          [
            t.symbol,
            year,
            month,
            day,
            new Date(t.timestamp),
            t.partition,
            String(t.offset),
          ],
          { prepare: true },
        );
        assert.equal(rs.rowLength, 1, `row of offset ${t.offset}`);
        const row = rs.first() as cassandra.types.Row;
        assert.deepEqual(
          {
            hour: row.get("trade_hour"),
            price: row.get("price"),
            volume: row.get("volume"),
            conditions: row.get("conditions") ?? [],
            ingestedAt: (row.get("ingested_at") as Date).getTime(),
          },
          {
            hour,
            price: t.price,
            volume: t.volume,
            conditions: t.conditions,
            ingestedAt: Math.trunc(t.ingestedAt),
          },
        );
      }
    } finally {
      await store.close();
      await client.shutdown();
    }
  },
});
