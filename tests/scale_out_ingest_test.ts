/**
 * Scale-out with ingest leases on the real Kafka and Cassandra: 1 -> 3 -> 1
 * instances, all connected to one feed, while it streams at 2,000 trades/s.
 * Each symbol is ingested by one instance at a time, so every trade the feed
 * delivered is stored exactly once (by count and by content), and every
 * candle equals the oracle.
 */
import assert from "node:assert/strict";
import {
  type AppProcess,
  scrapeMetric,
  startApp,
} from "./support/app_process.ts";
import { fastPastClock } from "./support/clocks.ts";
import { assertStoredAreSent, verifyEndState } from "./support/end_state.ts";
import { startPipelineRun } from "./support/pipeline_run.ts";
import { eventually, spreadSymbols } from "./support/servers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name:
    "scale-out ingest: 1 -> 3 -> 1 instances on one feed, each trade stored once",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const total = 70_000;
    const run = await startPipelineRun({
      symbols: (id) => spreadSymbols(`LS${id}`, 6, 1),
      partitions: 6,
      ingestLeases: true,
      feed: {
        ratePerSec: 2000,
        seed: 51,
        maxTrades: total,
        clock: fastPastClock(),
      },
    });
    const { kafka, cassandra, symbols, ledger } = run;
    const env = run.env;
    const apps: AppProcess[] = [];
    const owned = (app: AppProcess) =>
      scrapeMetric(app.metricsPort, "tickline_ingest_owned_symbols");
    try {
      apps.push(await startApp(env));
      assert.ok(
        await eventually(
          async () => (await owned(apps[0])) === symbols.length,
          30_000,
          200,
        ),
        "the only instance owns every symbol",
      );
      await sleep(5_000);
      apps.push(
        ...await Promise.all(
          [1, 2].map(() => startApp(env)),
        ),
      );
      assert.ok(
        await eventually(
          async () => {
            const counts = await Promise.all(apps.map(owned));
            return counts.reduce((a, b) => a + b, 0) === symbols.length &&
              counts.filter((n) => n > 0).length >= 2;
          },
          30_000,
          200,
        ),
        "the symbols are spread over the instances, each owned once",
      );
      await sleep(8_000);
      // Clean handovers: two instances stop, the first takes everything back.
      for (const app of apps.splice(1)) assert.equal(await app.stop(), 0);
      assert.ok(
        await eventually(
          async () => (await owned(apps[0])) === symbols.length,
          30_000,
          200,
        ),
        "the remaining instance owns every symbol again",
      );
      await eventually(() => Promise.resolve(ledger.length >= total), 120_000);
      assert.equal(ledger.length, total, "the feed delivered every trade");
      await verifyEndState({
        kafka,
        cassandra,
        env,
        symbols,
        expectedValid: total,
      });
      await assertStoredAreSent(cassandra, symbols, ledger.trades);
      const sum = await scrapeMetric(
        apps[0].metricsPort,
        "tickline_ingest_handover_seconds_sum",
      );
      const count = await scrapeMetric(
        apps[0].metricsPort,
        "tickline_ingest_handover_seconds_count",
      );
      console.log(
        `ingest handovers on the remaining instance: ${count}, mean pause ${
          count > 0 ? (sum / count).toFixed(3) : "-"
        } s`,
      );
      assert.equal(await apps[0].stop(), 0);
    } finally {
      for (const app of apps) await app.kill();
      await run.close();
    }
  },
});
