/**
 * Runs the bare pipeline (`bare_pipeline.ts`) as a child process and
 * measures its ceiling: durable rows/s while its own simulated feed offers
 * more than it can take.
 *
 * @module
 */
import { startFeedServer } from "../../actors/feed/mod.ts";
import { collectOutput, freePort } from "../support/app_process.ts";
import {
  CASSANDRA,
  createTopics,
  deleteTopics,
  KAFKA_BROKERS,
  runId,
  spreadSymbols,
  testKafka,
} from "../support/servers.ts";
import type { BareCounts, BareTuning } from "./bare_pipeline.ts";
import type { Teardown } from "./cleanup.ts";
import { cpuSeconds } from "./proc.ts";

const BARE_MAIN = new URL("./bare_pipeline.ts", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A running bare pipeline. */
export interface BareProcess extends AsyncDisposable {
  readonly pid: number;
  /** Its counters now. */
  counts(): Promise<BareCounts>;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
  /** What it printed so far. */
  output(): string;
}

/** Raised when the bare pipeline does not start or dies. */
export class BarePipelineError extends Error {
  override name = "BarePipelineError";
  /** @param problem what happened; @param output its last output */
  constructor(problem: string, output: string) {
    super(`bare pipeline ${problem}; its output:\n${output.slice(-3000)}`);
  }
}

/** Where the bare pipeline reads and writes. */
export interface BareTarget {
  feedUrl: string;
  symbols: readonly string[];
  topic: string;
  groupId: string;
  /** Overrides of the tuning (development tries). */
  tuning?: Partial<BareTuning>;
}

/**
 * Starts the bare pipeline and waits until it is subscribed and has joined
 * its group.
 *
 * @throws {BarePipelineError} when it is not ready within `readyTimeoutMs`.
 * @example
 * ```ts ignore
 * await using bare = await startBarePipeline({ feedUrl, symbols, topic, groupId });
 * console.log((await bare.counts()).durable);
 * ```
 */
export async function startBarePipeline(
  target: BareTarget,
  readyTimeoutMs = 60_000,
): Promise<BareProcess> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", BARE_MAIN],
    env: {
      KAFKAJS_NO_PARTITIONER_WARNING: "1",
      KAFKA_BROKERS: KAFKA_BROKERS.join(","),
      CASSANDRA_CONTACT_POINTS: CASSANDRA,
      BARE_FEED_URL: target.feedUrl,
      BARE_SYMBOLS: target.symbols.join(","),
      BARE_TOPIC: target.topic,
      BARE_GROUP_ID: target.groupId,
      BARE_PORT: String(port),
      BARE_TUNING: JSON.stringify(target.tuning ?? {}),
    },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const out = collectOutput(child);
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    await out.done;
    return s.code;
  });
  const output = out.text;
  const counts = async (): Promise<BareCounts> => {
    if (exited) throw new BarePipelineError("exited", output());
    const res = await fetch(`http://127.0.0.1:${port}/`);
    return await res.json() as BareCounts;
  };
  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }, 10_000);
      await status;
      clearTimeout(timer);
    })();
  const bare: BareProcess = {
    pid: child.pid,
    counts,
    stop,
    output,
    [Symbol.asyncDispose]: stop,
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline && !exited) {
    if (await counts().then((c) => c.ready, () => false)) return bare;
    await sleep(100);
  }
  await stop();
  throw new BarePipelineError(
    exited ? "exited before it was ready" : "was not ready in time",
    output(),
  );
}

/** Options of {@linkcode measureBareCeiling}. */
export interface BareCeilingOptions {
  /** Partitions of its trades topic: the app's. */
  partitions: number;
  /** Symbols per partition (as many symbols as the app's run). */
  symbolsPerPartition: number;
  /** The feed's batch interval: the app's feed's. */
  batchIntervalMs: number;
  /** Trades/s offered during the step: more than it can take. */
  offered: number;
  stepSeconds: number;
  /** At 1,000 trades/s before the step. */
  warmupSeconds: number;
  tuning?: Partial<BareTuning>;
  progress: (msg: string) => void;
  /** Releases what the step started, also when the benchmark is interrupted. */
  teardown: Teardown;
}

/** The bare pipeline's step. */
export interface BareCeiling {
  /** Durable rows/s during the step. */
  rowsPerSec: number;
  /** Trades/s the feed delivered during the step. */
  sentPerSec: number;
  /** CPU ms of the bare pipeline's process per 1,000 durable rows in the step. */
  cpuMsPer1k: number;
  /** Its counters at the end of the step. */
  counts: BareCounts;
}

/**
 * Runs the bare pipeline on a feed, topic and group of its own (same
 * shape as the app's run) and measures its durable rows/s over one step.
 * Everything is released before it returns, error or not.
 *
 * @example
 * ```ts ignore
 * const { rowsPerSec } = await measureBareCeiling({ partitions: 3, symbolsPerPartition: 3,
 *   batchIntervalMs: 20, offered: 60_000, stepSeconds: 60, warmupSeconds: 5, progress: console.error, teardown });
 * ```
 */
export async function measureBareCeiling(
  options: BareCeilingOptions,
): Promise<BareCeiling> {
  const id = runId();
  const kafka = testKafka();
  const topic = `bench-${id}-bare`;
  await using stack = options.teardown.open();
  await createTopics(kafka, [{ topic, numPartitions: options.partitions }]);
  stack.defer(() => deleteTopics(kafka, [topic]));
  const symbols = spreadSymbols(
    `BB${id}`,
    options.partitions,
    options.symbolsPerPartition,
  );
  const feed = await startFeedServer({
    port: 0,
    symbols,
    ratePerSec: 1000,
    seed: 12,
    batchIntervalMs: options.batchIntervalMs,
  });
  stack.defer(() => feed.close());
  const bare = stack.use(
    await startBarePipeline({
      feedUrl: feed.url,
      symbols,
      topic,
      groupId: `bench-${id}-bare`,
      tuning: options.tuning,
    }),
  );
  options.progress(
    `bare pipeline ready (pid ${bare.pid}); warm-up ${options.warmupSeconds} s at 1000/s`,
  );
  await sleep(options.warmupSeconds * 1000);
  const sentBefore = feed.stats().delivered;
  const before = await bare.counts();
  const cpuBefore = await cpuSeconds(bare.pid);
  const started = performance.now();
  feed.setRate(options.offered);
  const end = started + options.stepSeconds * 1000;
  while (performance.now() < end) {
    await sleep(Math.min(1000, end - performance.now()));
    await bare.counts(); // throws if it died
  }
  const after = await bare.counts();
  const cpu = await cpuSeconds(bare.pid) - cpuBefore;
  const seconds = (performance.now() - started) / 1000;
  feed.setRate(0);
  const sent = feed.stats().delivered - sentBefore;
  return {
    rowsPerSec: (after.durable - before.durable) / seconds,
    sentPerSec: sent / seconds,
    cpuMsPer1k: cpu / (after.durable - before.durable) * 1e6,
    counts: after,
  };
}
