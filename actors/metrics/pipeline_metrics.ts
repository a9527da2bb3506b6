/**
 * The pipeline's Prometheus metrics, all held by one fresh registry so that
 * tests and several pipelines in one process never share state.
 *
 * @module
 */

import v8 from "node:v8";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RejectReason } from "../trade/types.ts";

/** Every metric name starts with this, so dashboards and alerts can find them. */
export const METRIC_PREFIX = "tickline_";

/** Frame types counted by `tickline_feed_messages_total{type}`. */
export const FEED_MESSAGE_TYPES = [
  "trade",
  "ping",
  "error",
  "unknown",
  "invalid_json",
] as const;
/** A value of the `type` label of `tickline_feed_messages_total`. */
export type FeedMessageType = typeof FEED_MESSAGE_TYPES[number];

/** Error kinds counted by `tickline_feed_errors_total{kind}`. */
export const FEED_ERROR_KINDS = [
  "invalid_symbol",
  "too_many_symbols",
  "other",
] as const;
/** A value of the `kind` label of `tickline_feed_errors_total`. */
export type FeedErrorKind = typeof FEED_ERROR_KINDS[number];

/**
 * Every {@linkcode RejectReason}. Typed as a record so adding a reason to the
 * union without adding it here fails type checking.
 */
const REJECT_REASON_SET: Record<RejectReason, true> = {
  invalid_json: true,
  invalid_frame: true,
  binary_frame: true,
  unknown_type: true,
  too_large: true,
  not_an_object: true,
  missing_symbol: true,
  invalid_symbol: true,
  missing_price: true,
  invalid_price: true,
  non_positive_price: true,
  missing_volume: true,
  invalid_volume: true,
  non_positive_volume: true,
  missing_time: true,
  invalid_time: true,
  implausible_time: true,
  future_time: true,
  implausible_price: true,
  implausible_volume: true,
  invalid_conditions: true,
};
/** The `reason` label values of `tickline_trades_rejected_total`. */
export const REJECT_REASONS: readonly RejectReason[] = Object.keys(
  REJECT_REASON_SET,
) as RejectReason[];

/**
 * Why valid trades were dropped before Kafka, the `reason` label of
 * `tickline_trades_dropped_total`: `buffer_full` (Kafka was down, or could
 * not keep up, and the byte-bounded buffer dropped its oldest), `shed` (Kafka
 * was up but slower than the feed, and trade frames were dropped unread
 * while the buffer was nearly full), `shutdown` (stopped while Kafka was
 * unreachable).
 */
export const TRADE_DROP_REASONS = ["buffer_full", "shed", "shutdown"] as const;
/** A value of the `reason` label of `tickline_trades_dropped_total`. */
export type TradeDropReason = typeof TRADE_DROP_REASONS[number];

/**
 * Why dead letters were dropped, the `reason` label of
 * `tickline_dlq_dropped_total`: `queue_full` (the DLQ's byte bound),
 * `send_failed` (after a few tries), `unserialisable`, `too_large`,
 * `shutdown`.
 */
export const DLQ_DROP_REASONS = [
  "queue_full",
  "send_failed",
  "unserialisable",
  "too_large",
  "shutdown",
] as const;
/** A value of the `reason` label of `tickline_dlq_dropped_total`. */
export type DlqDropReason = typeof DLQ_DROP_REASONS[number];

/** Kafka topics' roles, the `topic` label of the produce metrics. */
export const PRODUCE_TOPICS = ["trades", "dlq"] as const;

/** Candle states counted by `tickline_candles_emitted_total{state}`. */
export const CANDLE_STATES = ["provisional", "final", "recomputed"] as const;
/** A value of the `state` label of `tickline_candles_emitted_total`. */
export type CandleState = typeof CANDLE_STATES[number];

/** Cassandra tables, the `table` label of the write metrics. */
export const CASSANDRA_TABLES = ["trades_v2", "trade_aggregates"] as const;
/** A value of the `table` label of the Cassandra write metrics. */
export type CassandraTable = typeof CASSANDRA_TABLES[number];

/** Memory kinds reported by `tickline_process_memory_bytes{type}`. */
export const MEMORY_TYPES = [
  "rss",
  "heap_used",
  "heap_total",
  "external",
] as const;

/** Actor kinds the pipeline is known to use; pre-created so dashboards show zeros, not gaps. */
export const KNOWN_ACTOR_KINDS = [
  "ingest",
  "dlq",
  "partition",
  "window",
  "writer",
] as const;

/** Buckets for ingest-to-durable-write latency: 1 ms to 10 s. */
export const E2E_LATENCY_BUCKETS = [
  0.001,
  0.0025,
  0.005,
  0.0075,
  0.01,
  0.015,
  0.02,
  0.03,
  0.04,
  0.05,
  0.075,
  0.1,
  0.15,
  0.2,
  0.3,
  0.5,
  1,
  2.5,
  5,
  10,
];
/** Buckets for single Kafka produce / Cassandra write calls. */
export const IO_DURATION_BUCKETS = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
];
/** Buckets for rows per Cassandra batch. */
export const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
/** Buckets for one actor message handler. */
export const HANDLER_DURATION_BUCKETS = [
  0.00001,
  0.0001,
  0.0005,
  0.001,
  0.005,
  0.01,
  0.05,
  0.1,
  0.5,
  1,
  5,
];

/** Options of {@linkcode createPipelineMetrics}. */
export interface PipelineMetricsOptions {
  /** Configured symbols; pre-create `tickline_trades_by_symbol_total` series for them. */
  symbols?: string[];
  /** Number of Kafka partitions; pre-creates per-partition series `0..partitions-1`. */
  partitions?: number;
}

/** The pipeline's metrics and the registry that exposes them. */
export interface PipelineMetrics {
  /** The registry every metric below is registered in (never the global one). */
  readonly registry: Registry;
  feedConnected: Gauge;
  feedReconnects: Counter;
  feedMessages: Counter<"type">;
  feedErrors: Counter<"kind">;
  feedLastMessage: Gauge;
  tradesReceived: Counter;
  /**
   * Trades per configured symbol. Only call with a symbol from the configured
   * list (validated trades are), so the label set stays bounded.
   */
  tradesBySymbol: Counter<"symbol">;
  tradesRejected: Counter<"reason">;
  dlqRecords: Counter;
  produceDuration: Histogram;
  produceErrors: Counter;
  /** Produce calls still pending after `KAFKA_PRODUCE_TIMEOUT_MS`, by topic role. */
  produceTimeouts: Counter<"topic">;
  /** Trades acknowledged by Kafka. */
  tradesProduced: Counter;
  /** Valid trades dropped before Kafka, by reason; exact. */
  tradesDropped: Counter<"reason">;
  /** Dead letters dropped instead of produced, by reason; exact. */
  dlqDropped: Counter<"reason">;
  /** Feed frames lost in the ingest mailbox before they were read (only when the process is starved of CPU). */
  feedFramesDropped: Counter;
  /** Bytes of encoded trades waiting for Kafka. */
  ingestBufferBytes: Gauge;
  /** Trades waiting for Kafka. */
  ingestBufferTrades: Gauge;
  /** The configured bound of the ingest buffer. */
  ingestBufferCapacityBytes: Gauge;
  /** Bytes of dead letters waiting for Kafka. */
  dlqQueueBytes: Gauge;
  /** 1 while the last trade produce succeeded and none is overdue, else 0. */
  kafkaProducerHealthy: Gauge;
  /** Symbols this instance ingests now (all of them without leases). */
  ingestOwnedSymbols: Gauge;
  /** Per rebalance: seconds from giving shards up to holding the new ones. */
  ingestHandoverSeconds: Histogram;
  /** Trades that arrived for a symbol this instance does not hold a lease on (another instance ingests them). */
  tradesNotOwned: Counter;
  /** Trades of journal tails (frames a killed process had read), by outcome: `produced` now or already `in_kafka`. */
  journalRecoveredTrades: Counter<"outcome">;
  /** Journal tails waiting to be recovered. */
  journalTails: Gauge;
  /** Journal writes or deletes that failed; the journal stops until the next start. */
  journalErrors: Counter;
  consumerLag: Gauge<"partition">;
  recordsConsumed: Counter<"partition">;
  candlesEmitted: Counter<"state">;
  lateTrades: Counter;
  writeDuration: Histogram<"table">;
  batchSize: Histogram<"table">;
  writeErrors: Counter<"table">;
  writeRetries: Counter<"table">;
  e2eLatency: Histogram;
  actorRestarts: Counter<"kind">;
  actorFailures: Counter<"kind">;
  actorDeadLetters: Counter;
  actorDropped: Counter<"kind">;
  actorMailboxDepth: Gauge<"kind">;
  actorHandlerDuration: Histogram<"kind">;
  processMemory: Gauge<"type">;
  ready: Gauge;
}

/**
 * Creates every pipeline metric in a new registry.
 *
 * @example
 * ```ts
 * import { createPipelineMetrics } from "./pipeline_metrics.ts";
 * const m = createPipelineMetrics({ symbols: ["AAPL"], partitions: 3 });
 * m.tradesReceived.inc();
 * m.consumerLag.set({ partition: "0" }, 12);
 * const text = await m.registry.metrics();
 * ```
 */
export function createPipelineMetrics(
  options: PipelineMetricsOptions = {},
): PipelineMetrics {
  const registry = new Registry();
  const registers = [registry];
  const partitions = Array.from(
    { length: Math.max(0, Math.floor(options.partitions ?? 0)) },
    (_, i) => String(i),
  );

  const counter = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
  ) =>
    new Counter<L>({
      name: METRIC_PREFIX + name,
      help,
      labelNames,
      registers,
    });
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
  ) =>
    new Gauge<L>({
      name: METRIC_PREFIX + name,
      help,
      labelNames,
      registers,
    });
  const histogram = <L extends string>(
    name: string,
    help: string,
    buckets: number[],
    labelNames: readonly L[] = [],
  ) =>
    new Histogram<L>({
      name: METRIC_PREFIX + name,
      help,
      buckets,
      labelNames,
      registers,
    });

  const metrics: PipelineMetrics = {
    registry,
    feedConnected: gauge(
      "feed_connected",
      "1 while the trade feed WebSocket is connected, else 0.",
    ),
    feedReconnects: counter(
      "feed_reconnects_total",
      "Reconnect attempts of the trade feed.",
    ),
    feedMessages: counter(
      "feed_messages_total",
      "Frames received from the feed by type.",
      ["type"],
    ),
    feedErrors: counter(
      "feed_errors_total",
      "Error frames sent by the feed by kind.",
      ["kind"],
    ),
    feedLastMessage: gauge(
      "feed_last_message_timestamp_seconds",
      "UNIX time of the last frame received from the feed.",
    ),
    tradesReceived: counter(
      "trades_received_total",
      "Trades received from the feed, before validation.",
    ),
    tradesBySymbol: counter(
      "trades_by_symbol_total",
      "Valid trades per configured symbol.",
      ["symbol"],
    ),
    tradesRejected: counter(
      "trades_rejected_total",
      "Trades that failed validation, by reason.",
      ["reason"],
    ),
    dlqRecords: counter(
      "dlq_records_total",
      "Records produced to the dead-letter topic.",
    ),
    produceDuration: histogram(
      "produce_duration_seconds",
      "Duration of one Kafka produce call.",
      IO_DURATION_BUCKETS,
    ),
    produceErrors: counter(
      "produce_errors_total",
      "Kafka produce calls that failed.",
    ),
    produceTimeouts: counter(
      "produce_timeouts_total",
      "Kafka produce calls still pending after KAFKA_PRODUCE_TIMEOUT_MS, by topic role.",
      ["topic"],
    ),
    tradesProduced: counter(
      "trades_produced_total",
      "Trades acknowledged by Kafka.",
    ),
    tradesDropped: counter(
      "trades_dropped_total",
      "Valid trades dropped before Kafka, by reason.",
      ["reason"],
    ),
    dlqDropped: counter(
      "dlq_dropped_total",
      "Dead letters dropped instead of produced, by reason.",
      ["reason"],
    ),
    feedFramesDropped: counter(
      "feed_frames_dropped_total",
      "Feed frames lost in the ingest mailbox before they were read.",
    ),
    ingestOwnedSymbols: gauge(
      "ingest_owned_symbols",
      "Symbols this instance ingests now.",
    ),
    ingestHandoverSeconds: histogram(
      "ingest_handover_seconds",
      "Per rebalance of the ingest leases: seconds from giving shards up to holding the new ones.",
      [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    ),
    tradesNotOwned: counter(
      "trades_not_owned_total",
      "Trades received for a symbol another instance holds the ingest lease of; not produced.",
    ),
    journalRecoveredTrades: counter(
      "ingest_journal_recovered_trades_total",
      "Trades of frames a killed process had read but not settled, recovered from the ingest journal: produced now, or found in Kafka already.",
      ["outcome"],
    ),
    journalTails: gauge(
      "ingest_journal_tails",
      "Journal tails (unsettled frames of an ended ingest) waiting to be recovered.",
    ),
    journalErrors: counter(
      "ingest_journal_errors_total",
      "Ingest journal writes or deletes that failed; journaling stops until the next start.",
    ),
    ingestBufferBytes: gauge(
      "ingest_buffer_bytes",
      "Bytes of encoded trades waiting for Kafka.",
    ),
    ingestBufferTrades: gauge(
      "ingest_buffer_trades",
      "Trades waiting for Kafka.",
    ),
    ingestBufferCapacityBytes: gauge(
      "ingest_buffer_capacity_bytes",
      "The configured bound of the ingest buffer (INGEST_BUFFER_BYTES).",
    ),
    dlqQueueBytes: gauge(
      "dlq_queue_bytes",
      "Bytes of dead letters waiting for Kafka.",
    ),
    kafkaProducerHealthy: gauge(
      "kafka_producer_healthy",
      "1 while the last trade produce succeeded and none is overdue, else 0.",
    ),
    consumerLag: gauge(
      "consumer_lag_records",
      "Records between the consumer's position and the partition's end.",
      ["partition"],
    ),
    recordsConsumed: counter(
      "records_consumed_total",
      "Records consumed from the trades topic, by partition.",
      ["partition"],
    ),
    candlesEmitted: counter(
      "candles_emitted_total",
      "1-minute candles emitted, by state.",
      ["state"],
    ),
    lateTrades: counter(
      "late_trades_total",
      "Trades that arrived after their window was final.",
    ),
    writeDuration: histogram(
      "cassandra_write_duration_seconds",
      "Duration of one Cassandra write (batch), by table.",
      IO_DURATION_BUCKETS,
      ["table"],
    ),
    batchSize: histogram(
      "cassandra_batch_size",
      "Rows per Cassandra write, by table.",
      BATCH_SIZE_BUCKETS,
      ["table"],
    ),
    writeErrors: counter(
      "cassandra_write_errors_total",
      "Cassandra writes that failed for good, by table.",
      ["table"],
    ),
    writeRetries: counter(
      "cassandra_write_retries_total",
      "Cassandra write retries, by table.",
      ["table"],
    ),
    e2eLatency: histogram(
      "e2e_latency_seconds",
      "Time from ingest to durable write of a trade.",
      E2E_LATENCY_BUCKETS,
    ),
    actorRestarts: counter(
      "actor_restarts_total",
      "Actor restarts by a supervisor, by actor kind.",
      ["kind"],
    ),
    actorFailures: counter(
      "actor_failures_total",
      "Actor handler failures, by actor kind.",
      ["kind"],
    ),
    actorDeadLetters: counter(
      "actor_dead_letters_total",
      "Messages sent to stopped actors.",
    ),
    actorDropped: counter(
      "actor_dropped_messages_total",
      "Messages dropped by a full mailbox, by actor kind.",
      ["kind"],
    ),
    actorMailboxDepth: gauge(
      "actor_mailbox_depth",
      "Largest mailbox depth among running actors of a kind.",
      ["kind"],
    ),
    actorHandlerDuration: histogram(
      "actor_handler_duration_seconds",
      "Duration of one actor message handler, by actor kind.",
      HANDLER_DURATION_BUCKETS,
      ["kind"],
    ),
    processMemory: new Gauge<"type">({
      name: METRIC_PREFIX + "process_memory_bytes",
      help: "Memory of this process by type, read at scrape time.",
      labelNames: ["type"],
      registers,
      // Read on scrape: Deno.memoryUsage() needs no extra permission, unlike
      // prom-client's process metrics that read /proc.
      collect() {
        const usage = Deno.memoryUsage();
        this.set({ type: "rss" }, usage.rss);
        this.set({ type: "heap_used" }, usage.heapUsed);
        this.set({ type: "heap_total" }, usage.heapTotal);
        this.set({ type: "external" }, usage.external);
        // V8's own allocations outside the heap (parser and compiler zones).
        this.set(
          { type: "v8_malloced" },
          v8.getHeapStatistics().malloced_memory,
        );
      },
    }),
    ready: gauge("ready", "1 when the pipeline is ready to serve, else 0."),
  };

  // Pre-create bounded series so rate() and absent-series alerts see zeros
  // from the first scrape instead of no data.
  metrics.feedConnected.set(0);
  metrics.ready.set(0);
  for (const type of FEED_MESSAGE_TYPES) metrics.feedMessages.inc({ type }, 0);
  for (const kind of FEED_ERROR_KINDS) metrics.feedErrors.inc({ kind }, 0);
  for (const reason of REJECT_REASONS) {
    metrics.tradesRejected.inc({ reason }, 0);
  }
  for (const reason of TRADE_DROP_REASONS) {
    metrics.tradesDropped.inc({ reason }, 0);
  }
  for (const reason of DLQ_DROP_REASONS) metrics.dlqDropped.inc({ reason }, 0);
  for (const topic of PRODUCE_TOPICS) {
    metrics.produceTimeouts.inc({ topic }, 0);
  }
  for (const symbol of options.symbols ?? []) {
    metrics.tradesBySymbol.inc({ symbol }, 0);
  }
  for (const partition of partitions) {
    metrics.consumerLag.set({ partition }, 0);
    metrics.recordsConsumed.inc({ partition }, 0);
  }
  for (const state of CANDLE_STATES) metrics.candlesEmitted.inc({ state }, 0);
  for (const table of CASSANDRA_TABLES) {
    metrics.writeErrors.inc({ table }, 0);
    metrics.writeRetries.inc({ table }, 0);
  }
  for (const kind of KNOWN_ACTOR_KINDS) {
    metrics.actorRestarts.inc({ kind }, 0);
    metrics.actorFailures.inc({ kind }, 0);
    metrics.actorDropped.inc({ kind }, 0);
    metrics.actorMailboxDepth.set({ kind }, 0);
  }
  return metrics;
}
