/**
 * Issue 9: a Kafka outage is bounded and visible. A DEDICATED Kafka (never
 * the shared one) is SIGKILLed for 30 s while two apps ingest 2,000 trades/s
 * each, then started again. Judged against what the feed SENT:
 * - app A, whose buffer holds more than the outage: nothing dropped, every
 *   sent trade stored exactly once;
 * - app B, with a buffer of a few seconds: sent = stored + dropped exactly,
 *   and the TradesDropped alert reaches a stand-in Slack through a real
 *   Prometheus and Alertmanager.
 * Neither app exits; /readyz fails during the outage.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { startFeedServer } from "../actors/feed/mod.ts";
import {
  slackTitle,
  startAlertingStack,
  startSlackSink,
} from "../alerts/mod.ts";
import {
  createTopics,
  findSecrets,
  pipelineEnv,
  readiness,
  reconcileWhen,
  runId,
  scrapeMetric,
  SentLedger,
  startApp,
  startDedicatedServers,
  testCassandra,
} from "./support/mod.ts";

const RATE = 2000;
const OUTAGE_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name:
    "ingest e2e: Kafka SIGKILLed for 30 s at 2,000/s -> no exit, big buffer drops nothing, small buffer counts drops exactly and pages",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const id = runId();
    await using servers = await startDedicatedServers({ kafka: true });
    const brokers = servers.kafkaBrokers;
    const kafka = new Kafka({
      clientId: "outage-test",
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
    });
    const envA = pipelineEnv(`${id}A`, [`KO${id}A1`, `KO${id}A2`]);
    const envB = pipelineEnv(`${id}B`, [`KO${id}B1`, `KO${id}B2`]);
    await createTopics(
      kafka,
      [
        envA.TRADES_TOPIC,
        envA.DLQ_TOPIC,
        envB.TRADES_TOPIC,
        envB.DLQ_TOPIC,
      ].map((topic) => ({ topic, numPartitions: 3 })),
    );
    const cassandra = await testCassandra();
    const slack = startSlackSink();
    const webhookSecret = crypto.randomUUID().replaceAll("-", "");
    const tokenA = `outtokA${id}`;
    const run = async (
      env: typeof envA,
      extra: Record<string, string>,
      token?: string,
    ) => {
      const symbols = env.FINNHUB_SYMBOLS.split(",");
      const ledger = new SentLedger();
      const feed = await startFeedServer({
        port: 0,
        symbols,
        ratePerSec: RATE,
        seed: 51,
        startAfterSubscriptions: symbols.length,
        onTrades: ledger.record,
      });
      const app = await startApp({
        ...env,
        KAFKA_BROKERS: brokers,
        INGEST_RATE_PER_SEC: String(RATE),
        LOG_LEVEL: "info",
        ...extra,
        FINNHUB_URL: token ? `${feed.url}/?token=${token}` : feed.url,
      });
      let exited = false;
      app.exited.then(() => exited = true);
      return { symbols, ledger, feed, app, exited: () => exited };
    };
    // A: default buffer (90 s at 2,000/s); the token in the URL's query.
    const a = await run(envA, {}, tokenA);
    // B: about 4 s of trades; drops during a 30 s outage.
    const b = await run(envB, { INGEST_BUFFER_BYTES: "1000000" });
    const stack = await startAlertingStack({
      jobs: [{ job: "tickline", targets: [`127.0.0.1:${b.app.metricsPort}`] }],
      slackWebhookUrl: `${
        new URL(slack.url).origin
      }/services/T000/B000/${webhookSecret}`,
    });
    try {
      await sleep(3000);
      await servers.kafka!.kill();
      const downAt = Date.now();
      await sleep(5000);
      assert.equal(await readiness(a.app.metricsPort), 503, "A not ready");
      assert.equal(await readiness(b.app.metricsPort), 503, "B not ready");
      await sleep(OUTAGE_MS - (Date.now() - downAt));
      await servers.kafka!.start();
      const upAt = Date.now();
      await sleep(5000);
      a.feed.setRate(0);
      b.feed.setRate(0);
      await sleep(300);
      const firing = await slack.waitFor(
        (m) => slackTitle(m).startsWith("[FIRING] TradesDropped "),
        120_000,
        "[FIRING] TradesDropped",
      );
      const settled = (
        r: { stored: number; sent: number; missing: number[] },
      ) => r.stored + r.missing.length === r.sent;
      const ra = await reconcileWhen(
        cassandra,
        a.symbols,
        a.ledger,
        (r) => r.missing.length === 0 && settled(r),
        180_000,
      );
      const droppedB = async () =>
        await scrapeMetric(b.app.metricsPort, "tickline_trades_dropped_total");
      const rb = await reconcileWhen(
        cassandra,
        b.symbols,
        b.ledger,
        (r) => r.missing.length === 0 || r.stored + r.missing.length === r.sent,
        180_000,
      );
      const dropA = await scrapeMetric(
        a.app.metricsPort,
        "tickline_trades_dropped_total",
      );
      const dropB = await droppedB();
      const errs = await scrapeMetric(
        a.app.metricsPort,
        "tickline_produce_errors_total",
      );
      console.log(
        `kafka outage ${(upAt - downAt) / 1000} s at ${RATE}/s:\n` +
          `  A (default buffer): sent ${ra.sent}, stored ${ra.stored}, missing ${ra.missing.length}, ` +
          `duplicated ${ra.duplicated}, dropped ${dropA}, produce errors ${errs}\n` +
          `  B (1 MB buffer): sent ${rb.sent}, stored ${rb.stored}, dropped ${dropB}, ` +
          `missing ${rb.missing.length}, duplicated ${rb.duplicated}\n` +
          `  Slack: ${slackTitle(firing)}`,
      );
      assert.ok(!a.exited() && !b.exited(), "neither app exited");
      assert.equal(ra.missing.length, 0);
      assert.equal(ra.duplicated, 0);
      assert.equal(ra.unexpected, 0);
      assert.equal(dropA, 0);
      assert.ok(errs > 0, "the outage showed as produce errors");
      assert.ok(dropB > 0, "the small buffer dropped");
      assert.equal(rb.duplicated, 0);
      assert.equal(rb.unexpected, 0);
      assert.equal(rb.sent, rb.stored + dropB, "sent = stored + dropped");
      assert.equal(rb.missing.length, dropB);
      assert.ok(
        findSecrets([slack.messages.map((m) => JSON.stringify(m)).join("\n")], [
          webhookSecret,
        ]).length === 0,
      );
      assert.equal(await a.app.stop(), 0);
      assert.equal(await b.app.stop(), 0);
      assert.deepEqual(findSecrets([a.app.output()], [tokenA]), []);
    } finally {
      await a.app.kill();
      await b.app.kill();
      await a.feed.close();
      await b.feed.close();
      await stack.close();
      await slack.close();
      await cassandra.shutdown();
    }
  },
});
