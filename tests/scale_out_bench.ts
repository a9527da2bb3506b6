/**
 * `deno task bench:scale`: sustained durable trades/s with 1, 2 and 3
 * instances (ingest leases, one shared feed) on the real local Kafka and
 * Cassandra, side by side in one run. A benchmark, not a test: it prints
 * figures and asserts nothing. The feed offers more than one instance can
 * take; each step lasts `BENCH_STEP_SECONDS` (default 20) and is measured
 * until everything delivered is durable (bounded).
 *
 * @module
 */
import {
  type AppProcess,
  scrapeMetric,
  startApp,
} from "./support/app_process.ts";
import { startPipelineRun } from "./support/pipeline_run.ts";
import { spreadSymbols } from "./support/servers.ts";

const STEP_S = Number(Deno.env.get("BENCH_STEP_SECONDS") ?? "20");
const OFFERED = Number(Deno.env.get("BENCH_RATE") ?? "30000");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function durable(apps: AppProcess[]): Promise<number> {
  let sum = 0;
  for (const app of apps) {
    sum += await scrapeMetric(
      app.metricsPort,
      "tickline_e2e_latency_seconds_count",
    );
  }
  return sum;
}

async function step(instances: number): Promise<string> {
  const run = await startPipelineRun({
    symbols: (id) => spreadSymbols(`SB${id}`, 6, 1),
    partitions: 6,
    ingestLeases: true,
    feed: { ratePerSec: 1, seed: 81, batchIntervalMs: 20 },
  });
  const env = run.env;
  const apps: AppProcess[] = [];
  try {
    for (let i = 0; i < instances; i++) apps.push(await startApp(env));
    await sleep(3_000); // leases and partitions settle
    const before = await durable(apps);
    const sentBefore = run.ledger.length;
    const started = performance.now();
    run.feed.setRate(OFFERED);
    await sleep(STEP_S * 1000);
    run.feed.setRate(0);
    const sent = run.ledger.length - sentBefore;
    const drainEnd = Date.now() + 90_000;
    let written = (await durable(apps)) - before;
    while (written < sent && Date.now() < drainEnd) {
      await sleep(250);
      written = (await durable(apps)) - before;
    }
    const seconds = (performance.now() - started) / 1000;
    return `| ${instances} | ${sent} | ${written} | ${seconds.toFixed(1)} | ${
      (written / seconds).toFixed(0)
    } |`;
  } finally {
    for (const app of apps) await app.stop();
    await run.close();
  }
}

const rows: string[] = [];
for (const n of [1, 2, 3]) {
  console.error(
    `[bench:scale] ${n} instance(s), feed at ${OFFERED}/s for ${STEP_S} s`,
  );
  rows.push(await step(n));
  console.error(`[bench:scale] ${rows.at(-1)}`);
}
console.log(
  `\nDurable throughput by instance count (offered ${OFFERED}/s for ${STEP_S} s, measured until drained):\n`,
);
console.log("| instances | delivered | durable | seconds | durable/s |");
console.log("|---|---|---|---|---|");
for (const row of rows) console.log(row);
Deno.exit(0);
