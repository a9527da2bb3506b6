/**
 * The Kafka producer of trades and dead letters, built so that Kafka cannot
 * silently stall the ingest:
 *
 * - Trades go through an idempotent producer (acks from all in-sync
 *   replicas); dead letters through a second, plain producer on its own
 *   client and connections, so a hanging DLQ send cannot block trades.
 * - Requests are split by bytes under `maxRequestBytes` (below the broker's
 *   `message.max.bytes`); a record too large alone is refused up front.
 * - Every attempt is bounded (a few kafkajs retries with short time-outs)
 *   and then fails loudly; the caller retries in order. kafkajs's default
 *   here was an infinite silent retry.
 * - Nothing connects at construction: the app starts while Kafka is down and
 *   each send connects first if needed.
 *
 * @module
 */
import type { Producer } from "kafkajs";
import type { Buffer } from "node:buffer";
import type { Logger } from "../../runtime/types.ts";
import { encodeTrade } from "../trade/codec.ts";
import { boundedDeadLetter } from "../trade/dead_letter.ts";
import type { DeadLetter, Trade } from "../trade/types.ts";
import { CachedDefaultPartitioner } from "./cached_partitioner.ts";
import { createKafka, TradeLogError } from "./kafka_trade_log.ts";
import type { TradeProducer } from "./trade_log.ts";

/** Bytes a record costs on the wire beyond its key and value (record framing, a share of the batch header). */
export const RECORD_OVERHEAD_BYTES = 32;
/** Default request bound: under the broker's default `message.max.bytes` (1,048,588) with room for framing. */
export const DEFAULT_MAX_REQUEST_BYTES = 900_000;

/** One record ready to produce, with its size counted once. */
export interface EncodedRecord {
  key: string;
  /** JSON text, or its UTF-8 bytes (a view of the ingest's packed buffer). */
  value: string | Buffer;
  /** Bytes on the wire: key + value (UTF-8) + {@linkcode RECORD_OVERHEAD_BYTES}. */
  bytes: number;
  /** Sent as Kafka headers (dead letters carry their reason). */
  headers?: Record<string, string>;
}

/** What the ingest needs of a producer: pre-encoded records, two independent paths. */
export interface RecordProducer {
  /** Produces to the trades topic in order; resolves once all are acknowledged. */
  sendTradeRecords(records: readonly EncodedRecord[]): Promise<void>;
  /** Produces to the dead-letter topic; independent of trades. */
  sendLetterRecords(records: readonly EncodedRecord[]): Promise<void>;
}

/** Thrown when one record is larger than a request may be. */
export class RecordTooLargeError extends Error {
  override name = "RecordTooLargeError";
  constructor(readonly bytes: number, readonly maxBytes: number) {
    super(
      `a Kafka record of ${bytes} bytes exceeds the request bound of ${maxBytes} bytes; ` +
        `send it to the dead-letter topic truncated, or raise KAFKA_MAX_REQUEST_BYTES ` +
        `(and the broker's message.max.bytes)`,
    );
  }
}

/**
 * A trade as a record keyed by symbol. Encoded trades are ASCII (validated
 * symbols and condition codes), so characters are bytes.
 *
 * @example
 * ```ts
 * import { tradeRecord } from "./kafka_trade_producer.ts";
 * const r = tradeRecord({ symbol: "AAPL", price: 1, volume: 2, timestamp: 1700000000000, conditions: [], ingestedAt: 1700000000001 });
 * console.assert(r.key === "AAPL" && r.bytes === r.key.length + r.value.length + 32);
 * ```
 */
export function tradeRecord(trade: Trade): EncodedRecord {
  const value = encodeTrade(trade);
  return {
    key: trade.symbol,
    value,
    bytes: utf8Bytes(trade.symbol) + utf8Bytes(value) + RECORD_OVERHEAD_BYTES,
  };
}

/**
 * A dead letter as a record keyed and headed by its reason. `raw` is bounded
 * first, so this never throws on deep or huge input.
 *
 * @example
 * ```ts
 * import { letterRecord } from "./kafka_trade_producer.ts";
 * const r = letterRecord({ raw: "x", reason: "invalid_json", detail: "not JSON", receivedAt: 1 });
 * console.assert(r.key === "invalid_json" && r.headers?.reason === "invalid_json");
 * ```
 */
export function letterRecord(
  letter: DeadLetter,
  maxRawChars?: number,
): EncodedRecord {
  const bounded = typeof letter.raw === "string" &&
      maxRawChars === undefined
    ? letter
    : boundedDeadLetter(
      letter.raw,
      letter.reason,
      letter.detail,
      letter.receivedAt,
      maxRawChars,
    );
  const value = JSON.stringify({
    raw: bounded.raw,
    truncated: bounded.truncated ?? false,
    reason: bounded.reason,
    detail: bounded.detail,
    receivedAt: bounded.receivedAt,
  });
  return {
    key: letter.reason,
    value,
    bytes: utf8Bytes(letter.reason) * 2 + utf8Bytes(value) +
      RECORD_OVERHEAD_BYTES + 8,
    headers: { reason: letter.reason },
  };
}

/**
 * Splits records, in order, into chunks of at most `maxBytes` each.
 *
 * @throws {RecordTooLargeError} when one record alone exceeds `maxBytes`.
 * @example
 * ```ts
 * import { chunkByBytes } from "./kafka_trade_producer.ts";
 * const rs = [1, 2, 3].map((i) => ({ key: "k", value: "v", bytes: 40 }));
 * console.assert(chunkByBytes(rs, 80).length === 2);
 * ```
 */
export function chunkByBytes<R extends { bytes: number }>(
  records: readonly R[],
  maxBytes: number,
): R[][] {
  const out: R[][] = [];
  let chunk: R[] = [];
  let size = 0;
  for (const r of records) {
    if (r.bytes > maxBytes) throw new RecordTooLargeError(r.bytes, maxBytes);
    if (size + r.bytes > maxBytes && chunk.length > 0) {
      out.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(r);
    size += r.bytes;
  }
  if (chunk.length > 0) out.push(chunk);
  return out;
}

/** Settings of {@linkcode KafkaTradeProducer.create}. */
export interface ProducerSettings {
  brokers: string[];
  clientId: string;
  logger: Logger;
  tradesTopic: string;
  dlqTopic: string;
  /** Bytes of one produce request. Default {@linkcode DEFAULT_MAX_REQUEST_BYTES}. */
  maxRequestBytes?: number;
  /** Time-out of one broker request (and of the acks wait). Default 5 s. */
  requestTimeoutMs?: number;
}

/**
 * Produces trades (idempotent) and dead letters (separate producer), each
 * attempt bounded.
 *
 * @example
 * ```ts ignore
 * const producer = KafkaTradeProducer.create({ brokers: ["127.0.0.1:9092"], clientId: "t", logger,
 *   tradesTopic: "trades", dlqTopic: "trades.dlq" });
 * await producer.sendTrades([trade]);
 * await producer.close();
 * ```
 */
export class KafkaTradeProducer implements TradeProducer, RecordProducer {
  readonly maxRequestBytes: number;
  readonly #trades: LazyProducer;
  readonly #letters: LazyProducer;
  readonly #settings: ProducerSettings;

  private constructor(settings: ProducerSettings) {
    this.#settings = settings;
    this.maxRequestBytes = settings.maxRequestBytes ??
      DEFAULT_MAX_REQUEST_BYTES;
    const requestTimeoutMs = settings.requestTimeoutMs ?? 5_000;
    // One attempt: connect within 1 s, a request within requestTimeoutMs,
    // two quick retries; then the caller sees the error and counts it.
    const retry = { initialRetryTime: 100, maxRetryTime: 1_000, retries: 2 };
    const client = (suffix: string) =>
      createKafka({
        brokers: settings.brokers,
        clientId: `${settings.clientId}-${suffix}`,
        logger: settings.logger,
        requestTimeoutMs,
        connectionTimeoutMs: 1_000,
        retry,
      });
    this.#trades = new LazyProducer(
      client("trades").producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // Java-compatible murmur2 keying: a symbol lands where other clients put it.
        createPartitioner: CachedDefaultPartitioner,
        // Bounded on purpose: the ingest retries the same records in order,
        // with the same sequence numbers, so the broker still deduplicates.
        retry,
      }),
      requestTimeoutMs,
    );
    this.#letters = new LazyProducer(
      client("dlq").producer({
        allowAutoTopicCreation: false,
        createPartitioner: CachedDefaultPartitioner,
        retry,
      }),
      requestTimeoutMs,
    );
  }

  /** Builds the producer without connecting: the first send connects. */
  static create(settings: ProducerSettings): KafkaTradeProducer {
    return new KafkaTradeProducer(settings);
  }

  /**
   * Builds the producer from an existing client's settings and connects now.
   * Kept for callers that want to fail fast when Kafka is down.
   */
  static async connect(
    settings: ProducerSettings,
  ): Promise<KafkaTradeProducer> {
    const p = new KafkaTradeProducer(settings);
    await p.#trades.ensureConnected();
    return p;
  }

  /** Produces pre-encoded trade records, split by bytes, in order. */
  async sendTradeRecords(records: readonly EncodedRecord[]): Promise<void> {
    for (const chunk of chunkByBytes(records, this.maxRequestBytes)) {
      await this.#trades.send(this.#settings.tradesTopic, chunk);
    }
  }

  /** Produces pre-encoded dead-letter records on the DLQ's own producer. */
  async sendLetterRecords(records: readonly EncodedRecord[]): Promise<void> {
    for (const chunk of chunkByBytes(records, this.maxRequestBytes)) {
      await this.#letters.send(this.#settings.dlqTopic, chunk);
    }
  }

  /** {@inheritDoc TradeProducer.sendTrades} */
  async sendTrades(trades: readonly Trade[]): Promise<void> {
    await this.sendTradeRecords(trades.map(tradeRecord));
  }

  /** {@inheritDoc TradeProducer.sendDeadLetters} Raw inputs are bounded first. */
  async sendDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    await this.sendLetterRecords(letters.map((l) => letterRecord(l, 4096)));
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#trades.close(), this.#letters.close()]);
  }
}

/** A kafkajs producer that connects on first use and again after a failed connect. */
class LazyProducer {
  #connecting?: Promise<void>;

  constructor(
    private readonly producer: Producer,
    private readonly timeoutMs: number,
  ) {}

  ensureConnected(): Promise<void> {
    this.#connecting ??= this.producer.connect().catch((e) => {
      this.#connecting = undefined;
      throw new TradeLogError(
        `cannot connect the Kafka producer: ${
          (e as Error).message
        }; is Kafka up (deno task infra:status)?`,
        { cause: e },
      );
    });
    return this.#connecting;
  }

  async send(topic: string, records: readonly EncodedRecord[]): Promise<void> {
    await this.ensureConnected();
    try {
      await this.producer.send({
        topic,
        acks: -1,
        timeout: this.timeoutMs,
        messages: records.map((r) => ({
          key: r.key,
          value: r.value,
          ...(r.headers ? { headers: r.headers } : {}),
        })),
      });
    } catch (e) {
      // A producer kafkajs considers disconnected must connect again.
      if (/disconnected/i.test((e as Error).message ?? "")) {
        this.#connecting = undefined;
      }
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.#connecting) await this.producer.disconnect();
  }
}

const encoder = new TextEncoder();

const NON_ASCII = /[\u0080-\uffff]/;

function utf8Bytes(s: string): number {
  // ASCII fast path: most records are (a regex scans far faster than charCodeAt).
  return NON_ASCII.test(s) ? encoder.encode(s).length : s.length;
}
