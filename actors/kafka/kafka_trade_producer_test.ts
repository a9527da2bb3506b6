import assert from "node:assert/strict";
import { logLevel } from "kafkajs";
import { kafkaLogLevel } from "./kafka_log.ts";
import {
  chunkByBytes,
  letterRecord,
  RecordTooLargeError,
  tradeRecord,
} from "./kafka_trade_producer.ts";

const trade = (conditions: string[]) => ({
  symbol: "AAPL",
  price: 1,
  volume: 1,
  timestamp: 1_700_000_000_000,
  conditions,
  ingestedAt: 1_700_000_000_001,
});

// Finding 3 of issue 9: 2,000 trades with 64 conditions each made one request over 1 MB.
Deno.test("producer: requests are split by bytes under the bound, in order", () => {
  const records = Array.from(
    { length: 2000 },
    () => tradeRecord(trade(Array(64).fill("x".repeat(16)))),
  );
  const total = records.reduce((s, r) => s + r.bytes, 0);
  assert.ok(total > 1_048_588, `the batch is over 1 MB (${total})`);
  const chunks = chunkByBytes(records, 900_000);
  assert.ok(chunks.length >= 2);
  for (const c of chunks) {
    assert.ok(c.reduce((s, r) => s + r.bytes, 0) <= 900_000);
  }
  assert.deepEqual(chunks.flat(), records);
});

Deno.test("producer: a record too large alone is refused, not sent", () => {
  const big = tradeRecord(trade(Array(64).fill("x".repeat(16))));
  assert.throws(() => chunkByBytes([big], 100), RecordTooLargeError);
});

Deno.test("producer: a poison dead letter (200,000-deep raw) encodes small", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 200_000; i++) deep = [deep];
  const r = letterRecord({
    raw: { s: "AAPL", p: deep },
    reason: "invalid_price",
    detail: "p must be a finite number",
    receivedAt: 1,
  }, 512);
  assert.ok(r.bytes < 2000, String(r.bytes));
  const parsed = JSON.parse(r.value.toString());
  assert.equal(parsed.truncated, true);
  assert.equal(parsed.reason, "invalid_price");
});

// Finding 6 of issue 9: a normal first start logged "ERROR Crash".
Deno.test("kafkajs routine rebalance and coordinator noise is info, real errors stay errors", () => {
  const routine = [
    { message: "[Runner] The group is rebalancing, re-joining" },
    {
      message: "[Connection] Response Heartbeat(key: 12, version: 3)",
      type: "REBALANCE_IN_PROGRESS",
    },
    {
      message:
        "[Consumer] Crash: KafkaJSGroupCoordinatorNotFound: Failed to find group coordinator",
    },
    {
      message: "[Connection] Response JoinGroup",
      error: "The coordinator is not aware of this member",
    },
  ];
  for (const e of routine) {
    assert.equal(kafkaLogLevel(logLevel.ERROR, e), "info", e.message);
  }
  assert.equal(
    kafkaLogLevel(logLevel.ERROR, {
      message: "Connection error: connect ECONNREFUSED",
    }),
    "warn",
  );
  assert.equal(
    kafkaLogLevel(logLevel.ERROR, { message: "Unknown error: disk full" }),
    "error",
  );
  assert.equal(kafkaLogLevel(logLevel.DEBUG, { message: "x" }), "debug");
});
