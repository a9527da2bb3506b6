/**
 * Issue 9 on the real app and the shared Kafka and Cassandra (nothing here
 * harms a server): bursts and 100 feed disconnects. Each run is judged
 * against what the feed SENT to subscribed clients, and its logs and
 * metrics are grepped for the token in the form the run gave it.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  findSecrets,
  reconcileWhen,
  scrapeMetric,
  startApp,
  startPipelineRun,
} from "./support/mod.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function metricsText(port: number): Promise<string> {
  return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

Deno.test({
  name:
    "ingest e2e: 20,000 trades/s for 1 s on top of 2,000/s -> every sent trade stored once, none dropped",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const run = await startPipelineRun({
      symbols: (id) => [`BU${id}A`, `BU${id}B`, `BINANCE:BU${id}C`],
      feed: { ratePerSec: 2000, seed: 31, startAfterSubscriptions: 3 },
    });
    const { env, feed, ledger, cassandra, symbols } = run;
    const token = `bursttok${run.id}`;
    const app = await startApp({
      ...env,
      LOG_LEVEL: "info",
      // The token as Finnhub's docs show it: a query parameter of the URL.
      FINNHUB_URL: `${feed.url}/?token=${token}`,
    });
    try {
      await sleep(2000);
      feed.setRate(20_000);
      await sleep(1000);
      feed.setRate(2000);
      await sleep(2000);
      feed.setRate(0);
      await sleep(200);
      const r = await reconcileWhen(
        cassandra,
        symbols,
        ledger,
        (r) => r.missing.length === 0 && r.stored >= r.sent,
        90_000,
      );
      const dropped = await scrapeMetric(
        app.metricsPort,
        "tickline_trades_dropped_total",
      );
      console.log(
        `burst: sent ${r.sent}, stored ${r.stored}, missing ${r.missing.length}, ` +
          `duplicated ${r.duplicated}, dropped ${dropped}`,
      );
      assert.ok(r.sent > 25_000, `the burst happened (${r.sent} sent)`);
      assert.equal(r.missing.length, 0);
      assert.equal(r.duplicated, 0);
      assert.equal(r.unexpected, 0);
      assert.equal(dropped, 0);
      assert.equal(
        await scrapeMetric(
          app.metricsPort,
          "tickline_feed_frames_dropped_total",
        ),
        0,
      );
      const texts = [app.output(), await metricsText(app.metricsPort)];
      assert.deepEqual(findSecrets(texts, [token]), []);
      assert.equal(await app.stop(), 0);
      assert.deepEqual(findSecrets([app.output()], [token]), []);
    } finally {
      await app.kill();
      await run.close();
    }
  },
});

Deno.test({
  name:
    "ingest e2e: the feed closes the socket 100 times -> reconnect and resubscribe each time, every delivered trade stored",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const run = await startPipelineRun({
      symbols: (id) => [`DC${id}A`, `DC${id}B`],
      feed: {
        ratePerSec: 1000,
        seed: 32,
        batchIntervalMs: 20,
        startAfterSubscriptions: 2,
      },
    });
    const { env, feed, ledger, cassandra, symbols } = run;
    const token = `disctok${run.id}`;
    // FINNHUB_TOKEN form: the app appends it to the URL itself.
    const app = await startApp({
      ...env,
      LOG_LEVEL: "info",
      FINNHUB_URL: feed.url,
      FINNHUB_TOKEN: token,
    });
    let seed = 32;
    const random = () =>
      (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    try {
      const drops = 100;
      for (let i = 0; i < drops; i++) {
        const deadline = Date.now() + 10_000;
        while (
          feed.stats().subscriptions < symbols.length && Date.now() < deadline
        ) await sleep(5);
        assert.equal(
          feed.stats().subscriptions,
          symbols.length,
          `resubscribed before drop ${i}`,
        );
        await sleep(random() * 150);
        feed.dropConnections();
      }
      const deadline = Date.now() + 10_000;
      while (
        feed.stats().subscriptions < symbols.length && Date.now() < deadline
      ) await sleep(5);
      await sleep(300);
      feed.setRate(0);
      await sleep(200);
      const r = await reconcileWhen(
        cassandra,
        symbols,
        ledger,
        (r) => r.missing.length === 0 && r.stored >= r.sent,
        60_000,
      );
      const reconnects = await scrapeMetric(
        app.metricsPort,
        "tickline_feed_reconnects_total",
      );
      console.log(
        `disconnects: ${drops} drops, ${reconnects} reconnects, sent ${r.sent}, stored ${r.stored}, ` +
          `missing ${r.missing.length}, duplicated ${r.duplicated}`,
      );
      assert.ok(reconnects >= drops, `reconnected each time (${reconnects})`);
      assert.equal(r.missing.length, 0);
      assert.equal(r.duplicated, 0);
      assert.equal(r.unexpected, 0);
      const texts = [app.output(), await metricsText(app.metricsPort)];
      assert.deepEqual(findSecrets(texts, [token]), []);
      assert.equal(await app.stop(), 0);
      assert.deepEqual(findSecrets([app.output()], [token]), []);
    } finally {
      await app.kill();
      await run.close();
    }
  },
});
