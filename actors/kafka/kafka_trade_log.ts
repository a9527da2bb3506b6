/**
 * Kafka implementation of the trade log with kafkajs: the client factory and
 * a consumer-group source with manual commits and back-pressure through the
 * awaited batch handler. The producer is in `kafka_trade_producer.ts`.
 *
 * @module
 */
import { type Admin, type Consumer, Kafka, logLevel } from "kafkajs";
import type { Logger } from "../../runtime/types.ts";
import { installFastVarints } from "./fast_varints.ts";
import { kafkaLogLevel } from "./kafka_log.ts";
import type { LogBatch, PartitionListener, TradeSource } from "./trade_log.ts";

/** Connection settings shared by producer and source. */
export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** Time-out of one request to a broker. Default kafkajs's 30 s. */
  requestTimeoutMs?: number;
  /** Time-out of connecting to a broker. Default kafkajs's 1 s. */
  connectionTimeoutMs?: number;
  /** Retries of connecting and of metadata requests. Default 8 from 100 ms. */
  retry?: { initialRetryTime: number; maxRetryTime?: number; retries: number };
}

/** Raised when the broker cannot be reached or refuses a request. */
export class TradeLogError extends Error {
  /** @param message What failed and what to check. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TradeLogError";
  }
}

/**
 * Creates a kafkajs client whose logs go to `logger`.
 *
 * @example
 * ```ts ignore
 * const kafka = createKafka({ brokers: ["127.0.0.1:9092"], clientId: "t", logger: console });
 * ```
 */
export function createKafka(settings: KafkaSettings): Kafka {
  const { logger } = settings;
  // Same bytes, a fraction of the CPU (fast_varints.ts).
  installFastVarints();
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    logLevel: logLevel.WARN,
    retry: settings.retry ?? { initialRetryTime: 100, retries: 8 },
    ...(settings.requestTimeoutMs === undefined
      ? {}
      : { requestTimeout: settings.requestTimeoutMs }),
    ...(settings.connectionTimeoutMs === undefined
      ? {}
      : { connectionTimeout: settings.connectionTimeoutMs }),
    logCreator: () => ({ namespace, level, log }) => {
      // kafkajs's stack traces say nothing the message does not.
      const { message, stack: _stack, ...rest } = log;
      const fields = { component: "kafkajs", namespace, ...rest } as Record<
        string,
        unknown
      >;
      // Routine rebalance and coordinator chatter is not an error (kafka_log.ts).
      logger[kafkaLogLevel(level, log)](String(message), fields);
    },
  });
}

/** Settings of {@linkcode KafkaTradeSource}. */
export interface SourceSettings {
  groupId: string;
  topic: string;
  /** How many partitions' batches may be handled at once. */
  concurrency: number;
  /** A member silent this long loses its partitions to the others. */
  sessionTimeoutMs: number;
  logger: Logger;
}

/**
 * Bounds of one fetch. A fetched batch lives decoded (a few hundred bytes of
 * objects per record) until its partition admits it, so kafkajs's defaults
 * (10 MiB, 1 MiB per partition) held tens of MiB of heap under a flood;
 * these still fetch far more per round trip than one instance can write.
 */
const FETCH_MAX_BYTES = 4 * 1024 * 1024;
const FETCH_MAX_BYTES_PER_PARTITION = 512 * 1024;

/** One decoder for every record key: a decoder per record was measurable. */
const KEY_DECODER = new TextDecoder();

/**
 * A consumer-group member that delivers batches per partition, commits only
 * when told, and can rewind a partition to its committed offset.
 *
 * @example
 * ```ts ignore
 * const source = new KafkaTradeSource(kafka, { groupId: "tickline", topic: "trades", concurrency: 3, logger });
 * await source.start(listener);
 * ```
 */
export class KafkaTradeSource implements TradeSource {
  private consumer?: Consumer;
  private readonly admin: Admin;
  private readonly epochs = new Map<number, number>();
  private readonly committed = new Map<number, number>();
  private owned = new Set<number>();
  private listener?: PartitionListener;
  private membership: Promise<void> = Promise.resolve();

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: SourceSettings,
  ) {
    this.admin = kafka.admin();
  }

  /**
   * Joins the group with a fresh kafkajs consumer (a running one is stopped
   * first: kafkajs cannot subscribe a consumer twice), and resolves once it
   * runs.
   */
  async start(listener: PartitionListener): Promise<void> {
    await this.stop();
    this.listener = listener;
    this.owned = new Set();
    const { settings } = this;
    const consumer = this.kafka.consumer({
      groupId: settings.groupId,
      // Low waits keep end-to-end latency in milliseconds, not the 5 s default.
      maxWaitTimeInMs: 20,
      minBytes: 1,
      maxBytes: FETCH_MAX_BYTES,
      maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
      // Shorter moves a crashed member's partitions sooner; longer keeps a busy one in the group.
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: 3_000,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const mine = new Set(
        event.payload.memberAssignment[settings.topic] ?? [],
      );
      // Serialise membership changes so a revoke always finishes before the next assign.
      this.membership = this.membership.then(() => this.reassign(mine)).catch((
        e,
      ) =>
        settings.logger.error("partition reassignment failed", {
          error: String(e),
        })
      );
    });
    try {
      await this.admin.connect();
      await consumer.connect();
      await consumer.subscribe({ topic: settings.topic, fromBeginning: true });
    } catch (e) {
      throw new TradeLogError(
        `cannot join consumer group ${settings.groupId} on topic ${settings.topic}: ${
          (e as Error).message
        }; is Kafka up and the topic created (deno task infra:up)?`,
        { cause: e },
      );
    }
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: settings.concurrency,
      eachBatch: async (
        { batch, heartbeat, resolveOffset, isStale, isRunning },
      ) => {
        await this.membership;
        if (batch.messages.length === 0 || isStale() || !isRunning()) return;
        const partition = batch.partition;
        const delivered: LogBatch = {
          partition,
          epoch: this.epochs.get(partition) ?? 0,
          records: batch.messages.map((m) => ({
            offset: Number(m.offset),
            key: m.key ? KEY_DECODER.decode(m.key) : null,
            value: m.value,
          })),
          highWatermark: Number(batch.highWatermark),
        };
        await this.listener!.batch(delivered, heartbeat);
        // A seek while we awaited must win: resolving now would undo it.
        if (!isStale()) resolveOffset(batch.lastOffset());
      },
    });
  }

  private async reassign(mine: Set<number>): Promise<void> {
    const revoked = [...this.owned].filter((p) => !mine.has(p));
    this.owned = mine;
    // Another member may commit these while we do not own them.
    for (const p of revoked) this.committed.delete(p);
    if (revoked.length > 0) await this.listener!.revoked(revoked);
    // All of them: a partition kept across a lost membership needs its actor back.
    if (mine.size > 0) await this.listener!.assigned([...mine]);
  }

  async commit(partition: number, nextOffset: number): Promise<void> {
    if (this.committed.get(partition) === nextOffset) return;
    if (!this.consumer) throw new TradeLogError("commit before start");
    await this.consumer.commitOffsets([{
      topic: this.settings.topic,
      partition,
      offset: String(nextOffset),
    }]);
    this.committed.set(partition, nextOffset);
  }

  async rewind(partition: number): Promise<{ epoch: number; offset: number }> {
    const offset = this.committed.get(partition) ??
      await this.fetchCommitted(partition);
    const epoch = (this.epochs.get(partition) ?? 0) + 1;
    this.epochs.set(partition, epoch);
    this.consumer?.seek({
      topic: this.settings.topic,
      partition,
      offset: String(offset),
    });
    return { epoch, offset };
  }

  private async fetchCommitted(partition: number): Promise<number> {
    const [topic] = await this.admin.fetchOffsets({
      groupId: this.settings.groupId,
      topics: [this.settings.topic],
    });
    const entry = topic?.partitions.find((p) => p.partition === partition);
    const committed = entry ? Number(entry.offset) : -1;
    if (committed >= 0) return committed;
    const bounds = await this.admin.fetchTopicOffsets(this.settings.topic);
    const low = bounds.find((b) => b.partition === partition)?.low;
    return low === undefined ? 0 : Number(low);
  }

  /** {@inheritDoc TradeSource.logEnds} One ListOffsets request for the topic. */
  async logEnds(): Promise<Map<number, number>> {
    const ends = await this.admin.fetchTopicOffsets(this.settings.topic);
    return new Map(ends.map((e) => [e.partition, Number(e.high)]));
  }

  /** Leaves the group; a no-op when not started. */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) await consumer.disconnect();
    await this.admin.disconnect();
  }
}
