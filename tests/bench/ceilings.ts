/**
 * The raw ceilings of the end-to-end benchmark, measured with the app's own
 * drivers on the shared servers: cassandra-driver inserting `trades_v2` rows
 * as fast as it can, and kafkajs's produce-to-consume latency at a modest
 * rate.
 *
 * @module
 */
import cassandra from "cassandra-driver";
import {
  CASSANDRA,
  createTopics,
  deleteTopics,
  runId,
  testKafka,
} from "../support/servers.ts";
import { quantile } from "./stats.ts";

/** The app's insert (actors/cassandra/cassandra_trade_store.ts), same columns. */
export const INSERT_TRADE =
  `INSERT INTO trades_v2 (symbol, trade_year, trade_month, trade_day, ts,
  kafka_partition, kafka_offset, trade_hour, price, volume, conditions, ingested_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * A Cassandra client tuned as the ceilings are measured: prepared
 * LOCAL_QUORUM statements, many requests per connection.
 *
 * @example
 * ```ts ignore
 * const client = benchCassandra("127.0.0.1:9042");
 * ```
 */
export function benchCassandra(contactPoint: string): cassandra.Client {
  return new cassandra.Client({
    contactPoints: [contactPoint],
    localDataCenter: "datacenter1",
    keyspace: "market",
    queryOptions: {
      consistency: cassandra.types.consistencies.localQuorum,
      prepare: true,
    },
    pooling: { maxRequestsPerConnection: 2048 },
  });
}

/**
 * Rows/s of raw prepared inserts of `rows` trades_v2 rows into one
 * partition: the better of single inserts (128 in flight) and unlogged
 * batches of 50 (16 in flight).
 *
 * @example
 * ```ts ignore
 * const rowsPerSecond = await cassandraInsertCeiling(20_000);
 * ```
 */
export async function cassandraInsertCeiling(rows: number): Promise<number> {
  const client = benchCassandra(CASSANDRA);
  await client.connect();
  const now = Date.now();
  const d = new Date(now);
  const params = (symbol: string, i: number) => [
    symbol,
    d.getUTCFullYear(),
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    new Date(now - i),
    0,
    cassandra.types.Long.fromNumber(i),
    d.getUTCHours(),
    100 + i % 7,
    1 + i % 5,
    ["1"],
    new Date(now),
  ];
  const results: number[] = [];
  try {
    for (const batchRows of [1, 50]) {
      const symbol = `CEIL${runId()}`;
      let next = 0;
      const started = performance.now();
      const lane = async () => {
        while (next < rows) {
          const first = next;
          next += batchRows;
          const n = Math.min(batchRows, rows - first);
          if (n === 1) {
            await client.execute(INSERT_TRADE, params(symbol, first));
          } else {
            await client.batch(
              Array.from({ length: n }, (_, k) => ({
                query: INSERT_TRADE,
                params: params(symbol, first + k),
              })),
              { logged: false },
            );
          }
        }
      };
      await Promise.all(
        Array.from({ length: batchRows === 1 ? 128 : 16 }, lane),
      );
      results.push(rows / ((performance.now() - started) / 1000));
    }
  } finally {
    await client.shutdown();
  }
  return Math.max(...results);
}

/** Latency quantiles in milliseconds. */
export interface LatencyQuantiles {
  p50: number;
  p95: number;
  p99: number;
}

/**
 * Raw kafkajs produce (acks=all, idempotent, as the app) to consume
 * (`eachBatch`, 20 ms fetch wait) latency on a fresh 3-partition topic, at
 * `ratePerSec` for `seconds`.
 *
 * @example
 * ```ts ignore
 * const { p95 } = await kafkaLatency(5, 1000);
 * ```
 */
export async function kafkaLatency(
  seconds: number,
  ratePerSec: number,
): Promise<LatencyQuantiles> {
  const kafka = testKafka();
  const topic = `bench-${runId()}-latency`;
  await createTopics(kafka, [{ topic, numPartitions: 3 }]);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({
    groupId: `bench-${runId()}`,
    maxWaitTimeInMs: 20,
  });
  const latencies: number[] = [];
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const joined = Promise.withResolvers<void>();
    consumer.on(consumer.events.GROUP_JOIN, () => joined.resolve());
    await consumer.run({
      eachBatch: ({ batch }) => {
        const now = Date.now();
        for (const m of batch.messages) {
          latencies.push(now - Number(m.value!.toString()));
        }
        return Promise.resolve();
      },
    });
    await joined.promise;
    const end = Date.now() + seconds * 1000;
    const perTick = Math.max(1, Math.round(ratePerSec / 100));
    while (Date.now() < end) {
      const t = Date.now();
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from(
          { length: perTick },
          (_, i) => ({ key: `k${i % 7}`, value: String(Date.now()) }),
        ),
      });
      await new Promise((r) =>
        setTimeout(r, Math.max(0, 10 - (Date.now() - t)))
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    await producer.disconnect();
    await consumer.disconnect();
    await deleteTopics(kafka, [topic]);
  }
  latencies.sort((a, b) => a - b);
  return {
    p50: quantile(latencies, 0.5),
    p95: quantile(latencies, 0.95),
    p99: quantile(latencies, 0.99),
  };
}
