/**
 * Scale-out with ingest leases on the real Kafka and Cassandra: 1 -> 3 -> 1
 * instances, all connected to one feed, while it replays a 100,000-trade
 * recording at 2,000 trades/s. The replay goes on during handovers, as a
 * market does, so the feed counts the trades nobody was subscribed to.
 * Judged against the feed:
 * - every trade it delivered is stored exactly once (by count and content),
 *   and every candle equals the oracle;
 * - every trade it sent was either delivered or fell in a handover gap it
 *   saw, each gap within the 2 s a clean handover may cost, and the gaps
 *   agree with the pauses the instances report.
 */
import assert from "node:assert/strict";
import {
  type AppProcess,
  scrapeMetric,
  startApp,
} from "./support/app_process.ts";
import { assertStoredAreSent, verifyEndState } from "./support/end_state.ts";
import {
  type HandoverPauses,
  handoverPauses,
  writeRecording,
} from "./support/handover.ts";
import { startPipelineRun } from "./support/pipeline_run.ts";
import { QUIESCE_QUIET_MS } from "../actors/pipeline/ingest_actor.ts";
import { shardOf } from "../actors/pipeline/mod.ts";
import { eventually, runId, spreadSymbols } from "./support/servers.ts";

const TRADES = 100_000;
/** Lease shards: one per symbol, two per instance of three. */
const SHARDS = 6;
const RATE = 2_000;
/** Event time runs 10x faster than the replay, so minutes close during the test. */
const SPEED = 10;
const CLEAN_HANDOVER_MS = 2_000;
/**
 * What a feed gap holds before the pause the new owner reports begins: a
 * stopping owner unsubscribes, waits for its last frames (`QUIESCE_QUIET_MS`)
 * and leaves; the others notice at their next heartbeat (300 ms) and only
 * then give up and rejoin.
 */
const BEFORE_PAUSE_S = QUIESCE_QUIET_MS / 1000 + 0.3 + 0.5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name:
    "scale-out ingest: 1 -> 3 -> 1 instances on one feed replaying 100,000 trades, each delivered trade stored once, gaps counted",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // kafkajs's round-robin assigner deals the lease shards out in the
    // order the broker lists them, which is not always by number (the
    // residues mod 3 of 16 shards left an instance none, 2/4/0). With 6
    // shards each of 3 instances gets 2, whatever the order, so symbols on
    // 6 different shards give each instance some.
    let symbols: string[];
    do symbols = spreadSymbols(`LS${runId()}`, 6, 1); while (
      new Set(symbols.map((s) => shardOf(s, SHARDS))).size < SHARDS
    );
    const recording = await writeRecording({
      symbols,
      trades: TRADES,
      ratePerSec: RATE,
      speed: SPEED,
      seed: 51,
      // In the past, so every minute closes by the end of the replay.
      startMs: Date.now() - 30 * 60_000,
    });
    const run = await startPipelineRun({
      symbols: () => symbols,
      partitions: 6,
      ingestLeases: true,
      env: { INGEST_SHARDS: String(SHARDS) },
      feed: {
        replayFile: recording,
        replaySpeed: SPEED,
        replayRetime: false,
        startAfterSubscriptions: symbols.length,
      },
    });
    const { kafka, cassandra, ledger, feed } = run;
    const env = run.env;
    const apps: AppProcess[] = [];
    const pauses: HandoverPauses[] = [];
    const pausesOf = async (app: AppProcess) =>
      handoverPauses(
        await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`))
          .text(),
      );
    const owned = (app: AppProcess) =>
      scrapeMetric(app.metricsPort, "tickline_ingest_owned_symbols");
    const ownsAll = async (app: AppProcess) =>
      await eventually(
        async () => (await owned(app)) === symbols.length,
        30_000,
        100,
      );
    try {
      apps.push(await startApp(env));
      assert.ok(await ownsAll(apps[0]), "the only instance owns every symbol");
      await sleep(8_000);
      apps.push(...await Promise.all([1, 2].map(() => startApp(env))));
      let counts: number[] = [];
      assert.ok(
        await eventually(
          async () => {
            counts = await Promise.all(apps.map(owned));
            return counts.reduce((a, b) => a + b, 0) === symbols.length &&
              counts.every((n) => n > 0);
          },
          // Two members joining at once can take the lease group more than
          // one rebalance: twice seen in CI still at two members (2/4/0)
          // after 30 s. Gaps are judged from the feed below, not by this wait.
          60_000,
          100,
        ),
        `the symbols are spread over all three instances, each owned once ` +
          `(owned last: ${counts.join("/")}; output of the third: ` +
          `${apps[2].output().slice(-3000)})`,
      );
      await sleep(10_000);
      // Clean handovers: two instances stop, the first takes everything back.
      for (const app of apps.splice(1)) {
        pauses.push(await pausesOf(app));
        assert.equal(await app.stop(), 0);
      }
      assert.ok(
        await ownsAll(apps[0]),
        "the remaining instance owns all again",
      );
      assert.ok(
        await eventually(
          () => Promise.resolve(feed.stats().replayFinished),
          120_000,
          250,
        ),
        "the replay ended",
      );
      await sleep(500);
      pauses.push(await pausesOf(apps[0]));

      const stats = feed.stats();
      assert.equal(stats.tradesSent, TRADES, "the feed sent the recording");
      assert.equal(stats.delivered + stats.missed, TRADES);
      assert.equal(ledger.length, stats.delivered);
      await verifyEndState({
        kafka,
        cassandra,
        env,
        symbols,
        expectedValid: stats.delivered,
      });
      await assertStoredAreSent(cassandra, symbols, ledger.trades);

      // The gaps the feed saw: each one a handover's, none left open.
      const gaps = stats.gaps;
      assert.ok(gaps.length > 0, "scaling out and back in moved symbols");
      assert.ok(gaps.every((g) => g.to !== undefined), "every gap closed");
      const lengths = gaps.map((g) => (g.to! - g.from) / 1000);
      const largest = Math.max(...lengths);
      const inGaps = gaps.reduce((n, g) => n + g.missed, 0);
      assert.equal(inGaps, stats.missed, "every missed trade fell in a gap");
      assert.ok(
        largest * 1000 <= CLEAN_HANDOVER_MS,
        `each clean handover gap is at most 2 s (largest ${largest} s)`,
      );
      // The feed's gaps agree with the pauses the instances measured.
      const reported = Math.max(...pauses.map((p) => p.maxBoundSeconds));
      assert.ok(
        pauses.reduce((n, p) => n + p.count, 0) > 0,
        "the instances report their handovers",
      );
      assert.ok(
        largest <= reported + BEFORE_PAUSE_S,
        `the largest gap (${largest} s) is within the largest reported pause (<= ${reported} s)`,
      );
      // And what the feed missed is what a gap of that length holds.
      const perSymbolRate = RATE / symbols.length;
      const expectedMissed = lengths.reduce((a, b) => a + b, 0) *
        perSymbolRate;
      assert.ok(
        Math.abs(stats.missed - expectedMissed) <=
          0.25 * expectedMissed + 2 * 40,
        `missed ${stats.missed} trades, ${
          expectedMissed.toFixed(0)
        } expected from the gaps`,
      );
      const mean = pauses.map((p) =>
        p.count > 0 ? (p.sumSeconds / p.count).toFixed(3) : "-"
      );
      console.log(
        `1->3->1 on a ${TRADES}-trade replay at ${RATE}/s: delivered ${stats.delivered}, ` +
          `missed in ${gaps.length} gaps ${stats.missed}; largest gap ${
            largest.toFixed(3)
          } s, mean gap ${
            (lengths.reduce((a, b) => a + b, 0) / lengths.length).toFixed(3)
          } s; rebalance pause mean by instance ${mean.join(" / ")} s, ` +
          `largest reported <= ${reported} s`,
      );
      assert.equal(await apps[0].stop(), 0);
    } finally {
      for (const app of apps) await app.kill();
      await run.close();
      await Deno.remove(recording).catch(() => {});
    }
  },
});
