/**
 * A stalled member on the real Kafka and Cassandra: of two instances, one is
 * frozen with SIGSTOP past the session time-out while its partitions move to
 * the other, then resumed with its old state and writes still queued. Its
 * late writes must change nothing: every candle of a closed minute is final
 * and equals the oracle, and the stored trades are exactly those the feed
 * sent.
 */
import assert from "node:assert/strict";
import { startFeedServer } from "../actors/feed/mod.ts";
import { scrapeMetric, startApp } from "./support/app_process.ts";
import { fastPastClock } from "./support/clocks.ts";
import { assertStoredAreSent, verifyEndState } from "./support/end_state.ts";
import { startPipelineRun } from "./support/pipeline_run.ts";
import { eventually, spreadSymbols } from "./support/servers.ts";

Deno.test({
  name:
    "stale member: SIGSTOP past the session time-out, partitions move, the resumed member's late writes change nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const total = 12_000;
    const run = await startPipelineRun({
      // Two on each of the 2 partitions: each member consumes whichever it gets.
      symbols: (id) => spreadSymbols(`SM${id}`, 2, 2),
      partitions: 2,
      feed: {
        ratePerSec: 400,
        seed: 41,
        maxTrades: total,
        clock: fastPastClock(),
      },
    });
    const { id, env, symbols, kafka, cassandra } = run;
    const sent = run.ledger.trades;
    // The member to be frozen only consumes: it ingests from a feed of its
    // own that has nothing to send, so a frozen ingest cannot blur the test.
    const idle = `SM${id}IDLE`;
    const quiet = await startFeedServer({
      port: 0,
      symbols: [idle],
      maxTrades: 0,
    });
    const ingesting = await startApp(env);
    const stalled = await startApp({
      ...env,
      FINNHUB_URL: quiet.url,
      FINNHUB_SYMBOLS: idle,
    });
    try {
      const consumed = (port: number) =>
        scrapeMetric(port, "tickline_records_consumed_total");
      assert.ok(
        await eventually(
          async () => (await consumed(stalled.metricsPort)) > 500,
          60_000,
        ),
        "the member to be frozen owns partitions and consumes",
      );
      Deno.kill(stalled.pid, "SIGSTOP");
      // Past the 10 s session time-out: its partitions move to the other.
      await new Promise((r) => setTimeout(r, 16_000));
      const before = await consumed(ingesting.metricsPort);
      await new Promise((r) => setTimeout(r, 3_000));
      assert.ok(
        (await consumed(ingesting.metricsPort)) > before,
        "the other member took the partitions over",
      );
      Deno.kill(stalled.pid, "SIGCONT");
      await eventually(() => Promise.resolve(sent.length >= total), 90_000);
      assert.equal(sent.length, total, "the feed sent every trade");
      // Let the resumed member's stale writes land before judging.
      await new Promise((r) => setTimeout(r, 5_000));
      const state = await verifyEndState({
        kafka,
        cassandra,
        env,
        symbols,
        expectedValid: total,
      });
      assert.ok(state.candles > 0);
      // Judged against the source: exactly the trades the feed sent, each once.
      await assertStoredAreSent(cassandra, symbols, sent);
      assert.equal(await ingesting.stop(), 0);
      assert.equal(await stalled.stop(), 0);
    } finally {
      try {
        Deno.kill(stalled.pid, "SIGCONT");
      } catch {
        // gone
      }
      await stalled.kill();
      await ingesting.kill();
      await quiet.close();
      await run.close();
    }
  },
});
