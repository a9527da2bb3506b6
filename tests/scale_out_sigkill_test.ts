/**
 * Scale-out under SIGKILL on the real Kafka and Cassandra: of 3 instances
 * with ingest leases on one feed, a random one is killed with SIGKILL 20
 * times at random moments while a 300,000-trade recording replays (as a
 * market does, on through every handover), and restarted each time. Judged
 * against what the feed delivered: no trade is stored twice,
 * nothing is stored that was not delivered, and the only trades missing are
 * those still in flight on a killed instance's socket: the end of what its
 * connection was sent, which it had not read (what it had read, its journal
 * gives the next start; reported, bounded per kill). Every candle equals the oracle of the log.
 * Every fifth kill is isolated: it waits until the symbols are spread over
 * all three instances and the feed sees every symbol subscribed, and the
 * next kill waits until that holds again. Its victim's symbols must be taken
 * over within `INGEST_SESSION_TIMEOUT_MS`, timed by the feed from the
 * socket's end to the next subscription. Takeovers of the kills in between
 * are reported, not judged: a kill during a rebalance holds it for the
 * coordinator's rebalance time-out, so their takeovers chain.
 */
import assert from "node:assert/strict";
import {
  type AppProcess,
  launchApp,
  scrapeMetric,
  waitForReadiness,
} from "./support/app_process.ts";
import { verifyEndState } from "./support/end_state.ts";
import {
  assertLossesOnlyAtKills,
  describeLosses,
  lossesByConnection,
  reconcileWhen,
} from "./support/feed_ledger.ts";
import { writeRecording } from "./support/handover.ts";
import { startPipelineRun } from "./support/pipeline_run.ts";
import {
  eventually,
  runId,
  spreadSymbols,
  waitUntil,
} from "./support/servers.ts";

const TRADES = 300_000;
const RATE = 2_000;
/** Event time runs 10x faster than the replay, so minutes close during the test. */
const SPEED = 10;
const KILLS = 20;
/** Kills `ISOLATED - 1`, `2 * ISOLATED - 1`, … wait for a settled cluster. */
const ISOLATED = 5;
/** Most trades one kill may lose: what arrived in the last 100 ms before it. */
const PER_KILL = RATE / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name:
    "scale-out: 20 SIGKILLs of random instances among 3 with ingest leases -> nothing doubled, loss only at kills, candles exact",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const symbols = spreadSymbols(`KS${runId()}`, 6, 1);
    const recording = await writeRecording({
      symbols,
      trades: TRADES,
      ratePerSec: RATE,
      speed: SPEED,
      seed: 71,
      // Two hours back: every minute closes by the end, and no trade is in the future.
      startMs: Date.now() - 120 * 60_000,
    });
    const run = await startPipelineRun({
      symbols: () => symbols,
      partitions: 6,
      ingestLeases: true,
      feed: {
        replayFile: recording,
        replaySpeed: SPEED,
        replayRetime: false,
        startAfterSubscriptions: symbols.length,
      },
    });
    const { kafka, cassandra, ledger } = run;
    const env = run.env;
    const seed = Number(Deno.env.get("SCALE_KILL_SEED") ?? 71);
    let rnd = seed;
    const random = () => (rnd = (rnd * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const apps: AppProcess[] = [];
    /** Each kill: when (UNIX ms), how far the ledger had got, and whether it was isolated. */
    const kills: { at: number; index: number; alone: boolean }[] = [];
    const began = Date.now();
    let seen = "";
    let owners: number[] = [];
    const admin = kafka.admin();
    await admin.connect();
    // Settled: the lease group is stable with all three instances in it,
    // each symbol is owned once, and the feed sees every symbol subscribed.
    const settled = async () => {
      const [group] = (await admin.describeGroups([
        `${env.KAFKA_GROUP_ID}-ingest`,
      ])).groups;
      const counts = await Promise.all(
        apps.map((a) =>
          scrapeMetric(a.metricsPort, "tickline_ingest_owned_symbols")
            .catch(() => NaN)
        ),
      );
      owners = counts.flatMap((n, i) => n > 0 ? [i] : []);
      const open = run.feed.stats().gaps.filter((g) => g.to === undefined);
      seen =
        `lease group ${group.state} with ${group.members.length} members, owned ${
          counts.join("/")
        }, unsubscribed ${open.map((g) => g.symbol).join(",") || "none"}`;
      return group.state === "Stable" && group.members.length === apps.length &&
        counts.reduce((a, b) => a + b, 0) === symbols.length &&
        open.length === 0;
    };
    const settle = (what: string) =>
      waitUntil(settled, 60_000, what).catch((e) => {
        throw new Error(`${e.message} (last seen: ${seen})`);
      });
    try {
      for (let i = 0; i < 3; i++) apps.push(launchApp(env));
      for (const app of apps) {
        assert.ok(await waitForReadiness(app.metricsPort, 200, 60_000, app));
      }
      for (let kill = 0; kill < KILLS; kill++) {
        const alone = kill % ISOLATED === ISOLATED - 1;
        if (alone) await settle("a settled cluster");
        else await sleep(1500 + random() * 4000);
        // An isolated kill takes a victim that owns symbols.
        const victim = alone
          ? owners[Math.floor(random() * owners.length)]
          : Math.floor(random() * apps.length);
        kills.push({ at: Date.now(), index: ledger.length, alone });
        await apps[victim].kill();
        apps[victim] = launchApp(env);
        if (alone) {
          await settle("the cluster to settle again");
        }
      }
      const streamed = await eventually(
        () => Promise.resolve(run.feed.stats().replayFinished),
        240_000,
        500,
      );
      assert.ok(streamed, "the replay ended");
      assert.equal(
        run.feed.stats().tradesSent,
        TRADES,
        "the feed sent the recording",
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
      // Where the losses lie, beside where the kills fell (ledger indices):
      // a run of losses far from every kill is a bug, not a kill's cost.
      const runs: [number, number][] = [];
      for (const i of r.missing) {
        const last = runs.at(-1);
        if (last && i - last[1] < 50) last[1] = i;
        else runs.push([i, i]);
      }
      console.log(
        `losses at ${
          runs.map(([a, b]) => `${a}+${b - a + 1}`).join(", ") || "-"
        }; ` +
          `kills at ${kills.map((k) => k.index).join(", ")}`,
      );
      assert.equal(r.duplicated, 0, "no trade stored twice");
      assert.equal(r.unexpected, 0, "nothing stored that was not delivered");
      assert.ok(
        r.missing.length <= KILLS * PER_KILL,
        `at most 100 ms of trades lost per kill (${r.missing.length})`,
      );
      // What a killed instance had read is in its journal: it loses only
      // the end of its connection's stream, which it had not read.
      const byConnection = lossesByConnection(ledger, r.missing);
      console.log(
        `losses by feed connection: ${
          describeLosses(byConnection, kills.map((k) => k.at))
        }`,
      );
      assertLossesOnlyAtKills(byConnection, KILLS);
      await verifyEndState({
        kafka,
        cassandra,
        env,
        symbols,
        timeoutMs: 180_000,
      });
      // Takeovers, as the feed saw them: gaps that began at a kill.
      const takeoverMs = Number(env.INGEST_SESSION_TIMEOUT_MS);
      const gaps = run.feed.stats().gaps;
      const startedAt = (list: number[]) =>
        gaps.filter((g) => list.some((k) => g.from >= k && g.from - k < 1_000));
      const isolated = kills.filter((k) => k.alone).map((k) => k.at);
      const single = startedAt(isolated);
      const chained = startedAt(
        kills.filter((k) => !k.alone).map((k) => k.at),
      );
      const lengths = (list: typeof gaps) =>
        list.map((g) => (g.to ?? Date.now()) - g.from);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      console.log(
        `takeovers after ${isolated.length} isolated SIGKILLs: ${single.length} gaps, ` +
          `largest ${Math.max(...lengths(single))} ms, mean ${
            mean(lengths(single)).toFixed(0)
          } ms (bound ${takeoverMs}); after the ${chained.length} gaps of the other kills: ` +
          `largest ${Math.max(0, ...lengths(chained))} ms, mean ${
            mean(lengths(chained)).toFixed(0)
          } ms`,
      );
      for (const k of isolated) {
        assert.ok(
          startedAt([k]).length > 0,
          `the isolated kill at +${k - began} ms took symbols away`,
        );
      }
      for (const g of single) {
        assert.ok(
          g.to !== undefined && g.to - g.from <= takeoverMs,
          `${g.symbol} taken over ${
            (g.to ?? Date.now()) - g.from
          } ms after its owner's kill (bound ${takeoverMs})`,
        );
      }
      for (const app of apps) {
        await waitForReadiness(app.metricsPort, 200, 60_000, app);
        assert.equal(await app.stop(), 0);
      }
    } finally {
      await admin.disconnect();
      for (const app of apps) await app.kill();
      await run.close();
      await Deno.remove(recording).catch(() => {});
    }
  },
});
