/**
 * Encoding 1,000 trade rows' parameters the way the driver does for a
 * prepared insert: plain values (Dates, Longs, arrays: the driver's path)
 * against the hand-encoded values `writeTrades` now sends (shared where
 * rows share them; the driver passes Buffers through).
 */
import cassandra from "cassandra-driver";
import {
  ConditionsEncodings,
  CQL_HOURS,
  cqlBigint,
  cqlInt,
  cqlText,
  cqlTimestamp,
} from "./cql_values.ts";
import { driverEncoder as driver } from "./_driver_encoder.ts";

const { dataTypes, Long } = cassandra.types;
const TYPES = [
  dataTypes.varchar,
  dataTypes.int,
  dataTypes.int,
  dataTypes.int,
  dataTypes.timestamp,
  dataTypes.int,
  dataTypes.bigint,
  dataTypes.int,
  dataTypes.double,
  dataTypes.double,
  { code: dataTypes.list, info: { code: dataTypes.varchar } },
  dataTypes.timestamp,
];
const t0 = Date.UTC(2026, 10, 26, 14);
const rows = Array.from({ length: 1_000 }, (_, i) => ({
  symbol: "AAPL",
  timestamp: t0 + i * 3,
  offset: 1_000_000 + i,
  price: 180 + i / 100,
  volume: 1 + i % 7,
  conditions: i % 3 === 0 ? [] : ["1", "12"],
  ingestedAt: t0 + i * 3 + 2,
}));

function encodeAll(params: unknown[]): void {
  for (let i = 0; i < params.length; i++) driver.encode(params[i], TYPES[i]);
}

Deno.bench("driver's path: Dates, Longs and arrays", { baseline: true }, () => {
  for (const t of rows) {
    encodeAll([
      t.symbol,
      2026,
      11,
      26,
      new Date(t.timestamp),
      3,
      Long.fromNumber(t.offset),
      14,
      t.price,
      t.volume,
      t.conditions,
      new Date(t.ingestedAt),
    ]);
  }
});

Deno.bench("hand-encoded, shared where rows share them", () => {
  const conditions = new ConditionsEncodings();
  const key = [cqlText("AAPL"), cqlInt(2026), cqlInt(11), cqlInt(26)];
  const partition = cqlInt(3);
  for (const t of rows) {
    encodeAll([
      key[0],
      key[1],
      key[2],
      key[3],
      cqlTimestamp(t.timestamp),
      partition,
      cqlBigint(t.offset),
      CQL_HOURS[14],
      t.price,
      t.volume,
      conditions.of(t.conditions),
      cqlTimestamp(t.ingestedAt),
    ]);
  }
});
