/**
 * Crash tests on the real local Kafka and Cassandra. The pipeline process is
 * killed with SIGKILL at random moments and restarted; a window actor and a
 * writer actor are crashed on purpose. Each run must end in the same exact
 * state: every record of the trades topic stored once, every candle exact.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../actors/config/mod.ts";
import type { TradeStore } from "../actors/cassandra/mod.ts";
import { startFeedServer } from "../actors/feed/mod.ts";
import { silentLogger } from "../runtime/mod.ts";
import { startApp as startInProcess } from "../main.ts";
import { freePort, startApp } from "./support/app_process.ts";
import { fastPastClock } from "./support/clocks.ts";
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
} from "./support/servers.ts";

Deno.test({
  name:
    "crash: SIGKILL at random moments, restart, and the end state is still exact",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const id = runId();
    const symbols = [`CR${id}A`, `CR${id}B`, `BINANCE:CR${id}C`];
    const env = pipelineEnv(id, symbols);
    const kafka = testKafka();
    await createRunTopics(kafka, env);
    const feed = await startFeedServer({
      port: 0,
      symbols,
      ratePerSec: 300,
      seed: 11,
      maxTrades: 4000,
      clock: fastPastClock(),
    });
    const cassandra = await testCassandra();
    const seed = Number(Deno.env.get("CRASH_SEED") ?? Date.now() % 100_000);
    let rnd = seed;
    const random = () => (rnd = (rnd * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let app = await startApp({ ...env, FINNHUB_URL: feed.url });
    try {
      for (let kill = 0; kill < 3; kill++) {
        await new Promise((r) => setTimeout(r, 500 + random() * 2500));
        await app.kill();
        app = await startApp({ ...env, FINNHUB_URL: feed.url });
      }
      const deadline = Date.now() + 60_000;
      while (feed.stats().tradesSent < 4000 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
      }
      const state = await verifyEndState({ kafka, cassandra, env, symbols });
      assert.ok(
        state.records > 1000,
        `enough trades went through (${state.records}, seed ${seed})`,
      );
      assert.equal(await app.stop(), 0);
    } finally {
      await app.kill();
      await feed.close();
      await cassandra.shutdown();
      await deleteTopics(kafka, [env.TRADES_TOPIC, env.DLQ_TOPIC]);
    }
  },
});

Deno.test({
  name:
    "crash: a failing window actor and a failing writer are restored without loss",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const id = runId();
    const symbols = [`SV${id}A`, `SV${id}B`];
    const env = pipelineEnv(id, symbols);
    const kafka = testKafka();
    await createRunTopics(kafka, env);
    const feed = await startFeedServer({
      port: 0,
      symbols,
      ratePerSec: 300,
      seed: 12,
      maxTrades: 2000,
      clock: fastPastClock(),
    });
    const cassandra = await testCassandra();
    let windowCrashes = 0;
    let writerCrashes = 0;
    let windowCalls = 0;
    let writeCalls = 0;
    const config = loadConfig({
      ...env,
      FINNHUB_URL: feed.url,
      METRICS_PORT: String(freePort()),
    });
    const app = await startInProcess(config, silentLogger(), {
      beforeWindowTrades: () => {
        if (++windowCalls % 40 === 0 && windowCrashes < 3) {
          windowCrashes++;
          throw new Error("window crashed on purpose");
        }
      },
      wrapStore: (store): TradeStore => ({
        writeTrades: (trades) => {
          if (++writeCalls % 30 === 0 && writerCrashes < 3) {
            writerCrashes++;
            return Promise.reject(new Error("writer crashed on purpose"));
          }
          return store.writeTrades(trades);
        },
        writeCandles: (rows) => store.writeCandles(rows),
        readTrades: (s, from, to) => store.readTrades(s, from, to),
        hasFinalCandle: (s, start) => store.hasFinalCandle(s, start),
        close: () => store.close(),
      }),
    });
    try {
      const deadline = Date.now() + 60_000;
      while (feed.stats().tradesSent < 2000 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
      }
      await verifyEndState({ kafka, cassandra, env, symbols });
      assert.ok(windowCrashes > 0, "a window actor crashed");
      assert.ok(writerCrashes > 0, "a writer crashed");
    } finally {
      await app.stop();
      await feed.close();
      await cassandra.shutdown();
      await deleteTopics(kafka, [env.TRADES_TOPIC, env.DLQ_TOPIC]);
    }
  },
});
