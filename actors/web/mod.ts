/**
 * The live market page served by the app at `/`, its read API and its
 * server-sent events, reading Cassandra with its own prepared statements.
 *
 * @example
 * ```ts ignore
 * import { createMarketWeb } from "./mod.ts";
 * const web = createMarketWeb({ symbols: ["AAPL"], metrics, logger,
 *   cassandra: { contactPoints: ["127.0.0.1:9042"], localDataCenter: "datacenter1", keyspace: "market" } });
 * startMetricsServer({ metrics, isReady, fallback: web.handle });
 * ```
 *
 * @module
 */
export {
  type ApiErrorKind,
  ApiParamError,
  apiParsers,
  type CandlesQuery,
  DEFAULT_TRADE_LIMIT,
  MAX_CANDLE_ROWS,
  MAX_RANGE_MS,
  MAX_TRADE_LIMIT,
  type TradesQuery,
} from "./api_params.ts";
export { HealthProbe, type HealthSnapshot } from "./health.ts";
export {
  decodeCursor,
  encodeCursor,
  liveStream,
  type LiveStreamOptions,
  type Tick,
} from "./live_stream.ts";
export {
  candlesFromTrades,
  CassandraMarketReader,
  compareTrades,
  type MarketReader,
  type MarketReaderSettings,
  MarketStoreUnavailableError,
  type PageCandle,
  type PageTrade,
  type TradeKey,
} from "./market_reader.ts";
export {
  type UtcDay,
  utcDaysOf,
  type UtcMonth,
  utcMonthsOf,
} from "./partitions.ts";
export {
  createMarketWeb,
  type MarketWeb,
  type MarketWebOptions,
} from "./web_app.ts";
