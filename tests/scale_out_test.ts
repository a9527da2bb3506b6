/**
 * Scale-out on the real local Kafka and Cassandra: a second instance joins
 * the consumer group mid-stream and takes partitions over, then the first is
 * killed with SIGKILL and the second takes everything. The end state is
 * still exact: every record of the trades topic stored once, every candle
 * equal to the oracle.
 */
import assert from "node:assert/strict";
import { startFeedServer } from "../actors/feed/mod.ts";
import { scrapeMetric, startApp } from "./support/app_process.ts";
import { fastPastClock } from "./support/clocks.ts";
import {
  createRunTopics,
  pipelineEnv,
  verifyEndState,
} from "./support/end_state.ts";
import {
  deleteTopics,
  eventually,
  runId,
  spreadSymbols,
  testCassandra,
  testKafka,
} from "./support/servers.ts";

Deno.test({
  name:
    "scale-out: a second instance shares the partitions, survives the first's SIGKILL, nothing lost",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const id = runId();
    // Two on each partition: whichever partitions an instance gets, it has work.
    const symbols = spreadSymbols(`SO${id}`, 3, 2);
    const env = pipelineEnv(id, symbols);
    const kafka = testKafka();
    await createRunTopics(kafka, env);
    const feed = await startFeedServer({
      port: 0,
      symbols,
      ratePerSec: 300,
      seed: 21,
      maxTrades: 5000,
      clock: fastPastClock(),
    });
    const cassandra = await testCassandra();
    const first = await startApp({ ...env, FINNHUB_URL: feed.url });
    let second: Awaited<ReturnType<typeof startApp>> | undefined;
    try {
      await eventually(
        () => Promise.resolve(feed.stats().tradesSent > 800),
        30_000,
        100,
      );
      second = await startApp({ ...env, FINNHUB_URL: feed.url });
      const consumed = (port: number) =>
        scrapeMetric(port, "tickline_records_consumed_total");
      const shared = await eventually(
        async () => (await consumed(second!.metricsPort)) > 0,
        60_000,
      );
      assert.ok(
        shared,
        "the second instance was given partitions and consumed from them",
      );
      assert.ok(
        (await consumed(first.metricsPort)) > 0,
        "the first instance consumed too",
      );
      await first.kill();
      await eventually(
        () => Promise.resolve(feed.stats().tradesSent >= 5000),
        90_000,
        200,
      );
      const state = await verifyEndState({ kafka, cassandra, env, symbols });
      assert.ok(
        state.records >= 5000,
        `every trade sent reached the log (${state.records})`,
      );
      assert.equal(await second.stop(), 0);
    } finally {
      await first.kill();
      await second?.kill();
      await feed.close();
      await cassandra.shutdown();
      await deleteTopics(kafka, [env.TRADES_TOPIC, env.DLQ_TOPIC]);
    }
  },
});
