/**
 * Cassandra outages on a dedicated real Cassandra (the shared one is never
 * touched): SIGKILL for 20 s, SIGSTOP for 70 s, and a start while it is
 * down, each under a 2,000 trades/s stream. The app must stay up, answer
 * `/readyz` 503 during the outage and 200 after it, and end with exactly the
 * trades the feed SENT stored once and every candle equal to the oracle.
 */
import assert from "node:assert/strict";
import {
  type AppProcess,
  launchApp,
  readiness,
  rssOf,
  waitForReadiness,
} from "./support/app_process.ts";
import { fastPastClock } from "./support/clocks.ts";
import { assertStoredAreSent, verifyEndState } from "./support/end_state.ts";
import {
  type DedicatedServers,
  startDedicatedServers,
} from "./support/fault_servers.ts";
import { startPipelineRun } from "./support/pipeline_run.ts";

const RATE = 2000;

interface Outcome {
  peakRssMiB: number;
  notReadyMs: number;
  readyAfterReturnMs: number;
  sent: number;
}

/**
 * Streams `total` trades at 2,000/s into one app on `servers`' Cassandra,
 * runs `fault` while the stream flows, and checks the end state against
 * what the feed sent.
 */
async function runOutage(
  servers: DedicatedServers,
  total: number,
  fault: (app: AppProcess) => Promise<{ notReadyMs: number; back: number }>,
  startDown = false,
): Promise<Outcome> {
  const run = await startPipelineRun({
    symbols: (id) => [`CO${id}A`, `CO${id}B`, `BINANCE:CO${id}C`],
    feed: {
      ratePerSec: RATE,
      seed: 31,
      maxTrades: total,
      clock: fastPastClock(),
    },
    cassandraContactPoints: servers.cassandraContactPoints,
  });
  const { env, symbols, kafka, ledger } = run;
  const sent = ledger.trades;
  if (startDown) await servers.cassandra!.kill();
  const app = launchApp(env);
  let peakRss = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakRss = Math.max(peakRss, await rssOf(app.pid));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  let exitedEarly = false;
  app.exited.then(() => exitedEarly = sampling);
  try {
    const { notReadyMs, back } = await fault(app);
    const readyAgain = await waitForReadiness(
      app.metricsPort,
      200,
      90_000,
      app,
    );
    const readyAfterReturnMs = Date.now() - back;
    assert.ok(readyAgain, `ready again after the outage:\n${tail(app)}`);
    const deadline = Date.now() + 120_000;
    while (sent.length < total && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(sent.length, total, "the feed sent every trade");
    await verifyEndState({
      kafka,
      cassandra: run.cassandra,
      env,
      symbols,
      expectedValid: total,
      timeoutMs: 180_000,
    });
    // Judged against the source: exactly the trades the feed sent, each once.
    await assertStoredAreSent(run.cassandra, symbols, sent);
    assert.ok(!exitedEarly, `the app never exited:\n${tail(app)}`);
    assert.equal(await app.stop(), 0, "a clean stop after the outage");
    return {
      peakRssMiB: Math.round(peakRss / 1024 / 1024),
      notReadyMs,
      readyAfterReturnMs,
      sent: sent.length,
    };
  } finally {
    sampling = false;
    await sampler;
    await app.kill();
    await run.close();
  }
}

function tail(app: AppProcess): string {
  return app.output().slice(-3000);
}

/** Waits for `/readyz` to say 503 and returns how long that took. */
async function expectNotReady(app: AppProcess, withinMs: number) {
  const began = Date.now();
  assert.ok(
    await waitForReadiness(app.metricsPort, 503, withinMs, app),
    `readyz answered 503 during the outage (last: ${await readiness(
      app.metricsPort,
    )}):\n${tail(app)}`,
  );
  return Date.now() - began;
}

Deno.test({
  name:
    "cassandra outage: SIGKILL 20 s, SIGSTOP 70 s, start while down; the app stays up and ends exact against the feed",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using servers = await startDedicatedServers({ cassandra: true });
    const db = servers.cassandra!;
    const report: Record<string, Outcome> = {};

    await t.step("SIGKILL for 20 s at 2,000 trades/s", async () => {
      report.sigkill = await runOutage(servers, 70_000, async (app) => {
        assert.ok(await waitForReadiness(app.metricsPort, 200, 60_000, app));
        await new Promise((r) => setTimeout(r, 5_000));
        await db.kill();
        const killedAt = Date.now();
        const notReadyMs = await expectNotReady(app, 20_000);
        await new Promise((r) =>
          setTimeout(r, Math.max(0, killedAt + 20_000 - Date.now()))
        );
        await db.start();
        return { notReadyMs, back: Date.now() };
      });
    });

    await t.step("SIGSTOP for 70 s at 2,000 trades/s", async () => {
      report.sigstop = await runOutage(servers, 170_000, async (app) => {
        assert.ok(await waitForReadiness(app.metricsPort, 200, 60_000, app));
        await new Promise((r) => setTimeout(r, 5_000));
        await db.pause();
        const pausedAt = Date.now();
        try {
          const notReadyMs = await expectNotReady(app, 40_000);
          await new Promise((r) =>
            setTimeout(r, Math.max(0, pausedAt + 70_000 - Date.now()))
          );
          return { notReadyMs, back: Date.now() };
        } finally {
          await db.resume();
        }
      });
    });

    await t.step("started while Cassandra is down", async () => {
      report.startDown = await runOutage(servers, 30_000, async (app) => {
        const notReadyMs = await expectNotReady(app, 30_000);
        // Down for a while after start: the app must wait, not exit.
        await new Promise((r) => setTimeout(r, 8_000));
        assert.equal(await readiness(app.metricsPort), 503);
        await db.start();
        return { notReadyMs, back: Date.now() };
      }, true);
    });

    console.log(
      "cassandra outage figures:",
      JSON.stringify(report, null, 1),
    );
  },
});
