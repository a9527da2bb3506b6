/**
 * Tickline's Prometheus metrics: the metric set, the actor-runtime adapter
 * and the `/metrics` `/healthz` `/readyz` server.
 *
 * @example
 * ```ts
 * import { createPipelineMetrics, startMetricsServer } from "./mod.ts";
 * const metrics = createPipelineMetrics({ partitions: 3 });
 * const server = startMetricsServer({ port: 0, metrics, isReady: () => true });
 * await server.close();
 * ```
 *
 * @module
 */

export {
  BATCH_SIZE_BUCKETS,
  CANDLE_STATES,
  type CandleState,
  CASSANDRA_TABLES,
  type CassandraTable,
  createPipelineMetrics,
  DLQ_DROP_REASONS,
  type DlqDropReason,
  E2E_LATENCY_BUCKETS,
  FEED_ERROR_KINDS,
  FEED_MESSAGE_TYPES,
  type FeedErrorKind,
  type FeedMessageType,
  HANDLER_DURATION_BUCKETS,
  IO_DURATION_BUCKETS,
  KNOWN_ACTOR_KINDS,
  MEMORY_TYPES,
  METRIC_PREFIX,
  type PipelineMetrics,
  type PipelineMetricsOptions,
  PRODUCE_TOPICS,
  REJECT_REASONS,
  TRADE_DROP_REASONS,
  type TradeDropReason,
} from "./pipeline_metrics.ts";
export {
  observeRuntimeEvents,
  type ObserveRuntimeEventsOptions,
  OVERFLOW_KIND,
  type RuntimeEventSubscribe,
} from "./runtime_events.ts";
export { observeStoreEvents, type StoreObserver } from "./store_events.ts";
export {
  metricsHandler,
  type MetricsServer,
  MetricsServerError,
  type MetricsServerOptions,
  type RequestHandler,
  startMetricsServer,
} from "./metrics_server.ts";
