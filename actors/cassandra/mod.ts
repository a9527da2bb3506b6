/**
 * The trade store: the interface the actors use, and the Cassandra implementation.
 *
 * @example
 * ```ts ignore
 * import { CassandraTradeStore } from "./mod.ts";
 * ```
 *
 * @module
 */
export type { CandleRow, StoredTrade, TradeStore } from "./trade_store.ts";
export {
  candleWriteTimestamp,
  type CassandraStoreSettings,
  CassandraTradeStore,
  isTransient,
  type StoreEvent,
  type Table,
  TradeStoreError,
  utcParts,
} from "./cassandra_trade_store.ts";
export { type RetryOptions, retryWithBackoff } from "./retry.ts";
