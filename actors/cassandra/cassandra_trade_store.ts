/**
 * Cassandra implementation of the trade store with cassandra-driver:
 * prepared statements only, unlogged batches grouped by partition key with a
 * size bound, bounded concurrency, and retries on transient errors.
 *
 * @module
 */
import cassandra from "cassandra-driver";
import type { Logger } from "../../runtime/types.ts";
import type { LoggedTrade } from "../trade/types.ts";
import { retryWithBackoff } from "./retry.ts";
import type { CandleRow, StoredTrade, TradeStore } from "./trade_store.ts";

const { Long } = cassandra.types;
const codes = cassandra.types.responseErrorCodes;
const RETRYABLE_CODES = new Set<number>([
  codes.writeTimeout,
  codes.readTimeout,
  codes.unavailableException,
  codes.overloaded,
  codes.isBootstrapping,
]);

/** Settings of {@linkcode CassandraTradeStore}. */
export interface CassandraStoreSettings {
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
  /** Rows per unlogged batch (all of one partition). */
  batchRows: number;
  /** Batches in flight at once. */
  concurrency: number;
  logger: Logger;
  /** Waits between retries; inject for tests. Defaults to a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Observes each executed batch: its table, rows, seconds taken and retries. */
  observe?: (event: StoreEvent) => void;
}

/** What the store reports for metrics. */
export type StoreEvent =
  | { type: "batch"; table: Table; rows: number; seconds: number }
  | { type: "retry"; table: Table; error: string }
  | { type: "error"; table: Table; error: string };

/** The two tables written. */
export type Table = "trades_v2" | "trade_aggregates";

/** Raised when the store cannot connect or a write fails for good. */
export class TradeStoreError extends Error {
  /** @param message What failed and what to check. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TradeStoreError";
  }
}

const INSERT_TRADE =
  `INSERT INTO trades_v2 (symbol, trade_year, trade_month, trade_day, ts,
  kafka_partition, kafka_offset, trade_hour, price, volume, conditions, ingested_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const UPSERT_CANDLE =
  `INSERT INTO trade_aggregates (symbol, trade_year, trade_month, window_start,
  window_end, open, high, low, close, volume, trade_count, vwap, is_final, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const SELECT_FINAL = `SELECT is_final FROM trade_aggregates
  WHERE symbol = ? AND trade_year = ? AND trade_month = ? AND window_start = ?`;
const SELECT_MINUTE =
  `SELECT ts, kafka_partition, kafka_offset, price, volume FROM trades_v2
  WHERE symbol = ? AND trade_year = ? AND trade_month = ? AND trade_day = ? AND ts >= ? AND ts < ?`;

/** UTC calendar parts of a millisecond time, as the partition keys use them. */
export function utcParts(
  ms: number,
): { year: number; month: number; day: number; hour: number } {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
  };
}

interface Statement {
  query: string;
  params: unknown[];
}

/**
 * Writes trades and candles to Cassandra.
 *
 * @example
 * ```ts ignore
 * const store = await CassandraTradeStore.connect({ contactPoints: ["127.0.0.1:9042"],
 *   localDataCenter: "datacenter1", keyspace: "market", batchRows: 50, concurrency: 16, logger });
 * await store.writeTrades(trades);
 * ```
 */
export class CassandraTradeStore implements TradeStore {
  private readonly sleep: (ms: number) => Promise<void>;

  private constructor(
    private readonly client: cassandra.Client,
    private readonly settings: CassandraStoreSettings,
  ) {
    this.sleep = settings.sleep ??
      ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Connects and checks the keyspace exists. */
  static async connect(
    settings: CassandraStoreSettings,
  ): Promise<CassandraTradeStore> {
    const client = new cassandra.Client({
      contactPoints: settings.contactPoints,
      localDataCenter: settings.localDataCenter,
      keyspace: settings.keyspace,
      queryOptions: {
        consistency: cassandra.types.consistencies.localQuorum,
        prepare: true,
      },
      pooling: { maxRequestsPerConnection: 2048 },
      socketOptions: { readTimeout: 12_000 },
    });
    try {
      await client.connect();
    } catch (e) {
      await client.shutdown().catch(() => {});
      throw new TradeStoreError(
        `cannot connect to Cassandra at ${
          settings.contactPoints.join(",")
        } keyspace ${settings.keyspace}: ${
          (e as Error).message
        }; is it up and the schema applied (deno task infra:up)?`,
        { cause: e },
      );
    }
    return new CassandraTradeStore(client, settings);
  }

  async writeTrades(trades: readonly LoggedTrade[]): Promise<void> {
    const groups = new Map<string, Statement[]>();
    for (const t of trades) {
      const { year, month, day, hour } = utcParts(t.timestamp);
      const key = `${t.symbol}\u0000${year}-${month}-${day}`;
      let group = groups.get(key);
      if (!group) groups.set(key, group = []);
      group.push({
        query: INSERT_TRADE,
        params: [
          t.symbol,
          year,
          month,
          day,
          new Date(t.timestamp),
          t.partition,
          Long.fromNumber(t.offset),
          hour,
          t.price,
          t.volume,
          t.conditions,
          new Date(t.ingestedAt),
        ],
      });
    }
    await this.runBatches(
      "trades_v2",
      chunk([...groups.values()], this.settings.batchRows),
    );
  }

  async writeCandles(rows: readonly CandleRow[]): Promise<void> {
    // Candles of one symbol must land in order (provisional before final), so run them one by one.
    const now = new Date();
    for (const { candle, isFinal } of rows) {
      const { year, month } = utcParts(candle.windowStart);
      await this.runBatches("trade_aggregates", [[{
        query: UPSERT_CANDLE,
        params: [
          candle.symbol,
          year,
          month,
          new Date(candle.windowStart),
          new Date(candle.windowEnd),
          candle.open,
          candle.high,
          candle.low,
          candle.close,
          candle.volume,
          candle.tradeCount,
          candle.vwap,
          isFinal,
          now,
        ],
      }]]);
    }
  }

  async hasFinalCandle(symbol: string, windowStart: number): Promise<boolean> {
    const { year, month } = utcParts(windowStart);
    const rs = await this.client.execute(
      SELECT_FINAL,
      [symbol, year, month, new Date(windowStart)],
      { prepare: true },
    );
    return rs.rows[0]?.get("is_final") === true;
  }

  async readTrades(
    symbol: string,
    from: number,
    to: number,
  ): Promise<StoredTrade[]> {
    const { year, month, day } = utcParts(from);
    const out: StoredTrade[] = [];
    const rows = this.client.stream(
      SELECT_MINUTE,
      [symbol, year, month, day, new Date(from), new Date(to)],
      { prepare: true, fetchSize: 5000 },
    );
    for await (
      const row of rows as unknown as AsyncIterable<cassandra.types.Row>
    ) {
      out.push({
        timestamp: (row.get("ts") as Date).getTime(),
        partition: row.get("kafka_partition") as number,
        offset: (row.get("kafka_offset") as cassandra.types.Long).toNumber(),
        price: row.get("price") as number,
        volume: row.get("volume") as number,
      });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }

  private async runBatches(
    table: Table,
    batches: Statement[][],
  ): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        await this.runOne(table, batch);
      }
    };
    const lanes = Math.min(this.settings.concurrency, batches.length);
    await Promise.all(Array.from({ length: lanes }, worker));
  }

  private async runOne(table: Table, batch: Statement[]): Promise<void> {
    const { observe } = this.settings;
    const started = performance.now();
    try {
      await retryWithBackoff(
        () =>
          batch.length === 1
            ? this.client.execute(batch[0].query, batch[0].params, {
              prepare: true,
            })
            : this.client.batch(batch, { prepare: true, logged: false }),
        {
          attempts: 6,
          minMs: 50,
          maxMs: 2000,
          isRetryable,
          sleep: this.sleep,
          onRetry: (error) =>
            observe?.({ type: "retry", table, error: describe(error) }),
        },
      );
    } catch (e) {
      observe?.({ type: "error", table, error: describe(e) });
      throw new TradeStoreError(
        `writing ${batch.length} row(s) to ${table} failed: ${describe(e)}`,
        { cause: e },
      );
    }
    observe?.({
      type: "batch",
      table,
      rows: batch.length,
      seconds: (performance.now() - started) / 1000,
    });
  }
}

function chunk(groups: Statement[][], size: number): Statement[][] {
  const out: Statement[][] = [];
  for (const group of groups) {
    for (let i = 0; i < group.length; i += size) {
      out.push(group.slice(i, i + size));
    }
  }
  return out;
}

function isRetryable(error: unknown): boolean {
  if (error instanceof cassandra.errors.OperationTimedOutError) return true;
  if (error instanceof cassandra.errors.NoHostAvailableError) return true;
  if (error instanceof cassandra.errors.BusyConnectionError) return true;
  if (error instanceof cassandra.errors.ResponseError) {
    return RETRYABLE_CODES.has(error.code);
  }
  return false;
}

function describe(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);
}
