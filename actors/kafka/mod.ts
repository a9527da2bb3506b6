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
  KafkaTradeSource,
  type SourceSettings,
  TradeLogError,
} from "./kafka_trade_log.ts";
export {
  chunkByBytes,
  DEFAULT_MAX_REQUEST_BYTES,
  type EncodedRecord,
  KafkaTradeProducer,
  letterRecord,
  type ProducerSettings,
  RECORD_OVERHEAD_BYTES,
  type RecordProducer,
  RecordTooLargeError,
  tradeRecord,
} from "./kafka_trade_producer.ts";
export { kafkaLogLevel } from "./kafka_log.ts";
export {
  KafkaTopicScan,
  type ScannedRecord,
  type TopicScan,
} from "./kafka_topic_scan.ts";
export {
  type IngestLeaseSettings,
  KafkaIngestLeases,
  type LeaseListener,
  leaseSessionTimeoutMs,
  TAKEOVER_REBALANCE_MS,
} from "./ingest_leases.ts";
