/**
 * The whole pipeline on the real local Kafka and Cassandra: a few thousand
 * simulated trades (several symbols and minutes, some late, some invalid)
 * go through `main.ts`; afterwards every valid trade is stored exactly once,
 * every invalid one is in the dead-letter topic with its reason, and every
 * candle equals an independent oracle.
 */
import assert from "node:assert/strict";
import { startFeedServer } from "../actors/feed/mod.ts";
import { validateTrade } from "../actors/trade/mod.ts";
import { scrapeMetric, startApp } from "./support/app_process.ts";
import {
  createRunTopics,
  pipelineEnv,
  verifyEndState,
} from "./support/end_state.ts";
import {
  deleteTopics,
  runId,
  testCassandra,
  testKafka,
  waitUntil,
} from "./support/servers.ts";

Deno.test({
  name:
    "pipeline: replayed trades end exactly once in Cassandra, candles exact, rejects in the DLQ",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const id = runId();
    const symbols = [`IT${id}A`, `IT${id}B`, `IT${id}C`, `BINANCE:IT${id}D`];
    const env = pipelineEnv(id, symbols);
    const kafka = testKafka();
    await createRunTopics(kafka, env);
    const sent: Record<string, unknown>[] = [];
    const feed = await startFeedServer({
      port: 0,
      symbols,
      ratePerSec: 400,
      seed: 7,
      maxTrades: 3000,
      injectInvalid: 0.03,
      clock: lateClock(),
      onTrades: (trades) => sent.push(...(trades as Record<string, unknown>[])),
    });
    const cassandra = await testCassandra();
    // A token as the real Finnhub needs: it must reach the feed's URL and nothing else.
    const token = `tok${id}secret`;
    const app = await startApp({
      ...env,
      FINNHUB_URL: feed.url,
      FINNHUB_TOKEN: token,
      LOG_LEVEL: "info",
    });
    try {
      await waitUntil(
        () => feed.stats().tradesSent >= 3000,
        60_000,
        "feed to send 3000 trades",
      );
      const valid = sent.filter((t) =>
        validateTrade(t, { receivedAt: Date.now(), maxFutureSkewMs: 60_000 }).ok
      );
      const invalid = sent.length - valid.length;
      assert.ok(invalid > 0, "the feed injected invalid trades");
      const report = await verifyEndState({
        kafka,
        cassandra,
        env,
        symbols,
        expectedValid: valid.length,
      });
      assert.equal(
        report.dlq.length,
        invalid,
        "every invalid trade is dead-lettered",
      );
      for (const letter of report.dlq) {
        assert.ok(
          typeof letter.reason === "string" && letter.reason.length > 0,
          "a reason is given",
        );
        assert.ok("raw" in letter, "the raw input is kept");
      }
      const late = await scrapeMetric(
        app.metricsPort,
        "tickline_late_trades_total",
      );
      assert.ok(
        late > 0,
        `some trades arrived late and were still counted (${late})`,
      );
      const metricsText =
        await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`))
          .text();
      assert.equal(await app.stop(), 0, "SIGTERM stops the app cleanly");
      assert.ok(
        app.output().includes("feed connected"),
        "the app logged its connection",
      );
      assert.ok(
        !app.output().includes(token),
        "the token never appears in logs",
      );
      assert.ok(
        !metricsText.includes(token),
        "the token never appears in metrics",
      );
      assert.ok(
        !report.dlq.some((l) => JSON.stringify(l).includes(token)),
        "nor in dead letters",
      );
    } finally {
      await app.kill();
      await feed.close();
      await cassandra.shutdown();
      await deleteTopics(kafka, [env.TRADES_TOPIC, env.DLQ_TOPIC]);
    }
  },
});

/**
 * Event time that runs 20x faster than real time, ten minutes in the past,
 * and falls back 75 s now and then so some trades arrive after their window
 * has closed.
 */
function lateClock(): { now(): number } {
  const start = Date.now();
  const base = start - 10 * 60_000;
  let calls = 0;
  return {
    now() {
      const t = base + (Date.now() - start) * 20;
      return ++calls % 37 === 0 ? t - 75_000 : t;
    },
  };
}
