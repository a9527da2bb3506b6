/**
 * The ingest journal on the real servers: trades the app had READ when it
 * was SIGKILLed, none of them in Kafka yet, are stored exactly once after a
 * restart. A DEDICATED Kafka is paused (SIGSTOP) so that produces hang; the
 * feed delivers its trades and the app reads them all (its received counter
 * says so), then the app is SIGKILLed and started again while Kafka is
 * still paused (its recovery waits it out), and Kafka resumes. The produce
 * request the dead app had sent sits in the paused broker and is appended
 * on resume: the recovery finds it in the topic and does not produce it
 * twice. Judged against what the feed SENT: every trade stored exactly
 * once, every candle exact.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { startFeedServer } from "../actors/feed/mod.ts";
import {
  createTopics,
  launchApp,
  pipelineEnv,
  reconcileWhen,
  runId,
  scrapeMetric,
  SentLedger,
  startApp,
  startDedicatedServers,
  testCassandra,
  verifyEndState,
  waitUntil,
} from "./support/mod.ts";

const BEFORE = 1_000;
const TRADES = 4_000;
const RATE = 1_000;

Deno.test({
  name:
    "ingest journal: trades read but not in Kafka when the app is SIGKILLed are stored exactly once after a restart",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const id = runId();
    await using servers = await startDedicatedServers({ kafka: true });
    const kafka = new Kafka({
      clientId: "journal-test",
      brokers: [servers.kafkaBrokers],
      logLevel: logLevel.NOTHING,
    });
    const symbols = [`JR${id}A`, `JR${id}B`, `BINANCE:JR${id}C`];
    const env = {
      ...pipelineEnv(id, symbols),
      KAFKA_BROKERS: servers.kafkaBrokers,
    };
    await createTopics(kafka, [
      { topic: env.TRADES_TOPIC, numPartitions: 3 },
      { topic: env.DLQ_TOPIC, numPartitions: 1 },
    ]);
    const ledger = new SentLedger();
    const feed = await startFeedServer({
      port: 0,
      symbols,
      ratePerSec: RATE,
      seed: 61,
      maxTrades: TRADES,
      startAfterSubscriptions: symbols.length,
      onTrades: ledger.record,
    });
    const cassandra = await testCassandra();
    const appEnv = { ...env, FINNHUB_URL: feed.url };
    let app = await startApp(appEnv);
    try {
      const received = () =>
        scrapeMetric(app.metricsPort, "tickline_trades_received_total");
      await waitUntil(
        () => ledger.length >= BEFORE,
        30_000,
        "trades before the pause",
      );
      await servers.kafka!.pause();
      await waitUntil(
        () => Promise.resolve(feed.stats().tradesSent === TRADES),
        60_000,
        "the feed to send every trade",
      );
      await waitUntil(
        async () => (await received()) === ledger.length,
        30_000,
        "the app to read every trade delivered",
      );
      const read = await received();
      const producedBefore = await scrapeMetric(
        app.metricsPort,
        "tickline_trades_produced_total",
      );
      assert.ok(
        read - producedBefore >= TRADES - BEFORE - RATE,
        `most trades read but not in Kafka (${read} read, ${producedBefore} produced)`,
      );
      await app.kill();
      // Started while Kafka is paused: the recovery retries with back-off.
      app = launchApp(appEnv);
      await new Promise((r) => setTimeout(r, 3_000));
      await servers.kafka!.resume();
      const r = await reconcileWhen(
        cassandra,
        symbols,
        ledger,
        (r) => r.missing.length === 0 && r.stored >= r.sent,
        120_000,
      );
      const recovered = {
        produced: await scrapeMetric(
          app.metricsPort,
          "tickline_ingest_journal_recovered_trades_total",
          'outcome="produced"',
        ),
        inKafka: await scrapeMetric(
          app.metricsPort,
          "tickline_ingest_journal_recovered_trades_total",
          'outcome="in_kafka"',
        ),
      };
      console.log(
        `journal: delivered ${r.sent}, read ${read}, produced before the kill ${producedBefore}; ` +
          `stored ${r.stored}, missing ${r.missing.length}, duplicated ${r.duplicated}; ` +
          `recovered ${recovered.produced} produced, ${recovered.inKafka} found in Kafka`,
      );
      assert.equal(r.sent, TRADES, "the feed delivered every trade");
      assert.equal(r.missing.length, 0, "nothing read is lost");
      assert.equal(r.duplicated, 0, "nothing stored twice");
      assert.equal(r.unexpected, 0);
      assert.ok(
        recovered.produced > 0,
        "the recovery produced what Kafka lacked",
      );
      assert.ok(
        recovered.produced + recovered.inKafka >= read - producedBefore,
        "every unsettled trade was accounted for",
      );
      await verifyEndState({
        kafka,
        cassandra,
        env,
        symbols,
        expectedValid: TRADES,
        timeoutMs: 120_000,
      });
      assert.equal(await app.stop(), 0);
    } finally {
      await app.kill();
      await feed.close();
      await cassandra.shutdown();
    }
  },
});
