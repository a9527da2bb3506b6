/**
 * The bare pipeline: the fair ceiling of issue 12, run as its own Deno
 * process (like the app, so it does not share the benchmark's event loop).
 * Same drivers, same kind of topic, same table and insert as the app, and
 * nothing else: WebSocket frames from the feed are `JSON.parse`d, each trade
 * is produced keyed by its symbol (acks=all), consumed with `eachBatch`,
 * written as unlogged batches per partition key with many batches in
 * flight, and the offsets are committed once the writes are done. No
 * validation, no actors, no candles, no metrics.
 *
 * It serves its counters as JSON on `GET http://127.0.0.1:$BARE_PORT/`
 * ({@linkcode BareCounts}); `durable` is what the benchmark divides by time.
 * Started by {@linkcode startBarePipeline} in `bare_process.ts`; settings
 * come from `BARE_*` variables ({@linkcode bareSettingsFromEnv}). Stops on
 * SIGTERM or SIGINT.
 *
 * @module
 */
import cassandra from "cassandra-driver";
import {
  CompressionTypes,
  Kafka,
  logLevel,
  type Message,
  Partitioners,
} from "kafkajs";
import { installFastVarints } from "../../actors/kafka/fast_varints.ts";
import type { Trade } from "../../actors/trade/types.ts";
import { benchCassandra, INSERT_TRADE } from "./ceilings.ts";

/** How the bare pipeline runs; see {@linkcode BARE_TUNING} for the tuning. */
export interface BareSettings {
  feedUrl: string;
  symbols: string[];
  brokers: string[];
  topic: string;
  groupId: string;
  cassandraContactPoints: string;
  /** Loopback port of the counters endpoint. */
  port: number;
  tuning: BareTuning;
}

/** The knobs tried during development; {@linkcode BARE_TUNING} holds the best. */
export interface BareTuning {
  /** Idempotent producer (then one request in flight, as kafkajs requires for order). */
  idempotent: boolean;
  /** `producer.send` calls in flight at once. */
  sendsInFlight: number;
  /** Most records per `producer.send`. */
  recordsPerSend: number;
  /** `none` or `gzip` (the only codec kafkajs ships). */
  compression: "none" | "gzip";
  /** Consumer fetch size per partition, bytes. */
  maxBytesPerPartition: number;
  /** Consumer fetch wait, ms. */
  maxWaitTimeInMs: number;
  /** Rows per unlogged batch (all of one partition key). */
  batchRows: number;
  /** Cassandra batches in flight across all partitions. */
  writeConcurrency: number;
  /**
   * Consumed batches per partition whose writes may be in flight at once: at
   * 2 the next batch is fetched while the last one is written (1: each batch
   * is written and committed before the next is fetched).
   */
  overlapBatches: number;
  /**
   * Trades received but not yet durable beyond which new frames are dropped
   * unparsed (counted): without it, under overload the producer takes the CPU the
   * writes need and durable rows/s fall far below what the writes can do.
   */
  maxUnwritten: number;
}

/**
 * The best tuning tried on this machine (2 cores, shared with Kafka,
 * Cassandra and other people's test runs at load average 4-11, so single
 * tries varied by +-30%). Feed at 60,000/s, 3 partitions, 9 symbols, 15 s
 * steps, durable rows/s of two interleaved tries each:
 * - base (idempotent, 1 send in flight, 100-row batches, 32 batches in
 *   flight, 2 batches per partition in flight, 1 MiB fetches, 50,000
 *   unwritten): 28.9k, 16.9k. 64 batches in flight: 24.8k, 33.1k.
 *   50-row batches: 20.1k, 14.5k. 1 batch per partition: 21.0k, 24.4k.
 *   Not idempotent, 4 sends in flight: 21.9k, 28.3k. 20,000 unwritten:
 *   31.6k, 21.1k.
 * - 64 in flight + 20,000 unwritten: 29.8k, 26.4k; with 200-row batches
 *   15.0k, 13.3k (a later try: 31.5k); with 4 MiB fetches 30.8k, 33.6k:
 *   kept. Dropping over-bound frames unparsed (as the app's ingest does):
 *   23.7k, 28.6k, then 34.3k and 20.8k.
 * The bare process itself used 19-22 CPU ms per 1,000 durable rows in every
 * try; Cassandra's share per row (30-66 ms, shared with other runs) decided
 * the spread. The idempotent producer stays: no measurable cost, the app's
 * guarantees. The unwritten bound matters most: bounded only before the
 * producer (500,000 waiting), the producer took the CPU the writes need and
 * only 9.2k rows/s were durable.
 */
export const BARE_TUNING: Readonly<BareTuning> = {
  idempotent: true,
  sendsInFlight: 1,
  recordsPerSend: 20_000,
  compression: "none",
  maxBytesPerPartition: 4_194_304,
  maxWaitTimeInMs: 20,
  batchRows: 100,
  writeConcurrency: 64,
  overlapBatches: 2,
  maxUnwritten: 20_000,
};

/** What the bare pipeline has done so far. */
export interface BareCounts {
  /** Subscribed to the feed and joined the consumer group. */
  ready: boolean;
  /** Trades received from the feed and produced. */
  received: number;
  /** Frames dropped unread because `maxUnwritten` was reached. */
  droppedFrames: number;
  /** Trades acknowledged by Kafka. */
  produced: number;
  /** Trades whose produce failed for good. */
  produceFailed: number;
  /** Rows written to Cassandra (their batch succeeded). */
  durable: number;
  /** Rows whose batch failed (no retry: a ceiling, not a pipeline). */
  writeFailed: number;
}

/** Raised for a missing or unusable `BARE_*` variable. */
export class BareSettingsError extends Error {
  override name = "BareSettingsError";
  /** @param problem what is wrong with which variable */
  constructor(problem: string) {
    super(
      `bare pipeline: ${problem}; it is started by tests/bench/bare_process.ts`,
    );
  }
}

/**
 * Reads the settings: `BARE_FEED_URL`, `BARE_SYMBOLS` (comma list),
 * `BARE_TOPIC`, `BARE_GROUP_ID`, `BARE_PORT`, `KAFKA_BROKERS`,
 * `CASSANDRA_CONTACT_POINTS`, and optionally `BARE_TUNING` (JSON, merged
 * over {@linkcode BARE_TUNING}).
 *
 * @throws {BareSettingsError} when a required variable is missing.
 * @example
 * ```ts
 * import { bareSettingsFromEnv } from "./bare_pipeline.ts";
 * const env: Record<string, string> = { BARE_FEED_URL: "ws://127.0.0.1:1", BARE_SYMBOLS: "A,B",
 *   BARE_TOPIC: "t", BARE_GROUP_ID: "g", BARE_PORT: "9" };
 * console.assert(bareSettingsFromEnv((k) => env[k]).symbols.length === 2);
 * ```
 */
export function bareSettingsFromEnv(
  env: (name: string) => string | undefined,
): BareSettings {
  const need = (name: string) => {
    const v = env(name);
    if (!v) throw new BareSettingsError(`${name} is not set`);
    return v;
  };
  const port = Number(need("BARE_PORT"));
  if (!Number.isInteger(port)) {
    throw new BareSettingsError(`BARE_PORT must be a port, got ${port}`);
  }
  return {
    feedUrl: need("BARE_FEED_URL"),
    symbols: need("BARE_SYMBOLS").split(","),
    topic: need("BARE_TOPIC"),
    groupId: need("BARE_GROUP_ID"),
    port,
    brokers: (env("KAFKA_BROKERS") ?? "127.0.0.1:9092").split(","),
    cassandraContactPoints: env("CASSANDRA_CONTACT_POINTS") ??
      "127.0.0.1:9042",
    tuning: { ...BARE_TUNING, ...JSON.parse(env("BARE_TUNING") ?? "{}") },
  };
}

/** At most `n` of the returned function's tasks run at once. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    while (running >= n) {
      await new Promise<void>((r) => waiting.push(r));
    }
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/**
 * Runs the bare pipeline until `signal` aborts, then releases everything.
 *
 * @example
 * ```ts ignore
 * const stop = new AbortController();
 * await runBarePipeline(bareSettingsFromEnv((k) => Deno.env.get(k)), stop.signal);
 * ```
 */
export async function runBarePipeline(
  settings: BareSettings,
  signal: AbortSignal,
): Promise<void> {
  const { tuning } = settings;
  const counts: BareCounts = {
    ready: false,
    received: 0,
    droppedFrames: 0,
    produced: 0,
    produceFailed: 0,
    durable: 0,
    writeFailed: 0,
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: settings.port, onListen() {} },
    () => Response.json(counts),
  );
  // The same driver as the app's, speed-ups included: a fair ceiling.
  installFastVarints();
  const kafka = new Kafka({
    clientId: "tickline-bare",
    brokers: settings.brokers,
    logLevel: logLevel.ERROR,
  });
  const producer = kafka.producer({
    idempotent: tuning.idempotent,
    maxInFlightRequests: tuning.idempotent ? 1 : tuning.sendsInFlight,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const consumer = kafka.consumer({
    groupId: settings.groupId,
    maxWaitTimeInMs: tuning.maxWaitTimeInMs,
    maxBytesPerPartition: tuning.maxBytesPerPartition,
    allowAutoTopicCreation: false,
  });
  const client = benchCassandra(settings.cassandraContactPoints);
  let ws: WebSocket | undefined;
  try {
    await Promise.all([
      producer.connect(),
      consumer.connect(),
      client.connect(),
    ]);
    const joined = Promise.withResolvers<void>();
    consumer.on(consumer.events.GROUP_JOIN, () => joined.resolve());
    await consumer.subscribe({ topic: settings.topic, fromBeginning: true });

    // Consume: eachBatch per partition, all partitions at once. Writes of up
    // to `overlapBatches` batches per partition run while the next is
    // fetched; each partition's offsets are committed in order, once the
    // writes before them are done.
    const write = limiter(tuning.writeConcurrency);
    const { Long } = cassandra.types;
    const unfinished = new Map<number, Promise<void>[]>();
    const commitTail = new Map<number, Promise<void>>();
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 64,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        if (batch.messages.length === 0) return;
        const partition = batch.partition;
        const groups = new Map<string, unknown[][]>();
        for (const m of batch.messages) {
          const r = JSON.parse(m.value!.toString()) as Trade;
          const d = new Date(r.timestamp);
          const year = d.getUTCFullYear();
          const month = d.getUTCMonth() + 1;
          const day = d.getUTCDate();
          const key = `${r.symbol}\u0000${year}-${month}-${day}`;
          let group = groups.get(key);
          if (!group) groups.set(key, group = []);
          group.push([
            r.symbol,
            year,
            month,
            day,
            d,
            partition,
            Long.fromString(m.offset),
            d.getUTCHours(),
            r.price,
            r.volume,
            r.conditions,
            new Date(r.ingestedAt),
          ]);
        }
        const writes: Promise<void>[] = [];
        for (const rows of groups.values()) {
          for (let i = 0; i < rows.length; i += tuning.batchRows) {
            const chunk = rows.slice(i, i + tuning.batchRows);
            writes.push(
              write(() =>
                client.batch(
                  chunk.map((params) => ({ query: INSERT_TRADE, params })),
                  { logged: false },
                )
              ).then(
                () => void (counts.durable += chunk.length),
                // A ceiling, not a pipeline: no retry, the row is not counted.
                () => void (counts.writeFailed += chunk.length),
              ),
            );
          }
        }
        const offset = String(Number(batch.lastOffset()) + 1);
        const written = Promise.all(writes);
        const committed = (commitTail.get(partition) ?? Promise.resolve())
          .then(() => written)
          .then(() =>
            consumer.commitOffsets([
              { topic: settings.topic, partition, offset },
            ])
          )
          .catch(() => {}); // a lost commit only means a longer replay
        commitTail.set(partition, committed);
        resolveOffset(batch.lastOffset());
        const queue = unfinished.get(partition) ?? [];
        unfinished.set(partition, queue);
        queue.push(committed);
        while (queue.length >= tuning.overlapBatches) await queue.shift();
        await heartbeat();
      },
    });

    // Produce: frames in, records queued, a bounded number of sends in flight.
    let pending: Message[] = [];
    let inFlight = 0;
    const compression = tuning.compression === "gzip"
      ? CompressionTypes.GZIP
      : CompressionTypes.None;
    const pump = () => {
      while (inFlight < tuning.sendsInFlight && pending.length > 0) {
        const messages = pending.length <= tuning.recordsPerSend
          ? pending
          : pending.slice(0, tuning.recordsPerSend);
        pending = messages === pending ? [] : pending.slice(messages.length);
        inFlight++;
        producer.send({
          topic: settings.topic,
          acks: -1,
          compression,
          messages,
        }).then(
          () => void (counts.produced += messages.length),
          () => void (counts.produceFailed += messages.length),
        ).finally(() => {
          inFlight--;
          pump();
        });
      }
    };
    const opened = Promise.withResolvers<void>();
    ws = new WebSocket(`${settings.feedUrl}?token=bare`);
    ws.onopen = () => {
      for (const symbol of settings.symbols) {
        ws!.send(JSON.stringify({ type: "subscribe", symbol }));
      }
      opened.resolve();
    };
    ws.onerror = () => opened.reject(new Error("feed connection failed"));
    ws.onmessage = (e) => {
      const unwritten = counts.received - counts.durable - counts.writeFailed -
        counts.produceFailed;
      // Over the bound a frame is dropped unparsed, as the app's ingest does.
      if (unwritten >= tuning.maxUnwritten) {
        counts.droppedFrames++;
        return;
      }
      const msg = JSON.parse(e.data as string);
      if (msg.type !== "trade") return;
      const ingestedAt = Date.now();
      for (const t of msg.data) {
        counts.received++;
        const value: Trade = {
          symbol: t.s,
          price: t.p,
          volume: t.v,
          timestamp: t.t,
          conditions: t.c ?? [],
          ingestedAt,
        };
        pending.push({ key: t.s, value: JSON.stringify(value) });
      }
      pump();
    };
    await Promise.all([opened.promise, joined.promise]);
    counts.ready = true;
    await new Promise((r) => signal.addEventListener("abort", r));
  } finally {
    ws?.close();
    await Promise.allSettled([
      consumer.disconnect(),
      producer.disconnect(),
      client.shutdown(),
    ]);
    await server.shutdown();
  }
}

if (import.meta.main) {
  const stop = new AbortController();
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(sig, () => stop.abort());
  }
  await runBarePipeline(
    bareSettingsFromEnv((k) => Deno.env.get(k)),
    stop.signal,
  );
  Deno.exit(0);
}
