/**
 * Smoke test: cassandra-driver under Deno writes and reads Tickline's tables
 * on the real Cassandra started by `deno task infra:up`.
 *
 * @module
 */

import assert from "node:assert/strict";
import cassandra from "cassandra-driver";
import {
  applySchema,
  readSchemaStatements,
} from "../infra/cassandra/apply_schema.ts";
import { loadInfraConfig } from "../infra/local/config.ts";
import { waitForCassandra } from "../infra/local/readiness.ts";

const config = loadInfraConfig();
const contactPoints = (Deno.env.get("CASSANDRA_CONTACT_POINTS") ??
  `${config.host}:${config.ports.cassandra}`)
  .split(",");

function connect(): cassandra.Client {
  return new cassandra.Client({
    contactPoints,
    localDataCenter: "datacenter1",
    keyspace: "market",
  });
}

Deno.test({
  name: "smoke cassandra: applying the schema again is harmless",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await waitForCassandra(contactPoints, 120_000);
    const client = new cassandra.Client({
      contactPoints,
      localDataCenter: "datacenter1",
    });
    try {
      const statements = await readSchemaStatements();
      assert.equal(await applySchema(client, statements), statements.length);
      const tables = await client.execute(
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = 'market'",
      );
      const names = tables.rows.map((r) => r.table_name as string).sort();
      assert.deepEqual(names, ["trade_aggregates", "trades_v2"]);
    } finally {
      await client.shutdown();
    }
  },
});

Deno.test({
  name: "smoke cassandra: a trades_v2 row round-trips with the 30-day TTL",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await waitForCassandra(contactPoints, 120_000);
    const client = connect();
    const symbol = `SMOKE:${crypto.randomUUID()}`;
    const ts = new Date(Date.UTC(2026, 0, 15, 14, 30, 5, 123));
    const key = [symbol, 2026, 1, 15];
    try {
      await client.execute(
        `INSERT INTO trades_v2 (symbol, trade_year, trade_month, trade_day, ts, kafka_partition, kafka_offset,
           trade_hour, price, volume, conditions, ingested_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          ...key,
          ts,
          2,
          cassandra.types.Long.fromString("9007199254740993"),
          14,
          187.25,
          0.5,
          ["1", "12"],
          new Date(),
        ],
        { prepare: true },
      );
      const result = await client.execute(
        `SELECT ts, kafka_partition, kafka_offset, trade_hour, price, volume, conditions, TTL(price) AS ttl
           FROM trades_v2 WHERE symbol = ? AND trade_year = ? AND trade_month = ? AND trade_day = ?`,
        key,
        { prepare: true },
      );
      assert.equal(result.rowLength, 1);
      const row = result.first();
      assert.equal((row.ts as Date).getTime(), ts.getTime());
      assert.equal(row.kafka_partition, 2);
      assert.equal(row.kafka_offset.toString(), "9007199254740993");
      assert.equal(row.trade_hour, 14);
      assert.equal(row.price, 187.25);
      assert.equal(row.volume, 0.5);
      assert.deepEqual(row.conditions, ["1", "12"]);
      const ttl = row.ttl as number;
      assert.ok(
        ttl > 2592000 - 120 && ttl <= 2592000,
        `TTL(price) = ${ttl}, expected about 2592000`,
      );
    } finally {
      await client.execute(
        "DELETE FROM trades_v2 WHERE symbol = ? AND trade_year = ? AND trade_month = ? AND trade_day = ?",
        key,
        { prepare: true },
      ).catch(() => {});
      await client.shutdown();
    }
  },
});

Deno.test({
  name:
    "smoke cassandra: trade_aggregates returns the latest window first, with the 90-day TTL",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await waitForCassandra(contactPoints, 120_000);
    const client = connect();
    const symbol = `SMOKE:${crypto.randomUUID()}`;
    const insert =
      `INSERT INTO trade_aggregates (symbol, trade_year, trade_month, window_start, window_end,
        open, high, low, close, volume, trade_count, vwap, is_final, updated_at)
      VALUES (?, 2026, 1, ?, ?, 1, 2, 0.5, 1.5, 10, 4, 1.2, ?, ?)`;
    try {
      for (const minute of [0, 2, 1]) {
        const start = new Date(Date.UTC(2026, 0, 15, 14, minute));
        const end = new Date(start.getTime() + 60_000);
        await client.execute(insert, [
          symbol,
          start,
          end,
          minute !== 2,
          new Date(),
        ], { prepare: true });
      }
      const latest = await client.execute(
        `SELECT window_start, is_final, TTL(close) AS ttl FROM trade_aggregates
           WHERE symbol = ? AND trade_year = 2026 AND trade_month = 1 LIMIT 1`,
        [symbol],
        { prepare: true },
      );
      const row = latest.first();
      assert.equal(
        (row.window_start as Date).toISOString(),
        "2026-01-15T14:02:00.000Z",
      );
      assert.equal(row.is_final, false);
      const ttl = row.ttl as number;
      assert.ok(
        ttl > 7776000 - 120 && ttl <= 7776000,
        `TTL(close) = ${ttl}, expected about 7776000`,
      );
    } finally {
      await client.execute(
        "DELETE FROM trade_aggregates WHERE symbol = ? AND trade_year = 2026 AND trade_month = 1",
        [symbol],
        { prepare: true },
      ).catch(() => {});
      await client.shutdown();
    }
  },
});
