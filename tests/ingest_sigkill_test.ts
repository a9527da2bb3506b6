/**
 * Issue 9: the app is SIGKILLed 20 times at random moments during a
 * 100,000-trade run of the simulated feed (deterministic, seeded) and
 * restarted each time. Judged against what the feed SENT: every trade
 * delivered while an instance was subscribed is stored exactly once, except
 * those still in flight on a killed instance's socket: the end of what its
 * connection was sent, which it had not read (what it had read, its journal
 * gives the next start). Reported per kill (goal: <= 100 ms of trades),
 * with the gap from process start to subscribed per restart (goal: <= 2 s).
 * Shared servers: only the app process is killed.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type AppProcess,
  assertLossesOnlyAtKills,
  describeLosses,
  launchApp,
  lossesByConnection,
  reconcileWhen,
  startPipelineRun,
} from "./support/mod.ts";

const TRADES = 100_000;
const RATE = 2_500;
const KILLS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name:
    "ingest e2e: 20 SIGKILLs during a 100,000-trade run -> all else stored once; loss per kill and restart gaps reported",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const run = await startPipelineRun({
      symbols: (id) => [`SK${id}A`, `SK${id}B`, `BINANCE:SK${id}C`],
      feed: {
        ratePerSec: RATE,
        seed: 41,
        maxTrades: TRADES,
        startAfterSubscriptions: 3,
      },
    });
    const { env, feed, ledger, cassandra, symbols } = run;
    const seed = Number(Deno.env.get("SIGKILL_SEED") ?? 41);
    let rnd = seed;
    const random = () => (rnd = (rnd * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const appEnv = env;
    /** Ledger index where each instance's trades end (exclusive). */
    const ends: number[] = [];
    const gaps: number[] = [];
    const start = async (): Promise<AppProcess> => {
      const t0 = performance.now();
      const app = launchApp(appEnv);
      const deadline = t0 + 30_000;
      while (
        feed.stats().subscriptions < symbols.length &&
        performance.now() < deadline
      ) await sleep(2);
      assert.equal(
        feed.stats().subscriptions,
        symbols.length,
        `subscribed after restart; output:\n${app.output().slice(-2000)}`,
      );
      gaps.push(performance.now() - t0);
      return app;
    };
    let app = await start();
    const killedAt: number[] = [];
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        await sleep(500 + random() * 1500);
        killedAt.push(Date.now());
        await app.kill();
        // The feed pauses once nobody is subscribed: what it delivered so
        // far went to the instance just killed.
        const deadline = Date.now() + 5_000;
        while (feed.stats().connections > 0 && Date.now() < deadline) {
          await sleep(2);
        }
        ends.push(ledger.length);
        app = await start();
      }
      const deadline = Date.now() + 120_000;
      while (feed.stats().tradesSent < TRADES && Date.now() < deadline) {
        await sleep(200);
      }
      ends.push(ledger.length);
      const settledOnce = await reconcileWhen(
        cassandra,
        symbols,
        ledger,
        (r) => {
          // Settled: every trade of the last (never killed) instance stored.
          const lastStart = ends[ends.length - 2];
          return r.missing.every((i) => i < lastStart) &&
            r.stored + r.missing.length >= r.sent;
        },
        180_000,
      );
      // Earlier instances' trades precede the last one's in every partition;
      // look once more after a pause so a write still in flight is counted.
      await sleep(3000);
      const r = await reconcileWhen(
        cassandra,
        symbols,
        ledger,
        () => true,
        0,
      );
      assert.ok(r.missing.length <= settledOnce.missing.length);
      const losses = ends.slice(0, KILLS).map((end, k) => {
        const begin = k === 0 ? 0 : ends[k - 1];
        return r.missing.filter((i) => i >= begin && i < end).length;
      });
      const lastStart = ends[KILLS - 1];
      const lastLost = r.missing.filter((i) => i >= lastStart).length;
      const ms = (n: number) => (n / RATE * 1000).toFixed(0);
      const byConnection = lossesByConnection(ledger, r.missing);
      console.log(
        `sigkill (seed ${seed}): sent ${r.sent}, stored ${r.stored}, duplicated ${r.duplicated}, ` +
          `unexpected ${r.unexpected}, lost by the running instance ${lastLost}\n` +
          `  trades lost per kill: ${losses.join(" ")} (max ${
            Math.max(...losses)
          } = ${ms(Math.max(...losses))} ms at ${RATE}/s; goal <= 100 ms)\n` +
          `  start -> subscribed per start (ms): ${
            gaps.map((g) => g.toFixed(0)).join(" ")
          } (max ${Math.max(...gaps).toFixed(0)}; goal <= 2000)\n` +
          `  losses by feed connection: ${
            describeLosses(byConnection, killedAt)
          }`,
      );
      assert.equal(r.sent, TRADES);
      assert.equal(r.duplicated, 0);
      assert.equal(r.unexpected, 0);
      assert.equal(lastLost, 0, "the instance never killed lost nothing");
      assertLossesOnlyAtKills(byConnection, KILLS);
      assert.equal(r.stored + r.missing.length, r.sent);
      assert.equal(gaps.length, KILLS + 1);
      assert.equal(await app.stop(), 0);
    } finally {
      await app.kill();
      await run.close();
    }
  },
});
