/**
 * `deno task bench:e2e`: the pipeline's end-to-end figures on the real local
 * Kafka and Cassandra, each beside a ceiling measured in the same run with
 * the same drivers on the same servers. A benchmark, not a test: it prints
 * figures and asserts nothing. Bounded: a few minutes in all.
 *
 * Env: BENCH_RATES (comma list, default 1000,2500,5000,10000,20000,30000,40000),
 * BENCH_STEP_SECONDS (default 10).
 *
 * @module
 */
import cassandra from "cassandra-driver";
import { startFeedServer } from "../actors/feed/mod.ts";
import { freePort, startApp } from "./support/app_process.ts";
import { createRunTopics, pipelineEnv } from "./support/end_state.ts";
import {
  createTopics,
  deleteTopics,
  runId,
  testCassandra,
  testKafka,
} from "./support/servers.ts";

const RATES =
  (Deno.env.get("BENCH_RATES") ?? "1000,2500,5000,10000,20000,30000,40000")
    .split(",").map(Number);
const STEP_S = Number(Deno.env.get("BENCH_STEP_SECONDS") ?? "10");
const LATENESS_MS = 1000;

function progress(msg: string): void {
  console.error(`[bench:e2e ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Quantile from cumulative Prometheus buckets, interpolated as histogram_quantile does. */
function bucketQuantile(buckets: [number, number][], q: number): number {
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return prevLe;
      return prevLe +
        (le - prevLe) *
          (count - prevCount === 0
            ? 0
            : (rank - prevCount) / (count - prevCount));
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return await res.text();
}

function histogram(
  text: string,
  name: string,
): { buckets: [number, number][]; count: number } {
  const buckets: [number, number][] = [];
  let count = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}_bucket{`)) {
      const le = line.match(/le="([^"]+)"/)![1];
      buckets.push([
        le === "+Inf" ? Infinity : Number(le),
        Number(line.split(" ").pop()),
      ]);
    } else if (line.startsWith(`${name}_count`)) {
      count = Number(line.split(" ").pop());
    }
  }
  return { buckets, count };
}

function diff(
  a: [number, number][],
  b: [number, number][],
): [number, number][] {
  return b.map(([le, c], i) => [le, c - (a[i]?.[1] ?? 0)]);
}

function rssOf(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** Ceiling 1: raw cassandra-driver inserts of trades_v2 rows (best of single and batched). */
async function cassandraCeiling(rows: number): Promise<number> {
  const client = new cassandra.Client({
    contactPoints: ["127.0.0.1:9042"],
    localDataCenter: "datacenter1",
    keyspace: "market",
    pooling: { maxRequestsPerConnection: 2048 },
  });
  await client.connect();
  const insert =
    `INSERT INTO trades_v2 (symbol, trade_year, trade_month, trade_day, ts, kafka_partition,
    kafka_offset, trade_hour, price, volume, conditions, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`;
  const now = Date.now();
  const d = new Date(now);
  const params = (symbol: string, i: number) => [
    symbol,
    d.getUTCFullYear(),
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    new Date(now - i),
    0,
    cassandra.types.Long.fromNumber(i),
    d.getUTCHours(),
    100 + i % 7,
    1 + i % 5,
    ["1"],
    new Date(now),
  ];
  const results: number[] = [];
  for (const batchRows of [1, 50]) {
    const symbol = `CEIL${runId()}`;
    let next = 0;
    const started = performance.now();
    const lane = async () => {
      while (next < rows) {
        const first = next;
        next += batchRows;
        const n = Math.min(batchRows, rows - first);
        if (n === 1) {
          await client.execute(insert, params(symbol, first), {
            prepare: true,
          });
        } else {
          await client.batch(
            Array.from(
              { length: n },
              (_, k) => ({ query: insert, params: params(symbol, first + k) }),
            ),
            { prepare: true, logged: false },
          );
        }
      }
    };
    await Promise.all(Array.from({ length: batchRows === 1 ? 128 : 16 }, lane));
    results.push(rows / ((performance.now() - started) / 1000));
  }
  await client.shutdown();
  return Math.max(...results);
}

/** Ceiling 2: raw kafkajs produce-to-consume latency at a modest rate. */
async function kafkaCeiling(
  seconds: number,
  ratePerSec: number,
): Promise<number[]> {
  const kafka = testKafka();
  const topic = `bench-${runId()}`;
  await createTopics(kafka, [{ topic, numPartitions: 3 }]);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({
    groupId: `bench-${runId()}`,
    maxWaitTimeInMs: 20,
  });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const latencies: number[] = [];
  const joined = Promise.withResolvers<void>();
  consumer.on(consumer.events.GROUP_JOIN, () => joined.resolve());
  await consumer.run({
    eachBatch: ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) {
        latencies.push(now - Number(m.value!.toString()));
      }
      return Promise.resolve();
    },
  });
  await joined.promise;
  const end = Date.now() + seconds * 1000;
  const perTick = Math.max(1, Math.round(ratePerSec / 100));
  while (Date.now() < end) {
    const t = Date.now();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from(
        { length: perTick },
        (_, i) => ({ key: `k${i % 7}`, value: String(Date.now()) }),
      ),
    });
    await new Promise((r) => setTimeout(r, Math.max(0, 10 - (Date.now() - t))));
  }
  await new Promise((r) => setTimeout(r, 1000));
  await producer.disconnect();
  await consumer.disconnect();
  await deleteTopics(kafka, [topic]);
  return latencies.sort((a, b) => a - b);
}

interface Step {
  rate: number;
  sent: number;
  written: number;
  throughput: number;
  p50: number;
  p95: number;
  p99: number;
  peakRss: number;
  lost: number;
}

async function main(): Promise<void> {
  progress(
    "measuring the raw Cassandra ceiling (20,000 trades_v2 rows, single and batched inserts)",
  );
  const cassCeiling = await cassandraCeiling(20_000);
  progress(`raw cassandra-driver ceiling: ${cassCeiling.toFixed(0)} rows/s`);
  progress(
    "measuring raw kafkajs produce-to-consume latency (5 s at 1000 msg/s)",
  );
  const kLat = await kafkaCeiling(5, 1000);
  const kP = [0.5, 0.95, 0.99].map((q) => quantile(kLat, q));
  progress(
    `raw kafkajs latency p50/p95/p99: ${
      kP.map((x) => x.toFixed(1)).join(" / ")
    } ms`,
  );

  const id = runId();
  const symbols = Array.from(
    { length: 8 },
    (_, i) => `BN${id}${String.fromCharCode(65 + i)}`,
  );
  const env = pipelineEnv(id, symbols);
  const kafka = testKafka();
  await createRunTopics(kafka, env);
  let offered = 0;
  const feedPort = freePort();
  // The feed is restarted on one port at each new rate; the app reconnects.
  let seed = 0;
  const feedAt = (ratePerSec: number, count = false) =>
    startFeedServer({
      port: feedPort,
      symbols,
      ratePerSec,
      seed: ++seed,
      batchIntervalMs: 20,
      onTrades: count ? (t) => offered += t.length : undefined,
    });
  let feed = await feedAt(1);
  const switchFeed = async (ratePerSec: number, count = false) => {
    await feed.close();
    feed = await feedAt(ratePerSec, count);
  };
  const app = await startApp({
    ...env,
    FINNHUB_URL: `ws://127.0.0.1:${feedPort}`,
    WINDOW_LATENESS_MS: String(LATENESS_MS),
    KAFKA_SESSION_TIMEOUT_MS: "30000",
    PROVISIONAL_INTERVAL_MS: "2000",
  });
  const pid = app.pid;
  const busy: [number, number][] = [];
  const steps: Step[] = [];
  try {
    for (const [i, rate] of RATES.entries()) {
      progress(
        `step ${
          i + 1
        }/${RATES.length}: feed at ${rate} trades/s for ${STEP_S} s`,
      );
      const sentBefore = offered;
      await switchFeed(rate, true);
      const before = histogram(
        await scrape(app.metricsPort),
        "tickline_e2e_latency_seconds",
      );
      const started = performance.now();
      busy.push([Date.now(), Date.now() + STEP_S * 1000]);
      let peakRss = 0;
      const stepEnd = Date.now() + STEP_S * 1000;
      while (Date.now() < stepEnd) {
        peakRss = Math.max(peakRss, rssOf(pid));
        await new Promise((r) => setTimeout(r, 250));
      }
      await switchFeed(1);
      const sent = offered - sentBefore;
      // Drain: wait until everything sent in the step is durably written (bounded).
      let after = histogram(
        await scrape(app.metricsPort),
        "tickline_e2e_latency_seconds",
      );
      const drainEnd = Date.now() + 60_000;
      while (after.count - before.count < sent && Date.now() < drainEnd) {
        peakRss = Math.max(peakRss, rssOf(pid));
        await new Promise((r) => setTimeout(r, 250));
        after = histogram(
          await scrape(app.metricsPort),
          "tickline_e2e_latency_seconds",
        );
      }
      const elapsed = (performance.now() - started) / 1000;
      const written = after.count - before.count;
      const d = diff(before.buckets, after.buckets);
      const step: Step = {
        rate,
        sent,
        written,
        throughput: written / elapsed,
        p50: bucketQuantile(d, 0.5) * 1000,
        p95: bucketQuantile(d, 0.95) * 1000,
        p99: bucketQuantile(d, 0.99) * 1000,
        peakRss,
        lost: Math.max(0, sent - written),
      };
      steps.push(step);
      progress(
        `  sent ${sent}, durable ${written} in ${elapsed.toFixed(1)} s -> ${
          step.throughput.toFixed(0)
        }/s; ` +
          `e2e p50/p95/p99 ${step.p50.toFixed(1)}/${step.p95.toFixed(1)}/${
            step.p99.toFixed(1)
          } ms; ` +
          `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
      );
      if (step.throughput < 0.8 * (sent / STEP_S)) {
        progress(
          "  saturated: durable throughput fell below 80% of the offered rate",
        );
        break;
      }
    }

    // A window closes when the watermark passes its end + lateness: run trades
    // across a minute boundary so windows close while trades flow.
    const boundary = Math.ceil((Date.now() + 6000) / 60_000) * 60_000;
    progress(
      `final candles: 2500 trades/s across the minute boundary at ${
        new Date(boundary).toISOString()
      }`,
    );
    await new Promise((r) => setTimeout(r, boundary - 5000 - Date.now()));
    await switchFeed(2500);
    busy.push([boundary - 5000, boundary + LATENESS_MS + 5000]);
    await new Promise((r) =>
      setTimeout(r, boundary + LATENESS_MS + 5000 - Date.now())
    );
    await switchFeed(1);
    await new Promise((r) => setTimeout(r, 2000));
    const finalLags = await finalCandleLags(symbols, busy);

    const saturation = Math.max(...steps.map((s) => s.throughput));
    const overload = Math.round(saturation * 10);
    progress(
      `overload: feed at ${overload} trades/s (10x saturation) for ${STEP_S} s; sampling RSS`,
    );
    await switchFeed(overload);
    const rss: number[] = [];
    const overEnd = Date.now() + STEP_S * 1000;
    while (Date.now() < overEnd) {
      rss.push(rssOf(pid));
      await new Promise((r) => setTimeout(r, 500));
    }
    await switchFeed(1);
    const dropped = await scrapeSum(
      app.metricsPort,
      "tickline_actor_dropped_messages_total",
    );

    const best = steps.reduce((a, b) => (b.throughput > a.throughput ? b : a));
    const at5k = steps.find((s) => s.rate === 5000);
    console.log(
      "\n## Tickline end-to-end benchmark (2 cores, Kafka + Cassandra + app colocated)\n",
    );
    console.log(
      `raw cassandra-driver insert ceiling: ${cassCeiling.toFixed(0)} rows/s`,
    );
    console.log(
      `raw kafkajs produce->consume latency p50/p95/p99: ${
        kP.map((x) => x.toFixed(1)).join(" / ")
      } ms\n`,
    );
    console.log(
      "| offered/s | sent | durable | throughput/s | vs Cassandra ceiling | e2e p50 ms | p95 ms | p99 ms | p95 vs raw Kafka p95 | peak RSS MiB |",
    );
    console.log("|---|---|---|---|---|---|---|---|---|---|");
    for (const s of steps) {
      console.log(
        `| ${s.rate} | ${s.sent} | ${s.written} | ${
          s.throughput.toFixed(0)
        } | ${(s.throughput / cassCeiling).toFixed(2)}x | ` +
          `${s.p50.toFixed(1)} | ${s.p95.toFixed(1)} | ${s.p99.toFixed(1)} | ${
            (s.p95 / kP[1]).toFixed(2)
          }x | ${(s.peakRss / 2 ** 20).toFixed(0)} |`,
      );
    }
    console.log(
      `\nsustained throughput (best step, nothing lost: ${best.lost === 0}): ${
        best.throughput.toFixed(0)
      }/s = ${
        (best.throughput / cassCeiling * 100).toFixed(0)
      }% of the raw Cassandra ceiling (goal >= 80%)`,
    );
    if (at5k) {
      console.log(
        `at 5,000/s: p95 ${at5k.p95.toFixed(1)} ms (goal <= 50), p99 ${
          at5k.p99.toFixed(1)
        } ms (goal <= 100)`,
      );
    }
    const fl = finalLags.sort((a, b) => a - b);
    console.log(
      `final candle after window close (n=${fl.length}): p50 ${
        quantile(fl, 0.5)
      } ms, max ${fl[fl.length - 1]} ms (goal <= 200)`,
    );
    console.log(
      `overload at ${overload}/s: RSS min/max ${
        (Math.min(...rss) / 2 ** 20).toFixed(0)
      }/${
        (Math.max(...rss) / 2 ** 20).toFixed(0)
      } MiB (goal < 300, flat); messages dropped and counted: ${dropped}`,
    );
  } finally {
    await app.stop();
    await feed.close();
    await deleteTopics(kafka, [env.TRADES_TOPIC, env.DLQ_TOPIC]);
  }
}

async function scrapeSum(port: number, name: string): Promise<number> {
  let sum = 0;
  for (const line of (await scrape(port)).split("\n")) {
    if (line.startsWith(name)) sum += Number(line.split(" ").pop());
  }
  return sum;
}

/** ms from each window's close (end + lateness, while trades flowed) to its final candle's write. */
async function finalCandleLags(
  symbols: string[],
  busy: [number, number][],
): Promise<number[]> {
  const client = await testCassandra();
  const lags: number[] = [];
  const d = new Date();
  try {
    for (const symbol of symbols) {
      const rs = await client.execute(
        "SELECT window_end, is_final, updated_at FROM trade_aggregates WHERE symbol = ? AND trade_year = ? AND trade_month = ?",
        [symbol, d.getUTCFullYear(), d.getUTCMonth() + 1],
        { prepare: true },
      );
      for (const r of rs.rows) {
        const end = (r.get("window_end") as Date).getTime();
        const close = end + LATENESS_MS;
        // Only windows that closed while trades flowed: then the watermark passes at `close`.
        if (
          !r.get("is_final") || !busy.some(([a, b]) => close >= a && close <= b)
        ) continue;
        lags.push((r.get("updated_at") as Date).getTime() - close);
      }
    }
  } finally {
    await client.shutdown();
  }
  return lags;
}

if (import.meta.main) await main();
