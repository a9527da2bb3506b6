/**
 * Tickline: live trades -> Kafka -> per-partition actors -> Cassandra raw
 * trades and exact 1-minute candles. `deno task start` runs this file.
 *
 * @module
 */
import v8 from "node:v8";
import {
  checkHeapBudget,
  type Config,
  ConfigError,
  describeFeed,
  feedUrl,
  HeapBudgetError,
  listenWithFallback,
  loadConfig,
  SecretScrubber,
  startOrJoinFeed,
} from "./actors/config/mod.ts";
import {
  CassandraTradeStore,
  type TradeStore,
} from "./actors/cassandra/mod.ts";
import type { LoggedTrade } from "./actors/trade/types.ts";
import { startFeedServer } from "./actors/feed/mod.ts";
import {
  createKafka,
  KafkaIngestLeases,
  KafkaTopicScan,
  KafkaTradeProducer,
  KafkaTradeSource,
  leaseSessionTimeoutMs,
} from "./actors/kafka/mod.ts";
import { FrameJournal, JournalDirError } from "./actors/journal/mod.ts";
import {
  createPipelineMetrics,
  observeRuntimeEvents,
  observeStoreEvents,
  startMetricsServer,
} from "./actors/metrics/mod.ts";
import {
  consumerProps,
  type ConsumerStatus,
  ingestProps,
  type IngestStatus,
  leaseProps,
  quiesceIngest,
  recoveryProps,
  spawnWriters,
  type TradeRules,
} from "./actors/pipeline/mod.ts";
import { createMarketWeb } from "./actors/web/mod.ts";
import {
  ActorSystem,
  consoleLogger,
  type Logger,
  RealClock,
} from "./runtime/mod.ts";

/** A running Tickline instance. */
export interface App {
  /** Stops ingest, then consumers (flushing and committing), then writers. */
  stop(): Promise<void>;
  /** Resolves with an error if the supervision tree gave up. */
  terminated: Promise<{ error?: unknown }>;
  metricsPort: number;
}

/** Test seams: faults to inject so tests can show the supervisors recover. */
export interface AppSeams {
  /** Wraps the trade store the writers use. */
  wrapStore?: (store: TradeStore) => TradeStore;
  /** Called by every window actor before it applies trades; throwing crashes it. */
  beforeWindowTrades?: (symbol: string, trades: LoggedTrade[]) => void;
}

/**
 * Starts the whole pipeline from a validated configuration.
 *
 * @example
 * ```ts ignore
 * const app = await startApp(loadConfig(), consoleLogger("info"));
 * await app.stop();
 * ```
 */
export async function startApp(
  config: Config,
  logger: Logger,
  seams: AppSeams = {},
): Promise<App> {
  const clock = new RealClock();
  const metrics = createPipelineMetrics({ symbols: config.symbols });
  const scrubber = SecretScrubber.fromEnv({
    FINNHUB_TOKEN: config.feed.kind === "finnhub" ? config.feed.token : "",
    FINNHUB_URL: config.feed.kind === "simulated" ? "" : config.feed.url,
  });

  // ---- issue 9: /healthz first, then ingest on the feed, whatever Kafka
  // and the consumer group are doing; the rest follows. ----
  let readiness: () => Promise<boolean> = () => Promise.resolve(false);
  // The market page and its API (issue 11); never waits for Cassandra.
  const web = createMarketWeb({
    symbols: config.symbols,
    metrics,
    logger,
    cassandra: {
      contactPoints: config.cassandraContactPoints,
      localDataCenter: config.cassandraLocalDc,
      keyspace: config.cassandraKeyspace,
    },
  });
  // A second instance on the host: a free metrics port unless METRICS_PORT
  // was set, and the first instance's simulated feed (actors/config/ports.ts).
  const server = listenWithFallback({
    port: config.metricsPort,
    fallback: config.metricsPortFallback,
    listen: (port) =>
      startMetricsServer({
        hostname: config.metricsHost,
        port,
        metrics,
        isReady: () => readiness(),
        fallback: web.handle,
      }),
    onFallback: (taken) =>
      logger.warn("metrics port taken (another instance?); using a free one", {
        taken,
      }),
  });
  const sim = config.feed;
  const feed = sim.kind === "simulated"
    ? await startOrJoinFeed(sim.port, () =>
      startFeedServer({
        port: sim.port,
        symbols: config.symbols,
        ratePerSec: sim.rate,
        seed: sim.seed,
      }))
    : undefined;
  if (feed?.kind === "joined") {
    logger.info("joined the simulated feed another process runs", {
      url: `ws://127.0.0.1:${feed.port}`,
    });
  }
  // Connects on its first send: a start while Kafka is down buffers trades.
  const producer = KafkaTradeProducer.create({
    brokers: config.kafkaBrokers,
    clientId: config.kafkaClientId,
    logger,
    tradesTopic: config.tradesTopic,
    dlqTopic: config.dlqTopic,
    maxRequestBytes: config.kafkaMaxRequestBytes,
  });
  const system = new ActorSystem("tickline", {
    clock,
    logger,
    supervision: { strategy: "one_for_one", maxRestarts: 3, withinMs: 60_000 },
  });
  observeRuntimeEvents(
    metrics,
    (listener) => system.events.subscribe(listener),
  );
  // Which trades the ingest produces; its journal's recovery decides alike.
  const rules: TradeRules = {
    allowZeroVolume: config.allowZeroVolume,
    maxFutureSkewMs: config.maxFutureSkewMs,
    maxRequestBytes: config.kafkaMaxRequestBytes,
  };
  // Frames go to the journal as they arrive: a SIGKILL loses none of those
  // read (the recovery actor, below, produces what Kafka lacks).
  const journal = config.ingestJournalDir === "off"
    ? undefined
    : FrameJournal.open({
      dir: config.ingestJournalDir,
      topic: config.tradesTopic,
      now: () => clock.now(),
      onError: (e) => {
        metrics.journalErrors.inc();
        logger.error(
          "ingest journal write failed; journaling stops until restart, so a SIGKILL may lose trades not yet in Kafka",
          { error: e.message, dir: config.ingestJournalDir },
        );
      },
    });
  const ingest = await system.spawn(
    "ingest",
    ingestProps({
      url: feedUrl(config.feed),
      description: describeFeed(config.feed),
      scrub: (text) => scrubber.scrub(text),
      symbols: config.symbols,
      ownership: config.ingestOwnership,
      producer,
      metrics,
      ...rules,
      watchdogMs: config.feedWatchdogMs,
      backoff: { minMs: 250, maxMs: 30_000 },
      bufferBytes: config.ingestBufferBytes,
      maxFrameBytes: config.feedMaxFrameBytes,
      produceTimeoutMs: config.kafkaProduceTimeoutMs,
      dlqBufferBytes: config.dlqBufferBytes,
      dlqMaxRawChars: config.dlqMaxRawChars,
      journal,
    }),
  );
  const kafka = createKafka({
    brokers: config.kafkaBrokers,
    clientId: config.kafkaClientId,
    logger,
  });
  if (journal) {
    await system.spawn(
      "recovery",
      recoveryProps({
        journal,
        metrics,
        rules,
        scan: new KafkaTopicScan(kafka, {
          groupPrefix: `${config.kafkaGroupId}-journal`,
          timeoutMs: 60_000,
          settleMs: 2_000,
        }),
        produce: async (topic, records) => {
          // Its own producer: the ingest's idempotent one is not shared
          // between two senders.
          const recovery = KafkaTradeProducer.create({
            brokers: config.kafkaBrokers,
            clientId: `${config.kafkaClientId}-recovery`,
            logger,
            tradesTopic: topic,
            dlqTopic: config.dlqTopic,
            maxRequestBytes: config.kafkaMaxRequestBytes,
          });
          try {
            await recovery.sendTradeRecords(records);
          } finally {
            await recovery.close();
          }
        },
        holdMs: config.kafkaProduceTimeoutMs + 5_000,
        checkIntervalMs: 5_000,
      }),
    );
  }
  if (config.ingestOwnership === "leases") {
    // Several instances: each ingests only the symbols of the shards the
    // lease group gives it, so no trade is ingested twice.
    const sessionTimeoutMs = leaseSessionTimeoutMs(
      config.ingestSessionTimeoutMs,
    );
    await system.spawn(
      "leases",
      leaseProps({
        leases: new KafkaIngestLeases(kafka, {
          groupId: `${config.kafkaGroupId}-ingest`,
          topic: config.ingestLeaseTopic,
          shards: config.ingestShards,
          sessionTimeoutMs,
          now: () => clock.now(),
        }),
        ingest,
        symbols: config.symbols,
        shards: config.ingestShards,
        sessionTimeoutMs,
      }),
    );
  }
  // ---- end of the ingest start; below: storage and the consumer side ----

  const storeEvents = observeStoreEvents(metrics);
  // Does not wait for Cassandra: writers wait out an outage, start-up included.
  const cassandraStore = CassandraTradeStore.open({
    contactPoints: config.cassandraContactPoints,
    localDataCenter: config.cassandraLocalDc,
    keyspace: config.cassandraKeyspace,
    batchRows: config.writerBatchRows,
    concurrency: config.writerConcurrency,
    logger,
    observe: storeEvents.observe,
  });
  const store = seams.wrapStore?.(cassandraStore) ?? cassandraStore;
  const source = new KafkaTradeSource(kafka, {
    groupId: config.kafkaGroupId,
    topic: config.tradesTopic,
    concurrency: 8,
    sessionTimeoutMs: config.kafkaSessionTimeoutMs,
    logger,
  });

  // The supervision tree: ingest (above), writers (top-level, so their refs
  // outlive any restart), then the consumer (with its partition and window
  // actors); shutdown stops them in reverse.
  const writers = await spawnWriters(system, config.writerCount, 2, {
    store,
    metrics,
  });
  // The consumer joins its group in the background, retrying with back-off
  // while Kafka is down: the join never delays ingest or health.
  const consumer = await system.spawn(
    "consumer",
    consumerProps({
      source,
      // About 16 MiB of decoded trades however many partitions this instance
      // holds: a flood's lag stays in Kafka (2,048 each of the default 16).
      maxInFlightTrades: 32_768,
      partition: {
        writers,
        metrics,
        deadLetters: (letters) => producer.sendDeadLetters(letters),
        window: {
          sizeMs: 60_000,
          latenessMs: config.windowLatenessMs,
          graceMs: config.windowGraceMs,
          maxAheadMs: config.windowMaxAheadMs,
          provisionalIntervalMs: config.provisionalIntervalMs,
          tickMs: 100,
          beforeTrades: seams.beforeWindowTrades,
        },
        commitIntervalMs: config.commitIntervalMs,
        maxInFlightWrites: 8,
        maxUnackedPerWindow: 4,
        maxPendingRebuilds: 256,
        windowIdleMs: 120_000,
      },
    }),
  );

  readiness = async () => {
    const i = await ingest.ask<IngestStatus>({ type: "status" }, {
      timeoutMs: 1000,
    });
    const c = await consumer.ask<ConsumerStatus>({ type: "status" }, {
      timeoutMs: 1000,
    });
    // Not ready while trades cannot reach Kafka or were dropped lately.
    const dropping = i.lastDropAt !== undefined &&
      clock.now() - i.lastDropAt < 60_000;
    const ready = c.joined && i.connected && i.kafkaHealthy &&
      !dropping && storeEvents.available();
    metrics.ready.set(ready ? 1 : 0);
    return ready;
  };
  logger.info("tickline started", {
    feed: describeFeed(config.feed),
    symbols: config.symbols.length,
    metrics: `http://${config.metricsHost}:${server.port}/metrics`,
    page: `http://${config.metricsHost}:${server.port}/`,
  });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      // Trades the feed sent before it read our unsubscribes are received
      // first: a clean stop (or handover) loses none of them.
      await quiesceIngest(ingest, clock).catch(() => {});
      await system.shutdown();
      // Deleted if every frame is settled, else left for the next start.
      journal?.close();
      await web.close(); // ends open event streams so the server can stop
      await Promise.allSettled([
        producer.close(),
        store.close(),
        server.close(),
        feed?.kind === "started" ? feed.server.close() : undefined,
      ]);
    })();
  const terminated = system.whenTerminated.then(async (result) => {
    await stop();
    return result;
  });
  return { stop, terminated, metricsPort: server.port };
}

async function main(): Promise<number> {
  // Signal handlers before anything else: a SIGTERM during start-up is a
  // clean stop, not exit 143.
  const signalled = new Promise<string>((resolve) => {
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(sig, () => resolve(sig));
    }
  });
  // One scrubber for every boundary: config errors, logs, dead letters.
  const scrubber = SecretScrubber.fromEnv(Deno.env.toObject());
  let config: Config;
  try {
    config = loadConfig();
    checkHeapBudget(config, v8.getHeapStatistics().heap_size_limit);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof HeapBudgetError) {
      console.error(
        `tickline: bad configuration: ${scrubber.scrub(e.message)}`,
      );
      return 2;
    }
    throw e;
  }
  const logger = scrubber.logger(consoleLogger(config.logLevel));
  let app: App;
  try {
    app = await startApp(config, logger);
  } catch (e) {
    if (e instanceof JournalDirError) {
      console.error(`tickline: ${scrubber.scrub(e.message)}`);
      return 2;
    }
    throw e;
  }
  const outcome = await Promise.race([
    signalled.then((sig) => ({ sig, error: undefined as unknown })),
    app.terminated.then((r) => ({ sig: undefined, error: r.error })),
  ]);
  if (outcome.sig) {
    logger.info("stopping", { signal: outcome.sig });
    await app.stop();
    return 0;
  }
  logger.error("supervision tree gave up; exiting", {
    error: String(outcome.error),
  });
  return 1;
}

if (import.meta.main) Deno.exit(await main());
