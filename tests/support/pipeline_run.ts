/**
 * The run harness the end-to-end tests share: one isolated pipeline run with
 * its own topics, group and symbols, a feed server whose deliveries are
 * recorded (what the feed SENT is the truth the tests judge by), and a
 * Cassandra client; `close()` releases all of it.
 *
 * @module
 */
import cassandra from "cassandra-driver";
import type { Kafka } from "kafkajs";
import {
  type FeedServer,
  type FeedServerOptions,
  startFeedServer,
} from "../../actors/feed/mod.ts";
import { createRunTopics, type PipelineEnv, pipelineEnv } from "./end_state.ts";
import { SentLedger } from "./feed_ledger.ts";
import { CASSANDRA, deleteTopics, runId, testKafka } from "./servers.ts";

/** One isolated run; see {@linkcode startPipelineRun}. */
export interface PipelineRun extends AsyncDisposable {
  readonly id: string;
  readonly symbols: string[];
  /** Topics, group, symbols and fast windows for the app (`FINNHUB_URL` included). */
  readonly env: PipelineEnv;
  readonly kafka: Kafka;
  readonly cassandra: cassandra.Client;
  readonly feed: FeedServer;
  /** Every trade the feed delivered to a subscribed client. */
  readonly ledger: SentLedger;
  close(): Promise<void>;
}

/** Options of {@linkcode startPipelineRun}. */
export interface PipelineRunOptions {
  /** The run's symbols, from its id. */
  symbols: (id: string) => string[];
  /** Partitions of the run's trades topic. Default 3. */
  partitions?: number;
  /** The feed server's settings (port, symbols and `onTrades` are the run's). */
  feed?: Omit<FeedServerOptions, "port" | "symbols" | "onTrades">;
  /** More environment for the app. */
  env?: Record<string, string>;
  /** Cassandra to read from (and the app to write to). Default: the shared one. */
  cassandraContactPoints?: string;
  /** Instances share the symbols through ingest leases on a lease topic of the run's own. */
  ingestLeases?: boolean;
}

/**
 * Creates the run's topics, starts its feed and connects to Cassandra.
 *
 * @example
 * ```ts ignore
 * await using run = await startPipelineRun({ symbols: (id) => [`X${id}A`], feed: { ratePerSec: 500 } });
 * const app = await startApp(run.env);
 * ```
 */
export async function startPipelineRun(
  options: PipelineRunOptions,
): Promise<PipelineRun> {
  const id = runId();
  const symbols = options.symbols(id);
  const kafka = testKafka();
  const ledger = new SentLedger();
  const base = pipelineEnv(id, symbols);
  await createRunTopics(kafka, base, options.partitions ?? 3);
  const feed = await startFeedServer({
    ...options.feed,
    port: 0,
    symbols,
    onTrades: ledger.record,
    onSentTo: ledger.recordConnection,
  });
  const contactPoints = options.cassandraContactPoints ?? CASSANDRA;
  const client = new cassandra.Client({
    contactPoints: [contactPoints],
    localDataCenter: "datacenter1",
    keyspace: "market",
  });
  const leaseTopic = `it-${id}-leases`;
  const env: PipelineEnv = {
    ...base,
    FINNHUB_URL: feed.url,
    CASSANDRA_CONTACT_POINTS: contactPoints,
    ...(options.ingestLeases
      ? {
        INGEST_OWNERSHIP: "leases",
        INGEST_LEASE_TOPIC: leaseTopic,
        INGEST_SHARDS: "16",
        // The least Kafka allows: its lease session is 2 s less, at least 6 s.
        INGEST_SESSION_TIMEOUT_MS: "8000",
      }
      : {}),
    ...options.env,
  };
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      await feed.close();
      await client.shutdown();
      await deleteTopics(kafka, [
        env.TRADES_TOPIC,
        env.DLQ_TOPIC,
        ...(options.ingestLeases ? [leaseTopic] : []),
      ]);
    })();
  return {
    id,
    symbols,
    env,
    kafka,
    cassandra: client,
    feed,
    ledger,
    close,
    [Symbol.asyncDispose]: close,
  };
}
