/**
 * Clients of the real local Kafka and Cassandra for integration tests, and
 * helpers to read back what the pipeline wrote.
 *
 * @module
 */
import cassandra from "cassandra-driver";
import { Kafka, logLevel } from "kafkajs";
import { CassandraTradeStore } from "../../actors/cassandra/mod.ts";
import type { Candle } from "../../actors/trade/types.ts";
import { silentLogger } from "../../runtime/mod.ts";
import { partitionsOf } from "../../infra/local/spread.ts";

/** Kafka as started by `deno task infra:up`. */
export const KAFKA_BROKERS = [
  Deno.env.get("KAFKA_BROKERS") ?? "127.0.0.1:9092",
];
/** Cassandra as started by `deno task infra:up`. */
export const CASSANDRA = Deno.env.get("CASSANDRA_CONTACT_POINTS") ??
  "127.0.0.1:9042";

/**
 * `perPartition` symbols for each of `partitions` partitions (named
 * `${prefix}<n>`), so every member of a consumer group has trades to
 * consume whichever partitions it is given.
 */
export function spreadSymbols(
  prefix: string,
  partitions: number,
  perPartition: number,
): string[] {
  const want = new Map<number, string[]>();
  for (
    let n = 0;
    want.size < partitions ||
    [...want.values()].some((l) => l.length < perPartition);
    n++
  ) {
    const symbol = `${prefix}${n}`;
    const [p] = partitionsOf([symbol], partitions);
    const list = want.get(p) ?? [];
    if (list.length < perPartition) want.set(p, [...list, symbol]);
  }
  return [...want.values()].flat();
}

/** A short id that keeps one run's topics, groups and symbols apart from others. */
export function runId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 8).toUpperCase();
}

/** A kafkajs client that logs only errors. */
export function testKafka(): Kafka {
  return new Kafka({
    clientId: "tickline-test",
    brokers: KAFKA_BROKERS,
    logLevel: logLevel.NOTHING,
  });
}

/** Creates topics and waits for their leaders. */
export async function createTopics(
  kafka: Kafka,
  topics: { topic: string; numPartitions: number }[],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // A broker just (re)started may not host the new partitions yet; creating
    // again is a no-op for what exists, so retriable errors are retried.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await admin.createTopics({ topics, waitForLeaders: true });
        return;
      } catch (e) {
        const retriable = (e as { retriable?: boolean }).retriable === true;
        if (!retriable || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** Deletes topics (best effort). */
export async function deleteTopics(
  kafka: Kafka,
  topics: string[],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics }).catch(() => {});
  } finally {
    await admin.disconnect();
  }
}

/** One record read back from a topic. */
export interface ReadRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
}

/** Reads every record now in `topic`, from the beginning to the high watermarks. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
): Promise<ReadRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(
    ends.filter((e) => Number(e.high) > Number(e.low)).map((
      e,
    ) => [e.partition, Number(e.high)]),
  );
  const out: ReadRecord[] = [];
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({
    groupId: `reader-${runId()}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = Promise.withResolvers<void>();
  await consumer.run({
    eachMessage: ({ partition, message }) => {
      const offset = Number(message.offset);
      const high = remaining.get(partition);
      if (high !== undefined && offset < high) {
        out.push({
          partition,
          offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? "",
        });
        if (offset === high - 1) remaining.delete(partition);
        if (remaining.size === 0) done.resolve();
      }
      return Promise.resolve();
    },
  });
  const timer = setTimeout(
    () => done.reject(new Error(`timed out reading ${topic}`)),
    60_000,
  );
  try {
    await done.promise;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return out;
}

/** A Cassandra client on keyspace `market`. */
export async function testCassandra(): Promise<cassandra.Client> {
  const client = new cassandra.Client({
    contactPoints: [CASSANDRA],
    localDataCenter: "datacenter1",
    keyspace: "market",
  });
  await client.connect();
  return client;
}

/** The app's trade store on the local Cassandra, `batchRows` rows per batch. */
export function testStore(batchRows = 50): CassandraTradeStore {
  return CassandraTradeStore.open({
    contactPoints: [CASSANDRA],
    localDataCenter: "datacenter1",
    keyspace: "market",
    batchRows,
    concurrency: 4,
    logger: silentLogger(),
  });
}

/** The UTC days `[y, m, d]` touched by `[from, to]`. */
export function utcDays(from: number, to: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let t = from - (from % 86_400_000); t <= to; t += 86_400_000) {
    const d = new Date(t);
    out.push([d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()]);
  }
  return out;
}

/** A stored raw trade. */
export interface TradeRow {
  symbol: string;
  ts: number;
  partition: number;
  offset: number;
  price: number;
  volume: number;
}

/** Every row of a query, page by page: one `execute` returns one page only. */
async function allRows(
  client: cassandra.Client,
  query: string,
  params: unknown[],
): Promise<cassandra.types.Row[]> {
  const rows: cassandra.types.Row[] = [];
  let pageState: string | undefined;
  do {
    const rs = await client.execute(query, params, {
      prepare: true,
      fetchSize: 50_000,
      pageState,
    });
    for (const r of rs.rows) rows.push(r);
    pageState = rs.pageState ?? undefined;
  } while (pageState);
  return rows;
}

/** All stored trades of `symbols` between `from` and `to`. */
export async function storedTrades(
  client: cassandra.Client,
  symbols: string[],
  from: number,
  to: number,
): Promise<TradeRow[]> {
  const out: TradeRow[] = [];
  for (const symbol of symbols) {
    for (const [y, m, d] of utcDays(from, to)) {
      const rows = await allRows(
        client,
        "SELECT ts, kafka_partition, kafka_offset, price, volume FROM trades_v2 WHERE symbol = ? AND trade_year = ? AND trade_month = ? AND trade_day = ?",
        [symbol, y, m, d],
      );
      for (const r of rows) {
        out.push({
          symbol,
          ts: (r.get("ts") as Date).getTime(),
          partition: r.get("kafka_partition"),
          offset: Number(r.get("kafka_offset")),
          price: r.get("price"),
          volume: r.get("volume"),
        });
      }
    }
  }
  return out;
}

/** A stored candle. */
export type CandleRowRead = Omit<Candle, "windowEnd"> & { isFinal: boolean };

/** All stored candles of `symbols` in the months touched by `[from, to]`. */
export async function storedCandles(
  client: cassandra.Client,
  symbols: string[],
  from: number,
  to: number,
): Promise<CandleRowRead[]> {
  const months = new Set(utcDays(from, to).map(([y, m]) => `${y}-${m}`));
  const out: CandleRowRead[] = [];
  for (const symbol of symbols) {
    for (const ym of months) {
      const [y, m] = ym.split("-").map(Number);
      const rows = await allRows(
        client,
        "SELECT * FROM trade_aggregates WHERE symbol = ? AND trade_year = ? AND trade_month = ?",
        [symbol, y, m],
      );
      for (const r of rows) {
        out.push({
          symbol,
          windowStart: (r.get("window_start") as Date).getTime(),
          open: r.get("open"),
          high: r.get("high"),
          low: r.get("low"),
          close: r.get("close"),
          volume: r.get("volume"),
          tradeCount: r.get("trade_count"),
          vwap: r.get("vwap"),
          isFinal: r.get("is_final"),
        });
      }
    }
  }
  return out;
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last result. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 500,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return await check();
}

/** Raised when a bounded wait in a test runs out. */
export class WaitTimeoutError extends Error {
  /** @param what what was awaited; @param ms for how long */
  constructor(what: string, ms: number) {
    super(`timed out after ${ms} ms waiting for ${what}`);
    this.name = "WaitTimeoutError";
  }
}

/**
 * Polls `check` (a throw counts as false) until it holds; throws
 * {@linkcode WaitTimeoutError} naming `what` after `timeoutMs`.
 *
 * @example
 * ```ts ignore
 * await waitUntil(() => Promise.resolve(feed.stats().tradesSent >= 100), 30_000, "100 trades");
 * ```
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve().then(check).catch(() => false))) {
    if (Date.now() > deadline) throw new WaitTimeoutError(what, timeoutMs);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
