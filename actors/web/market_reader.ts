/**
 * Reads candles and trades for the market page from Cassandra, with its own
 * prepared statements. It never blocks start-up: the client connects in the
 * background and keeps retrying, and until it is connected (or while
 * Cassandra is unreachable) every read throws
 * {@linkcode MarketStoreUnavailableError}, which the API answers with 503.
 *
 * @module
 */
import cassandra from "cassandra-driver";
import { Backoff } from "../../runtime/mod.ts";
import type { Logger } from "../../runtime/mod.ts";
import { computeCandle } from "../window/mod.ts";
import { utcDaysOf, utcMonthsOf } from "./partitions.ts";

/** One 1-minute candle as the page draws it; `time` is the window start in UTC ms. */
export interface PageCandle {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number;
  /** False while the minute is still open (a provisional candle). */
  final: boolean;
}

/** One raw trade as the page lists it; (time, partition, offset) is its unique key. */
export interface PageTrade {
  time: number;
  partition: number;
  offset: number;
  price: number;
  volume: number;
}

/** The position of a trade in the store's order: time, then Kafka partition and offset. */
export type TradeKey = Pick<PageTrade, "time" | "partition" | "offset">;

/** What the web layer needs to read; the Cassandra implementation is below, tests may fake it. */
export interface MarketReader {
  /** Candles with `time` in `[from, to)`, oldest first, at most `limit`. */
  candles(
    symbol: string,
    from: number,
    to: number,
    limit: number,
  ): Promise<PageCandle[]>;
  /** The newest `limit` trades with `time` in `[from, to)`, newest first. */
  trades(
    symbol: string,
    from: number,
    to: number,
    limit: number,
  ): Promise<PageTrade[]>;
  /** Statements executed so far (to show that a refused request read nothing). */
  readonly queries: number;
  /** True once connected. */
  readonly connected: boolean;
  close(): Promise<void>;
}

/** Raised while Cassandra cannot be reached; the API maps it to 503. */
export class MarketStoreUnavailableError extends Error {
  /** @param message what is unavailable; @param options the driver's error */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MarketStoreUnavailableError";
  }
}

/** Settings of {@linkcode CassandraMarketReader}. */
export interface MarketReaderSettings {
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
  logger: Logger;
  /** Delays between connection attempts; defaults 250 ms doubling to 10 s. */
  backoff?: { minMs: number; maxMs: number };
  /** Per-request time-out in ms; default 10 s. */
  readTimeoutMs?: number;
}

const SELECT_CANDLES =
  `SELECT window_start, open, high, low, close, volume, trade_count, is_final
  FROM trade_aggregates WHERE symbol = ? AND trade_year = ? AND trade_month = ?
  AND window_start >= ? AND window_start < ? LIMIT ?`;
const SELECT_TRADES =
  `SELECT ts, kafka_partition, kafka_offset, price, volume FROM trades_v2
  WHERE symbol = ? AND trade_year = ? AND trade_month = ? AND trade_day = ?
  AND ts >= ? AND ts < ? LIMIT ?`;

const UNAVAILABLE = [
  cassandra.errors.NoHostAvailableError,
  cassandra.errors.OperationTimedOutError,
  cassandra.errors.BusyConnectionError,
];

/**
 * The Cassandra {@linkcode MarketReader}.
 *
 * @example
 * ```ts ignore
 * const reader = CassandraMarketReader.start({ contactPoints: ["127.0.0.1:9042"],
 *   localDataCenter: "datacenter1", keyspace: "market", logger });
 * const candles = await reader.candles("AAPL", Date.now() - 3_600_000, Date.now(), 100);
 * await reader.close();
 * ```
 */
export class CassandraMarketReader implements MarketReader {
  #client?: cassandra.Client;
  #closed = false;
  #queries = 0;
  #timer?: ReturnType<typeof setTimeout>;
  #wake?: () => void;
  #lastError = "not connected yet";
  readonly #connecting: Promise<void>;

  private constructor(private readonly settings: MarketReaderSettings) {
    this.#connecting = this.#connectLoop();
  }

  /** Starts connecting in the background and returns at once. */
  static start(settings: MarketReaderSettings): CassandraMarketReader {
    return new CassandraMarketReader(settings);
  }

  get queries(): number {
    return this.#queries;
  }

  get connected(): boolean {
    return this.#client !== undefined;
  }

  async #connectLoop(): Promise<void> {
    const { minMs, maxMs } = this.settings.backoff ??
      { minMs: 250, maxMs: 10_000 };
    const backoff = new Backoff({ minMs, maxMs, resetAfterMs: Infinity });
    while (!this.#closed) {
      const client = new cassandra.Client({
        contactPoints: this.settings.contactPoints,
        localDataCenter: this.settings.localDataCenter,
        keyspace: this.settings.keyspace,
        queryOptions: {
          consistency: cassandra.types.consistencies.localOne,
          prepare: true,
        },
        socketOptions: {
          readTimeout: this.settings.readTimeoutMs ?? 10_000,
          connectTimeout: 5_000,
        },
      });
      try {
        await client.connect();
        if (this.#closed) {
          await client.shutdown().catch(() => {});
          return;
        }
        this.#client = client;
        this.settings.logger.info("market reader connected to Cassandra");
        return;
      } catch (e) {
        await client.shutdown().catch(() => {});
        this.#lastError = describe(e);
        const delay = backoff.next(Date.now());
        this.settings.logger.warn("market reader cannot reach Cassandra yet", {
          error: this.#lastError,
          retryInMs: Math.round(delay),
        });
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          this.#timer = setTimeout(resolve, delay);
        });
      }
    }
  }

  #clientOrThrow(): cassandra.Client {
    if (this.#client) return this.#client;
    throw new MarketStoreUnavailableError(
      `Cassandra is not reachable yet (${this.#lastError}); the page retries by itself`,
    );
  }

  async #run(query: string, params: unknown[], fetchSize: number) {
    const client = this.#clientOrThrow();
    this.#queries++;
    try {
      return await client.execute(query, params, { prepare: true, fetchSize });
    } catch (e) {
      if (UNAVAILABLE.some((cls) => e instanceof cls)) {
        throw new MarketStoreUnavailableError(
          `Cassandra did not answer: ${describe(e)}`,
          { cause: e },
        );
      }
      throw e;
    }
  }

  async candles(
    symbol: string,
    from: number,
    to: number,
    limit: number,
  ): Promise<PageCandle[]> {
    // Months are independent partitions: read them at once, then put them in order.
    const months = utcMonthsOf(from, to);
    const parts = await Promise.all(months.map(async (m) => {
      const rs = await this.#run(SELECT_CANDLES, [
        symbol,
        m.year,
        m.month,
        new Date(from),
        new Date(to),
        limit,
      ], limit);
      const out: PageCandle[] = [];
      // Clustering order is window_start DESC; the page wants oldest first.
      for (let i = rs.rows.length - 1; i >= 0; i--) {
        const r = rs.rows[i];
        out.push({
          time: (r.get("window_start") as Date).getTime(),
          open: r.get("open"),
          high: r.get("high"),
          low: r.get("low"),
          close: r.get("close"),
          volume: r.get("volume"),
          trades: r.get("trade_count"),
          final: r.get("is_final") === true,
        });
      }
      return out;
    }));
    const all = parts.flat();
    return all.length > limit ? all.slice(all.length - limit) : all;
  }

  async trades(
    symbol: string,
    from: number,
    to: number,
    limit: number,
  ): Promise<PageTrade[]> {
    // Newest day first, stopping once `limit` trades are found: a long range
    // with a small limit reads one or two partitions, not all of them.
    const days = utcDaysOf(from, to).reverse();
    const out: PageTrade[] = [];
    for (const d of days) {
      const want = limit - out.length;
      if (want <= 0) break;
      const rs = await this.#run(SELECT_TRADES, [
        symbol,
        d.year,
        d.month,
        d.day,
        new Date(from),
        new Date(to),
        want,
      ], want);
      const rows = rs.rows.map((r): PageTrade => ({
        time: (r.get("ts") as Date).getTime(),
        partition: r.get("kafka_partition"),
        offset: Number(r.get("kafka_offset")),
        price: r.get("price"),
        volume: r.get("volume"),
      }));
      // Within one ts the clustering is (partition, offset) ascending; make
      // the whole list strictly newest first in the store's total order.
      rows.sort((a, b) => compareTrades(b, a));
      out.push(...rows);
    }
    return out;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#wake?.();
    await this.#connecting;
    const client = this.#client;
    this.#client = undefined;
    await client?.shutdown();
  }
}

/**
 * Orders trades by (time, partition, offset), the order of the pipeline's
 * windows, so "after the cursor" means the same thing everywhere.
 *
 * @example
 * ```ts
 * import { compareTrades } from "./market_reader.ts";
 * console.assert(compareTrades({ time: 1, partition: 0, offset: 5 }, { time: 1, partition: 1, offset: 0 }) < 0);
 * ```
 */
export function compareTrades(a: TradeKey, b: TradeKey): number {
  return a.time - b.time || a.partition - b.partition || a.offset - b.offset;
}

/**
 * The candles of `trades` (any order), one per minute, oldest first, computed
 * exactly as the pipeline computes them; marked not final.
 *
 * @example
 * ```ts
 * import { candlesFromTrades } from "./market_reader.ts";
 * const [c] = candlesFromTrades("AAPL", [
 *   { time: 60_001, partition: 0, offset: 1, price: 10, volume: 2 },
 *   { time: 60_002, partition: 0, offset: 2, price: 11, volume: 1 },
 * ]);
 * console.assert(c.time === 60_000 && c.open === 10 && c.close === 11 && c.volume === 3);
 * ```
 */
export function candlesFromTrades(
  symbol: string,
  trades: readonly PageTrade[],
): PageCandle[] {
  const byMinute = new Map<number, PageTrade[]>();
  for (const t of trades) {
    const minute = t.time - (t.time % 60_000);
    let list = byMinute.get(minute);
    if (!list) byMinute.set(minute, list = []);
    list.push(t);
  }
  return [...byMinute.entries()].sort(([a], [b]) => a - b).map(
    ([minute, list]) => {
      const c = computeCandle(
        symbol,
        minute,
        list.map((t) => ({ ...t, timestamp: t.time })),
      );
      return {
        time: minute,
        open: c.open,
        high: c.high,
        low: c.low,
        close: c.close,
        volume: c.volume,
        trades: c.tradeCount,
        final: false,
      };
    },
  );
}

function describe(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);
}
