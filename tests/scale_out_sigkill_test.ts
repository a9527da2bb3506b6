/**
 * Scale-out under SIGKILL on the real Kafka and Cassandra: of 3 instances
 * with ingest leases on one feed, a random one is killed with SIGKILL 20
 * times at random moments during a 200,000-trade stream and restarted each
 * time. Judged against what the feed delivered: no trade is stored twice,
 * nothing is stored that was not delivered, and the only trades missing are
 * those a killed instance had received but Kafka had not acknowledged
 * (reported; bounded per kill). Every candle equals the oracle of the log.
 * The killed owner's symbols are taken over within `INGEST_SESSION_TIMEOUT_MS`,
 * timed by the feed from the socket's end to the next subscription (a kill
 * that lands while an earlier one is still being taken over is reported,
 * not judged: its takeover waits for both).
 */
import assert from "node:assert/strict";
import {
  type AppProcess,
  launchApp,
  waitForReadiness,
} from "./support/app_process.ts";
import { fastPastClock } from "./support/clocks.ts";
import { verifyEndState } from "./support/end_state.ts";
import { reconcileWhen } from "./support/feed_ledger.ts";
import { startPipelineRun } from "./support/pipeline_run.ts";
import { eventually, spreadSymbols } from "./support/servers.ts";

const TRADES = 200_000;
const RATE = 2_000;
const KILLS = 20;
/** Most trades one kill may lose: what arrived in the last 100 ms before it. */
const PER_KILL = RATE / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name:
    "scale-out: 20 SIGKILLs of random instances among 3 with ingest leases -> nothing doubled, loss only at kills, candles exact",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const run = await startPipelineRun({
      symbols: (id) => spreadSymbols(`KS${id}`, 6, 1),
      partitions: 6,
      ingestLeases: true,
      feed: {
        ratePerSec: RATE,
        seed: 71,
        maxTrades: TRADES,
        clock: fastPastClock(),
      },
    });
    const { kafka, cassandra, symbols, ledger } = run;
    const env = run.env;
    const seed = Number(Deno.env.get("SCALE_KILL_SEED") ?? 71);
    let rnd = seed;
    const random = () => (rnd = (rnd * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const apps: AppProcess[] = [];
    const kills: number[] = [];
    const began = Date.now();
    try {
      for (let i = 0; i < 3; i++) apps.push(launchApp(env));
      for (const app of apps) {
        assert.ok(await waitForReadiness(app.metricsPort, 200, 60_000, app));
      }
      for (let kill = 0; kill < KILLS; kill++) {
        await sleep(1500 + random() * 4000);
        const victim = Math.floor(random() * apps.length);
        kills.push(Date.now());
        await apps[victim].kill();
        apps[victim] = launchApp(env);
      }
      const streamed = await eventually(
        () => Promise.resolve(run.feed.stats().tradesSent >= TRADES),
        240_000,
        500,
      );
      assert.ok(
        streamed,
        `the feed sent everything (${run.feed.stats().tradesSent})`,
      );
      const r = await reconcileWhen(
        cassandra,
        symbols,
        ledger,
        (r) =>
          r.stored + r.missing.length >= r.sent &&
          r.missing.length <= KILLS * PER_KILL,
        180_000,
      );
      console.log(
        `scale-out sigkill (seed ${seed}): ${KILLS} kills in ${
          ((Date.now() - began) / 1000).toFixed(0)
        } s; delivered ${r.sent}, stored ${r.stored}, missing ${r.missing.length} ` +
          `(bound ${KILLS} x ${PER_KILL}), duplicated ${r.duplicated}, unexpected ${r.unexpected}`,
      );
      assert.equal(r.duplicated, 0, "no trade stored twice");
      assert.equal(r.unexpected, 0, "nothing stored that was not delivered");
      assert.ok(
        r.missing.length <= KILLS * PER_KILL,
        `at most 100 ms of trades lost per kill (${r.missing.length})`,
      );
      await verifyEndState({
        kafka,
        cassandra,
        env,
        symbols,
        timeoutMs: 180_000,
      });
      // Takeovers, as the feed saw them: gaps that began at a kill.
      const takeoverMs = Number(env.INGEST_SESSION_TIMEOUT_MS);
      const gaps = run.feed.stats().gaps.filter((g) => g.to !== undefined);
      const atKill = gaps.filter((g) =>
        kills.some((k) => g.from >= k && g.from - k < 1_000)
      );
      const single = atKill.filter((g) =>
        !kills.some((k) => k > g.from + 1_000 && k < g.to!)
      );
      const lengths = (list: typeof gaps) => list.map((g) => g.to! - g.from);
      console.log(
        `takeovers after SIGKILL: ${single.length} gaps of single kills, largest ${
          Math.max(...lengths(single))
        } ms, mean ${
          (lengths(single).reduce((a, b) => a + b, 0) / single.length).toFixed(
            0,
          )
        } ms (bound ${takeoverMs}); ${
          atKill.length - single.length
        } gaps overlapped a later kill (largest ${
          Math.max(0, ...lengths(atKill))
        } ms); largest gap of any kind ${Math.max(...lengths(gaps))} ms`,
      );
      assert.ok(single.length > 0, "some kills took symbols away");
      for (const g of single) {
        assert.ok(
          g.to! - g.from <= takeoverMs,
          `${g.symbol} taken over ${
            g.to! - g.from
          } ms after its owner's kill (bound ${takeoverMs})`,
        );
      }
      for (const app of apps) {
        await waitForReadiness(app.metricsPort, 200, 60_000, app);
        assert.equal(await app.stop(), 0);
      }
    } finally {
      for (const app of apps) await app.kill();
      await run.close();
    }
  },
});
