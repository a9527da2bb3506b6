/**
 * The end state every pipeline run must reach: each record of the trades
 * topic stored exactly once, and each stored candle final and equal to an
 * independent oracle over those records.
 *
 * @module
 */
import assert from "node:assert/strict";
import type cassandra from "cassandra-driver";
import type { Kafka } from "kafkajs";
import type { SentTrade } from "../../actors/feed/server.ts";
import { reconcile } from "./feed_ledger.ts";
import { oracleCandles, type OracleTrade } from "./oracle.ts";
import {
  type CandleRowRead,
  createTopics,
  eventually,
  readTopic,
  storedCandles,
  storedTrades,
  type TradeRow,
} from "./servers.ts";

/** Environment for one isolated pipeline run. */
export interface PipelineEnv extends Record<string, string> {
  TRADES_TOPIC: string;
  DLQ_TOPIC: string;
  KAFKA_GROUP_ID: string;
  FINNHUB_SYMBOLS: string;
}

/**
 * Creates the run's trades topic (`partitions` partitions) and its
 * dead-letter topic (1 partition).
 */
export async function createRunTopics(
  kafka: Kafka,
  env: PipelineEnv,
  partitions = 3,
): Promise<void> {
  await createTopics(kafka, [
    { topic: env.TRADES_TOPIC, numPartitions: partitions },
    { topic: env.DLQ_TOPIC, numPartitions: 1 },
  ]);
}

/** Topics, group and fast windows for a run named `id`. */
export function pipelineEnv(id: string, symbols: string[]): PipelineEnv {
  return {
    TRADES_TOPIC: `it-${id}-trades`,
    DLQ_TOPIC: `it-${id}-dlq`,
    KAFKA_GROUP_ID: `it-${id}`,
    FINNHUB_SYMBOLS: symbols.join(","),
    WINDOW_LATENESS_MS: "2000",
    WINDOW_GRACE_MS: "1000",
    COMMIT_INTERVAL_MS: "200",
    PROVISIONAL_INTERVAL_MS: "1000",
    LOG_LEVEL: "warn",
    // Quick failover for the crash and scale-out tests.
    KAFKA_SESSION_TIMEOUT_MS: "10000",
    // One instance per run that buffers through Kafka outages; runs of
    // several instances on one feed use ingest leases (`startPipelineRun`).
    INGEST_OWNERSHIP: "all",
    // A journal of the run's own: instances of one run share it, as they
    // would on one host, and no run recovers another's tails. Under
    // `.tickline`, where `deno task app` may write.
    INGEST_JOURNAL_DIR: `.tickline/it/${id}`,
  };
}

/** What was found once the end state was reached. */
export interface EndState {
  records: number;
  candles: number;
  dlq: { reason: string; detail: string; raw: unknown }[];
}

interface Decoded {
  partition: number;
  offset: number;
  symbol: string;
  price: number;
  volume: number;
  timestamp: number;
}

/**
 * Waits (bounded) for the end state, then asserts it in full. With
 * `expectedValid`, also waits for that many records in the trades topic.
 */
export async function verifyEndState(options: {
  kafka: Kafka;
  cassandra: cassandra.Client;
  env: PipelineEnv;
  symbols: string[];
  expectedValid?: number;
  timeoutMs?: number;
}): Promise<EndState> {
  const { kafka, cassandra: client, env, symbols } = options;
  let records: Decoded[] = [];
  let rows: TradeRow[] = [];
  let candles: CandleRowRead[] = [];
  let from = 0;
  let to = 0;
  const load = async () => {
    records = (await readTopic(kafka, env.TRADES_TOPIC)).map((r) => {
      const v = JSON.parse(r.value);
      return {
        partition: r.partition,
        offset: r.offset,
        symbol: v.symbol ?? v.s,
        price: v.price ?? v.p,
        volume: v.volume ?? v.v,
        timestamp: v.timestamp ?? v.t,
      };
    });
    if (records.length === 0) return false;
    [from, to] = extent(records.map((r) => r.timestamp));
    rows = await storedTrades(client, symbols, from, to);
    candles = await storedCandles(client, symbols, from - 60_000, to + 60_000);
    return true;
  };
  const oracleOf = () =>
    oracleCandles(records.map((r): OracleTrade => ({
      symbol: r.symbol,
      t: r.timestamp,
      p: r.price,
      v: r.volume,
      seq: r.partition * 1e12 + r.offset,
    })));
  const settled = await eventually(
    async () => {
      if (!(await load())) return false;
      if (
        options.expectedValid !== undefined &&
        records.length < options.expectedValid
      ) return false;
      const oracle = oracleOf();
      return rows.length === records.length && candles.length === oracle.size &&
        candles.every((c) =>
          c.isFinal && sameCandle(c, oracle.get(`${c.symbol}|${c.windowStart}`))
        );
    },
    options.timeoutMs ?? 120_000,
    1000,
  );
  if (!settled) await load();

  if (options.expectedValid !== undefined) {
    assert.equal(
      records.length,
      options.expectedValid,
      "every valid trade reached the trades topic",
    );
  }
  // Exactly once: one row per Kafka record, and nothing else.
  const byPosition = new Map(
    rows.map((r) => [`${r.partition}:${r.offset}`, r]),
  );
  assert.equal(byPosition.size, rows.length, "no Kafka record is stored twice");
  for (const rec of records) {
    const row = byPosition.get(`${rec.partition}:${rec.offset}`);
    assert.ok(
      row,
      `record ${rec.partition}:${rec.offset} (${rec.symbol}) is stored`,
    );
    assert.deepEqual(
      [row.symbol, row.ts, row.price, row.volume],
      [rec.symbol, rec.timestamp, rec.price, rec.volume],
    );
  }
  assert.equal(rows.length, records.length, "no row without a Kafka record");
  const oracle = oracleOf();
  assert.equal(candles.length, oracle.size, "one candle per symbol and minute");
  for (const c of candles) {
    const want = oracle.get(`${c.symbol}|${c.windowStart}`);
    assert.ok(
      want,
      `candle ${c.symbol} ${new Date(c.windowStart).toISOString()} is expected`,
    );
    assert.ok(c.isFinal, `candle ${c.symbol} ${c.windowStart} is final`);
    assert.deepEqual(
      { ...c, isFinal: undefined },
      { ...want, isFinal: undefined },
      `candle ${c.symbol} ${
        new Date(c.windowStart).toISOString()
      } equals the oracle`,
    );
  }
  const dlq = (await readTopic(kafka, env.DLQ_TOPIC)).map((r) =>
    JSON.parse(r.value)
  );
  return { records: records.length, candles: candles.length, dlq };
}

function sameCandle(
  c: CandleRowRead,
  want: ReturnType<typeof oracleCandles> extends Map<string, infer V>
    ? V | undefined
    : never,
): boolean {
  return want !== undefined && c.open === want.open && c.high === want.high &&
    c.low === want.low &&
    c.close === want.close && c.volume === want.volume &&
    c.tradeCount === want.tradeCount &&
    c.vwap === want.vwap;
}

/** Smallest and largest of `values` (a spread of 100k values overflows the stack). */
export function extent(values: Iterable<number>): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/**
 * Judges against the source: the trades stored for `symbols` are exactly
 * the trades the feed sent, each once, compared by content.
 */
export async function assertStoredAreSent(
  client: cassandra.Client,
  symbols: string[],
  sent: readonly SentTrade[],
): Promise<void> {
  const [from, to] = extent(sent.map((f) => f.t as number));
  const r = reconcile(sent, await storedTrades(client, symbols, from, to));
  assert.deepEqual(
    {
      missing: r.missing.length,
      duplicated: r.duplicated,
      unexpected: r.unexpected,
    },
    { missing: 0, duplicated: 0, unexpected: 0 },
    `the stored trades are the ${r.sent} trades sent (${r.stored} stored)`,
  );
}
