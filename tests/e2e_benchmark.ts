/**
 * `deno task bench:e2e`: Tickline's end-to-end figures on the real local
 * Kafka and Cassandra, each beside ceilings measured in the same run with the
 * same drivers on the same servers: raw cassandra-driver inserts, raw
 * kafkajs latency, and a bare pipeline (same drivers, topic shape and
 * table, nothing else) at its best tuning. A benchmark, not a test: it
 * prints figures and asserts nothing; it stops by itself and releases what
 * it started, also on error or Ctrl-C.
 *
 * Each of `BENCH_RUNS` runs (default 3) starts a fresh app process; every
 * figure is reported per run and as min / median / max. A full run (3 runs
 * of 60 s steps) takes about 25 minutes and rewrites docs/benchmarks/e2e.md;
 * quick runs print only (unless `BENCH_WRITE=1`). Progress goes to stderr,
 * the table to stdout. Other knobs: `BENCH_STEP_SECONDS` (60),
 * `BENCH_WARMUP_SECONDS` (15), `BENCH_OFFERED` (60000), `BENCH_DRAIN_SECONDS`
 * (30), `BENCH_PROFILE_DIR` (app runs with `--cpu-prof` into it),
 * `BENCH_APP_V8_FLAGS` (passed as `--v8-flags`).
 *
 * @module
 */
import {
  APP_PARTITIONS,
  BARE_TUNING,
  benchEnvironment,
  benchSettings,
  cassandraInsertCeiling,
  FEED_BATCH_MS,
  kafkaLatency,
  measureBareCeiling,
  RESULTS_PATH,
  resultsDocument,
  type RunFigures,
  runFigures,
  runTickline,
  SYMBOLS_PER_PARTITION,
  Teardown,
} from "./bench/mod.ts";
import { testCassandra } from "./support/servers.ts";

function progress(msg: string): void {
  console.error(`[bench:e2e ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

async function oneRun(
  run: number,
  settings: ReturnType<typeof benchSettings>,
  teardown: Teardown,
  notes: string[],
): Promise<RunFigures> {
  const tag = (msg: string) => progress(`run ${run}/${settings.runs}: ${msg}`);
  tag("raw Cassandra ceiling (20,000 trades_v2 rows, single and batched)");
  const rawCassandra = await cassandraInsertCeiling(20_000);
  tag(`raw cassandra-driver ceiling ${rawCassandra.toFixed(0)} rows/s`);
  const rawKafka = await kafkaLatency(5, 1000);
  tag(
    `raw kafkajs latency p50/p95/p99 ${rawKafka.p50}/${rawKafka.p95}/${rawKafka.p99} ms`,
  );
  tag(
    `bare pipeline: ${settings.offered}/s offered for ${settings.stepSeconds} s`,
  );
  const bare = await measureBareCeiling({
    partitions: APP_PARTITIONS,
    symbolsPerPartition: SYMBOLS_PER_PARTITION,
    batchIntervalMs: FEED_BATCH_MS,
    offered: settings.offered,
    stepSeconds: settings.stepSeconds,
    warmupSeconds: settings.bareWarmupSeconds,
    progress: tag,
    teardown,
  });
  tag(
    `bare ceiling ${
      bare.rowsPerSec.toFixed(0)
    } durable rows/s (feed delivered ${bare.sentPerSec.toFixed(0)}/s; ${
      bare.cpuMsPer1k.toFixed(1)
    } CPU ms per 1k rows; ${bare.counts.droppedFrames} frames dropped at its bound, ${bare.counts.writeFailed} failed writes)`,
  );
  if (bare.counts.droppedFrames === 0) {
    notes.push(
      `run ${run}: the bare pipeline dropped nothing, so the feed did not offer more than it could take; its ceiling is a lower bound (raise BENCH_OFFERED)`,
    );
  }
  const tickline = await runTickline({
    stepSeconds: settings.stepSeconds,
    warmupSeconds: settings.warmupSeconds,
    drainSeconds: settings.drainSeconds,
    bareCeiling: bare.rowsPerSec,
    saturationOffered: settings.offered,
    denoArgs: settings.appDenoArgs,
    progress: tag,
    teardown,
  });
  return runFigures({ rawCassandra, rawKafka, bare, tickline });
}

/** Runs the benchmark; false when a run failed. */
async function main(): Promise<boolean> {
  const settings = benchSettings((k) => Deno.env.get(k));
  const teardown = new Teardown();
  teardown.disposeOnSignals(progress);
  // A stray rejection in a driver must not end the process before cleanup.
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    progress(`unhandled rejection (ignored): ${String(e.reason)}`);
  });
  progress(
    `${settings.runs} run(s), ${settings.stepSeconds} s steps${
      settings.write ? "" : " (quick: results file not rewritten)"
    }`,
  );
  const runs: (RunFigures | undefined)[] = [];
  const notes: string[] = [];
  const started = performance.now();
  for (let run = 1; run <= settings.runs; run++) {
    try {
      runs.push(await oneRun(run, settings, teardown, notes));
    } catch (e) {
      progress(`run ${run} failed: ${(e as Error).stack ?? e}`);
      notes.push(`run ${run} failed: ${(e as Error).message.split("\n")[0]}`);
      runs.push(undefined);
    }
    await teardown.disposeAll(progress);
    progress(
      `run ${run}: ${
        ((performance.now() - started) / 60_000).toFixed(1)
      } min so far`,
    );
  }
  const client = await testCassandra();
  const env = await benchEnvironment(client).finally(() => client.shutdown());
  const doc = resultsDocument(env, settings, BARE_TUNING, runs, notes);
  console.log(doc);
  if (settings.write) {
    await Deno.mkdir(new URL("../docs/benchmarks/", import.meta.url), {
      recursive: true,
    });
    const path = new URL(`../${RESULTS_PATH}`, import.meta.url).pathname;
    await Deno.writeTextFile(path, doc);
    // As `deno task check` wants it (tables aligned).
    await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", path] })
      .output();
    progress(`wrote ${RESULTS_PATH}`);
  }
  return runs.every((r) => r !== undefined);
}

if (import.meta.main) {
  const ok = await main();
  // kafkajs and cassandra-driver may keep timers alive after disconnecting.
  Deno.exit(ok ? 0 : 1);
}
