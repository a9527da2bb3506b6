/**
 * The trade log: interfaces the actors use, and the Kafka implementation.
 *
 * @example
 * ```ts ignore
 * import { createKafka, KafkaTradeProducer } from "./mod.ts";
 * ```
 *
 * @module
 */
export type {
  LogBatch,
  LogRecord,
  PartitionListener,
  TradeProducer,
  TradeSource,
} from "./trade_log.ts";
export {
  createKafka,
  type KafkaSettings,
  KafkaTradeProducer,
  KafkaTradeSource,
  type SourceSettings,
  TradeLogError,
} from "./kafka_trade_log.ts";
