/**
 * Cassandra implementation of the trade store with cassandra-driver:
 * prepared statements only, unlogged batches grouped by partition key with a
 * size bound, bounded concurrency, and errors that say whether they pass.
 * Retrying is the writer actors' business: they wait out an outage.
 *
 * @module
 */
import cassandra from "cassandra-driver";
import type { Logger } from "../../runtime/types.ts";
import type { LoggedTrade } from "../trade/types.ts";
import type { CandleRow, StoredTrade, TradeStore } from "./trade_store.ts";
import type { Buffer } from "node:buffer";
import {
  ConditionsEncodings,
  CQL_HOURS,
  cqlBigint,
  cqlInt,
  cqlText,
  cqlTimestamp,
} from "./cql_values.ts";

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
  /** Observes each executed batch and each failed one. */
  observe?: (event: StoreEvent) => void;
}

/** What the store reports for metrics and health. */
export type StoreEvent =
  | { type: "batch"; table: Table; rows: number; seconds: number }
  | { type: "error"; table: Table; error: string; transient: boolean };

/** The two tables written. */
export type Table = "trades_v2" | "trade_aggregates";

/**
 * Raised when a store operation fails. `transient` says whether trying
 * again later can succeed (Cassandra down, overloaded or timing out) or
 * whether the request itself is wrong (a bug: retrying cannot help).
 */
export class TradeStoreError extends Error {
  /** @param message What failed and what to check. */
  constructor(
    message: string,
    readonly transient: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "TradeStoreError";
  }
}

/**
 * Write timestamps of candle rows (microseconds, Cassandra's last-write-wins
 * clock). Rows are upserted by several writers that race: a provisional
 * queued behind a slow Cassandra, a stalled member resuming after its
 * partitions moved, a replay that saw only part of a minute. Ordering by
 * wall clock would let any of them overwrite a final candle. Instead every
 * final sorts above every provisional, and among rows of one kind the one
 * built from more trades wins: a partial candle's trades are a strict
 * subset of the complete one's, so it can never replace it, whatever order
 * the writes land in. Equal counts mean the same trades, hence equal rows.
 */
const FINAL_BASE = cassandra.types.Long.fromString("4000000000000000000");
const PROVISIONAL_BASE = cassandra.types.Long.fromString(
  "3000000000000000000",
);

/**
 * The write timestamp of a candle row; see the ordering argument above.
 *
 * @example
 * ```ts ignore
 * candleWriteTimestamp(10, true).greaterThan(candleWriteTimestamp(11, false)); // true
 * ```
 */
export function candleWriteTimestamp(
  updates: number,
  isFinal: boolean,
): cassandra.types.Long {
  return (isFinal ? FINAL_BASE : PROVISIONAL_BASE).add(
    cassandra.types.Long.fromNumber(updates),
  );
}

const INSERT_TRADE =
  `INSERT INTO trades_v2 (symbol, trade_year, trade_month, trade_day, ts,
  kafka_partition, kafka_offset, trade_hour, price, volume, conditions, ingested_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const UPSERT_CANDLE =
  `INSERT INTO trade_aggregates (symbol, trade_year, trade_month, window_start,
  window_end, open, high, low, close, volume, trade_count, vwap, is_final, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
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

/** Rows of one Cassandra partition (symbol and UTC day) and its key's values. */
interface TradeGroup {
  rows: Statement[];
  key: readonly [Buffer, Buffer, Buffer, Buffer];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

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
  readonly #conditions = new ConditionsEncodings();

  private constructor(
    private readonly client: cassandra.Client,
    private readonly settings: CassandraStoreSettings,
  ) {}

  /**
   * Creates the store without waiting for Cassandra: the driver connects on
   * first use and again after an outage, so the app starts (and waits) while
   * Cassandra is down. Until then every call fails with a transient
   * {@linkcode TradeStoreError}.
   */
  static open(settings: CassandraStoreSettings): CassandraTradeStore {
    const client = new cassandra.Client({
      contactPoints: settings.contactPoints,
      localDataCenter: settings.localDataCenter,
      keyspace: settings.keyspace,
      queryOptions: {
        consistency: cassandra.types.consistencies.localQuorum,
        prepare: true,
      },
      pooling: { maxRequestsPerConnection: 2048 },
      socketOptions: { readTimeout: 12_000, connectTimeout: 5_000 },
      policies: {
        // The default grows to 10 minutes: after a long outage the app would
        // stay away that long. Writers back off on their own, so poll often.
        reconnection: new cassandra.policies.reconnection
          .ExponentialReconnectionPolicy(250, 5_000, false),
      },
    });
    return new CassandraTradeStore(client, settings);
  }

  async writeTrades(trades: readonly LoggedTrade[]): Promise<void> {
    // Values as CQL bytes (cql_values.ts): a group's partition key, an hour,
    // a partition and a conditions list are encoded once for all their rows.
    const groups = new Map<string, TradeGroup>();
    let partition = -1;
    let partitionValue = cqlInt(0);
    for (const t of trades) {
      const dayNumber = Math.floor(t.timestamp / DAY_MS);
      const key = `${t.symbol}\u0000${dayNumber}`;
      let group = groups.get(key);
      if (!group) {
        const { year, month, day } = utcParts(t.timestamp);
        group = {
          rows: [],
          key: [cqlText(t.symbol), cqlInt(year), cqlInt(month), cqlInt(day)],
        };
        groups.set(key, group);
      }
      if (t.partition !== partition) {
        partition = t.partition;
        partitionValue = cqlInt(partition);
      }
      const [symbol, year, month, day] = group.key;
      group.rows.push({
        query: INSERT_TRADE,
        params: [
          symbol,
          year,
          month,
          day,
          cqlTimestamp(t.timestamp),
          partitionValue,
          cqlBigint(t.offset),
          CQL_HOURS[Math.floor((t.timestamp - dayNumber * DAY_MS) / HOUR_MS)],
          t.price,
          t.volume,
          this.#conditions.of(t.conditions),
          cqlTimestamp(t.ingestedAt),
        ],
      });
    }
    await this.runBatches(
      "trades_v2",
      chunk([...groups.values()].map((g) => g.rows), this.settings.batchRows),
    );
  }

  async writeCandles(rows: readonly CandleRow[]): Promise<void> {
    // Order does not matter: write timestamps decide which row wins.
    const now = new Date();
    await this.runBatches(
      "trade_aggregates",
      rows.map(({ candle, isFinal }) => {
        const { year, month } = utcParts(candle.windowStart);
        return [{
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
            candleWriteTimestamp(candle.updates ?? candle.tradeCount, isFinal),
          ],
        }];
      }),
    );
  }

  async hasFinalCandle(symbol: string, windowStart: number): Promise<boolean> {
    const { year, month } = utcParts(windowStart);
    try {
      const rs = await this.client.execute(
        SELECT_FINAL,
        [symbol, year, month, new Date(windowStart)],
        { prepare: true },
      );
      return rs.rows[0]?.get("is_final") === true;
    } catch (e) {
      throw new TradeStoreError(
        `reading ${symbol}'s candle of ${windowStart} failed: ${describe(e)}`,
        isTransient(e),
        { cause: e },
      );
    }
  }

  async readTrades(
    symbol: string,
    from: number,
    to: number,
  ): Promise<StoredTrade[]> {
    const { year, month, day } = utcParts(from);
    const out: StoredTrade[] = [];
    try {
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
    } catch (e) {
      throw new TradeStoreError(
        `reading ${symbol}'s trades of [${from}, ${to}) failed: ${describe(e)}`,
        isTransient(e),
        { cause: e },
      );
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
      if (batch.length === 1) {
        await this.client.execute(batch[0].query, batch[0].params, {
          prepare: true,
        });
      } else {
        await this.client.batch(batch, { prepare: true, logged: false });
      }
    } catch (e) {
      const transient = isTransient(e);
      observe?.({ type: "error", table, error: describe(e), transient });
      throw new TradeStoreError(
        `writing ${batch.length} row(s) to ${table} failed: ${describe(e)}${
          transient
            ? " (Cassandra down or overloaded: retried with back-off)"
            : "; the request was refused, which retrying cannot fix: check the schema (deno task infra:up applies it)"
        }`,
        transient,
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

/**
 * True for failures that pass: no host reachable, time-outs, overload.
 *
 * @example
 * ```ts ignore
 * if (isTransient(error)) await sleep(backoff.next(now));
 * ```
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof TradeStoreError) return error.transient;
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
