/**
 * Finding 2 of issue 9 and the "starts while Kafka is down" goal, on the
 * real app process: with no Kafka at all (a port nothing listens on, so no
 * shared server is touched), `/healthz` answers and the feed is subscribed
 * within 2 s of process start, trades are buffered, `/readyz` fails, and
 * SIGTERM stops the app cleanly (exit 0, not 143).
 */
import assert from "node:assert/strict";
import { startFeedServer } from "../actors/feed/mod.ts";
import { freePort, launchApp, scrapeMetric } from "./support/app_process.ts";
import { pipelineEnv, runId } from "./support/mod.ts";

Deno.test({
  name:
    "start: Kafka down -> healthz and the feed subscription within 2 s, trades buffered, SIGTERM exits 0",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const id = runId();
    const symbols = [`ST${id}A`, `ST${id}B`];
    const feed = await startFeedServer({
      port: 0,
      symbols,
      ratePerSec: 200,
      seed: 21,
    });
    const startedAt = performance.now();
    const app = launchApp({
      ...pipelineEnv(id, symbols),
      KAFKA_BROKERS: `127.0.0.1:${freePort()}`, // nothing listens here
      FINNHUB_URL: feed.url,
      LOG_LEVEL: "info",
    });
    try {
      let healthyAt: number | undefined;
      let subscribedAt: number | undefined;
      const deadline = performance.now() + 15_000;
      while (
        (healthyAt === undefined || subscribedAt === undefined) &&
        performance.now() < deadline
      ) {
        if (
          subscribedAt === undefined &&
          feed.stats().subscriptions === symbols.length
        ) subscribedAt = performance.now();
        if (healthyAt === undefined) {
          try {
            const res = await fetch(
              `http://127.0.0.1:${app.metricsPort}/healthz`,
            );
            await res.body?.cancel();
            if (res.status === 200) healthyAt = performance.now();
          } catch {
            // not listening yet
          }
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(subscribedAt !== undefined, app.output().slice(-3000));
      assert.ok(healthyAt !== undefined, app.output().slice(-3000));
      const subscribedMs = subscribedAt - startedAt;
      const healthyMs = healthyAt - startedAt;
      console.log(
        `process start -> /healthz ${healthyMs.toFixed(0)} ms, -> subscribed ${
          subscribedMs.toFixed(0)
        } ms (Kafka down)`,
      );
      assert.ok(subscribedMs <= 2_000, `subscribed after ${subscribedMs} ms`);
      // Trades arrive and wait in the buffer; nothing is dropped; not ready.
      const buffered = async () =>
        await scrapeMetric(app.metricsPort, "tickline_ingest_buffer_trades");
      const until = performance.now() + 10_000;
      while ((await buffered()) < 50 && performance.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(
        (await buffered()) >= 50,
        "trades buffered while Kafka is down",
      );
      assert.equal(
        await scrapeMetric(app.metricsPort, "tickline_trades_dropped_total"),
        0,
      );
      const ready = await fetch(`http://127.0.0.1:${app.metricsPort}/readyz`);
      await ready.body?.cancel();
      assert.equal(ready.status, 503);
      assert.equal(await app.stop(), 0, app.output().slice(-3000));
      // It said what it lost on the way out: Kafka never came.
      assert.match(app.output(), /stopped with records Kafka did not take/);
    } finally {
      await app.kill();
      await feed.close();
    }
  },
});
