/**
 * Issue 9: a Kafka outage is bounded and visible. A DEDICATED Kafka (never
 * the shared one) is SIGKILLed for 30 s while two apps ingest 2,000 trades/s
 * each, then started again. Judged against what the feed SENT:
 * - app A, whose buffer holds more than the outage: nothing dropped, every
 *   sent trade stored exactly once;
 * - app B, with a buffer of a few seconds: sent = stored + dropped exactly,
 *   and the TradesDropped alert reaches a stand-in Slack through a real
 *   Prometheus and Alertmanager.
 * - app C, started while Kafka is down (it used to exit at once): it
 *   subscribes, buffers, and every trade it was sent is stored once.
 * - app D, with ingest leases (the default): its lease lapses during the
 *   outage, so it unsubscribes (nobody may know it still owns its symbols)
 *   and drops, counted, what the feed sent before it read the unsubscribe;
 *   when Kafka is back it holds them again, and every other trade it was
 *   sent is stored once.
 * No app exits; /readyz fails during the outage.
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
  eventually,
  findSecrets,
  launchApp,
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
    const envC = pipelineEnv(`${id}C`, [`KO${id}C1`]);
    const envD = {
      ...pipelineEnv(`${id}D`, [`KO${id}D1`, `KO${id}D2`]),
      INGEST_OWNERSHIP: "leases",
      INGEST_LEASE_TOPIC: `it-${id}D-leases`,
      INGEST_SESSION_TIMEOUT_MS: "8000",
    };
    await createTopics(
      kafka,
      [
        envA.TRADES_TOPIC,
        envA.DLQ_TOPIC,
        envB.TRADES_TOPIC,
        envB.DLQ_TOPIC,
        envC.TRADES_TOPIC,
        envC.DLQ_TOPIC,
        envD.TRADES_TOPIC,
        envD.DLQ_TOPIC,
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
      waitReady = true,
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
      const appEnv = {
        ...env,
        KAFKA_BROKERS: brokers,
        INGEST_RATE_PER_SEC: String(RATE),
        LOG_LEVEL: "info",
        ...extra,
        FINNHUB_URL: token ? `${feed.url}/?token=${token}` : feed.url,
      };
      // Started during the outage it is never ready: do not wait for that.
      const app = waitReady ? await startApp(appEnv) : launchApp(appEnv);
      let exited = false;
      app.exited.then(() => exited = true);
      return { symbols, ledger, feed, app, exited: () => exited };
    };
    // A: default buffer (90 s at 2,000/s); the token in the URL's query.
    const a = await run(envA, {}, tokenA);
    // B: about 4 s of trades; drops during a 30 s outage.
    const b = await run(envB, { INGEST_BUFFER_BYTES: "1000000" });
    const d = await run(envD, {});
    const ownedD = () =>
      scrapeMetric(d.app.metricsPort, "tickline_ingest_owned_symbols");
    const stack = await startAlertingStack({
      jobs: [{ job: "tickline", targets: [`127.0.0.1:${b.app.metricsPort}`] }],
      slackWebhookUrl: `${
        new URL(slack.url).origin
      }/services/T000/B000/${webhookSecret}`,
    });
    let c: Awaited<ReturnType<typeof run>> | undefined;
    try {
      await sleep(3000);
      assert.equal(await ownedD(), 2, "D holds its symbols");
      await servers.kafka!.kill();
      const downAt = Date.now();
      // C starts while Kafka is down (it used to exit at once) and buffers.
      c = await run(envC, {}, undefined, false);
      await sleep(5000);
      assert.equal(await readiness(a.app.metricsPort), 503, "A not ready");
      assert.equal(await readiness(b.app.metricsPort), 503, "B not ready");
      await sleep(OUTAGE_MS - (Date.now() - downAt));
      const ownedDuringOutage = await ownedD();
      await servers.kafka!.start();
      const upAt = Date.now();
      await sleep(5000);
      const ownedAgain = await eventually(
        async () => (await ownedD()) === 2,
        60_000,
        250,
      );
      a.feed.setRate(0);
      b.feed.setRate(0);
      d.feed.setRate(0);
      c!.feed.setRate(0);
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
      // B's drop count is final once its buffer is empty (the feed stopped).
      const bufferedB = () =>
        scrapeMetric(b.app.metricsPort, "tickline_ingest_buffer_trades");
      const drainBy = Date.now() + 120_000;
      while ((await bufferedB()) > 0 && Date.now() < drainBy) await sleep(500);
      const dropB = await scrapeMetric(
        b.app.metricsPort,
        "tickline_trades_dropped_total",
      );
      const rb = await reconcileWhen(
        cassandra,
        b.symbols,
        b.ledger,
        (r) => r.missing.length <= dropB,
        180_000,
      );
      const rc = await reconcileWhen(
        cassandra,
        c!.symbols,
        c!.ledger,
        (r) => r.missing.length === 0 && settled(r),
        120_000,
      );
      // Final: D's feed stopped.
      const notOwnedD = await scrapeMetric(
        d.app.metricsPort,
        "tickline_trades_not_owned_total",
      );
      const rd = await reconcileWhen(
        cassandra,
        d.symbols,
        d.ledger,
        (r) => r.missing.length <= notOwnedD && settled(r),
        120_000,
      );
      const cm = async (name: string) =>
        await scrapeMetric(c!.app.metricsPort, name);
      const cStats = `produced ${await cm(
        "tickline_trades_produced_total",
      )}, consumed ${await cm(
        "tickline_records_consumed_total",
      )}, buffered ${await cm(
        "tickline_ingest_buffer_trades",
      )}, produce errors ${await cm(
        "tickline_produce_errors_total",
      )}`;
      await Deno.writeTextFile("/tmp/outage_c.log", c!.app.output()).catch(
        () => {},
      );
      const peakRss = async (pid: number) => {
        const status = await Deno.readTextFile(`/proc/${pid}/status`);
        const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
        return `${(kb / 1024).toFixed(0)} MiB`;
      };
      const rss = `peak RSS A ${await peakRss(a.app.pid)}, B ${await peakRss(
        b.app.pid,
      )}, C ${await peakRss(c!.app.pid)}`;
      const dropA = await scrapeMetric(
        a.app.metricsPort,
        "tickline_trades_dropped_total",
      );
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
          `  C (started during the outage): sent ${rc.sent}, stored ${rc.stored}, missing ${rc.missing.length}, ` +
          `duplicated ${rc.duplicated} (${cStats})\n` +
          `  D (ingest leases): owned ${ownedDuringOutage} during the outage; sent ${rd.sent}, ` +
          `stored ${rd.stored}, missing ${rd.missing.length}, not owned ${notOwnedD}, duplicated ${rd.duplicated}\n` +
          `  Slack: ${slackTitle(firing)}; ${rss}`,
      );
      assert.ok(
        !a.exited() && !b.exited() && !c!.exited() && !d.exited(),
        "no app exited",
      );
      assert.equal(ownedDuringOutage, 0, "D's lease lapsed: it let go");
      assert.ok(ownedAgain, "D holds its symbols again after the outage");
      assert.ok(rd.sent > 0);
      assert.equal(
        rd.missing.length,
        notOwnedD,
        "D lost only what arrived past its lease, each counted",
      );
      assert.equal(rd.duplicated, 0);
      assert.equal(rd.unexpected, 0);
      assert.ok(rc.sent > 0, "C ingested during the outage");
      assert.equal(rc.missing.length, 0);
      assert.equal(rc.duplicated, 0);
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
      assert.equal(await c!.app.stop(), 0);
      assert.equal(await d.app.stop(), 0);
      assert.deepEqual(findSecrets([a.app.output()], [tokenA]), []);
    } finally {
      await a.app.kill();
      await b.app.kill();
      await c?.app.kill();
      await d.app.kill();
      await a.feed.close();
      await b.feed.close();
      await c?.feed.close();
      await d.feed.close();
      await stack.close();
      await slack.close();
      await cassandra.shutdown();
    }
  },
});
