/**
 * The trade log as the actors see it: a producer of trades and dead letters
 * and a partitioned source with manual commits. Kafka is one implementation
 * (see `kafka_trade_log.ts`); tests may bring others.
 *
 * @module
 */
import type { DeadLetter, Trade } from "../trade/types.ts";

/** Writes to the log; each call resolves once the records are durable. */
export interface TradeProducer {
  /** One record per trade, keyed by symbol; resolves once acknowledged by all in-sync replicas. */
  sendTrades(trades: readonly Trade[]): Promise<void>;
  /** Writes rejected inputs to the dead-letter topic with their reasons. */
  sendDeadLetters(letters: readonly DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}

/** One record as read from a partition. */
export interface LogRecord {
  offset: number;
  key: string | null;
  value: Uint8Array | null;
}

/** Records of one partition, in offset order. */
export interface LogBatch {
  partition: number;
  /** Bumped by each {@linkcode TradeSource.rewind}; batches of older epochs are stale. */
  epoch: number;
  records: LogRecord[];
  /** Offset of the next record the broker will write (for lag). */
  highWatermark: number;
}

/** What the source calls as partitions come, go and deliver records. */
export interface PartitionListener {
  /** Partitions newly assigned to this instance. */
  assigned(partitions: number[]): Promise<void>;
  /** Partitions taken away; resolve once what they hold is flushed. */
  revoked(partitions: number[]): Promise<void>;
  /**
   * A batch of records. Resolve only when the records are accepted
   * downstream: that await is the back-pressure that slows the fetch loop.
   */
  batch(batch: LogBatch, heartbeat: () => Promise<void>): Promise<void>;
}

/** Reads the log as one member of a consumer group. */
export interface TradeSource {
  /** Joins the group and starts delivering to `listener`. */
  start(listener: PartitionListener): Promise<void>;
  /** Commits `nextOffset` (the first record not yet durably handled). */
  commit(partition: number, nextOffset: number): Promise<void>;
  /**
   * Seeks the partition back to its committed offset so everything after it
   * is delivered again; returns the new epoch.
   */
  rewind(partition: number): Promise<{ epoch: number; offset: number }>;
  /**
   * The log's end now: per partition, the offset of the next record the
   * broker will write (its high watermark). A partition that has handed out
   * every record below its end has read everything appended before the call.
   */
  logEnds(): Promise<Map<number, number>>;
  stop(): Promise<void>;
}
