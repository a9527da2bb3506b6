/**
 * The benchmark's figures: what one run measured, flattened to named
 * numbers, their min / median / max over the runs with each goal marked met
 * or not, and the results file `docs/benchmarks/e2e.md`.
 *
 * @module
 */
import type { BareCeiling } from "./bare_process.ts";
import type { LatencyQuantiles } from "./ceilings.ts";
import type { BenchEnvironment } from "./environment.ts";
import { type BenchSettings, FULL_RUN } from "./settings.ts";
import { spread } from "./stats.ts";
import {
  APP_PARTITIONS,
  FEED_BATCH_MS,
  lagSummary,
  SYMBOLS_PER_PARTITION,
  type TicklineFigures,
  WARMUP_RATE,
} from "./tickline_run.ts";

/** The results file, relative to the repository root. */
export const RESULTS_PATH = "docs/benchmarks/e2e.md";

/** What one run measured. */
export interface RunMeasurements {
  rawCassandra: number;
  rawKafka: LatencyQuantiles;
  bare: BareCeiling;
  tickline: TicklineFigures;
}

/** One run's figures by key (see {@linkcode FIGURES}). */
export type RunFigures = Record<string, number>;

/** A reported figure and, for the goals of issue 12, its test in one run. */
export interface Figure {
  key: string;
  label: string;
  /** Decimals shown. */
  digits: number;
  goal?: string;
  /** Whether the goal holds in `run`. */
  pass?: (run: RunFigures) => boolean;
}

/** The zero-loss goal's allowance for the paced feed's last-tick rounding. */
const FEED_SLIP = 0.98;
/** Durable / delivered in a step's second half at or above this: not falling behind. */
const KEPT_UP = 0.97;

/** Every figure in the order of the table. */
export const FIGURES: readonly Figure[] = [
  {
    key: "raw_cassandra",
    label: "raw cassandra-driver inserts, rows/s",
    digits: 0,
  },
  {
    key: "raw_kafka_p50",
    label: "raw kafkajs produce->consume p50, ms",
    digits: 1,
  },
  {
    key: "raw_kafka_p95",
    label: "raw kafkajs produce->consume p95, ms",
    digits: 1,
  },
  {
    key: "raw_kafka_p99",
    label: "raw kafkajs produce->consume p99, ms",
    digits: 1,
  },
  { key: "bare_sent", label: "bare step: feed delivered, trades/s", digits: 0 },
  {
    key: "bare",
    label: "**bare-pipeline ceiling, durable rows/s**",
    digits: 0,
  },
  { key: "bare_vs_raw", label: "bare ceiling / raw Cassandra", digits: 2 },
  {
    key: "bare_cpu",
    label: "bare process CPU ms per 1k durable rows",
    digits: 1,
  },
  {
    key: "first_candle",
    label: "app spawn -> first candle row, s",
    digits: 2,
    goal: "< 5",
    pass: (r) => r.first_candle < 5,
  },
  { key: "at5k_p50", label: "5,000/s: e2e p50, ms", digits: 1 },
  { key: "at5k_p95", label: "5,000/s: e2e p95, ms", digits: 1 },
  {
    key: "at5k_p99",
    label: "5,000/s: e2e p99, ms",
    digits: 1,
    goal: "<= 100 in each run",
    pass: (r) => r.at5k_p99 <= 100,
  },
  {
    key: "at5k_p95_vs_kafka",
    label: "5,000/s: e2e p95 / raw Kafka p95",
    digits: 1,
  },
  { key: "at5k_lost", label: "5,000/s: lost after drain", digits: 0 },
  { key: "at10k_p50", label: "10,000/s: e2e p50, ms", digits: 1 },
  {
    key: "at10k_p95",
    label: "10,000/s: e2e p95, ms",
    digits: 1,
    goal: "<= 50",
    pass: (r) => r.at10k_p95 <= 50,
  },
  { key: "at10k_p99", label: "10,000/s: e2e p99, ms", digits: 1 },
  { key: "at10k_lost", label: "10,000/s: lost after drain", digits: 0 },
  { key: "zl_offered", label: "80% of bare: offered, trades/s", digits: 0 },
  { key: "zl_durable", label: "80% of bare: durable / step s", digits: 0 },
  { key: "zl_lost", label: "80% of bare: lost after drain", digits: 0 },
  { key: "zl_drain", label: "80% of bare: drain, s", digits: 1 },
  {
    key: "zl_kept",
    label: "80% of bare: durable / delivered, 2nd half",
    digits: 3,
  },
  { key: "zl_p99", label: "80% of bare: e2e p99, ms", digits: 1 },
  {
    key: "zl_vs_bare",
    label: "**zero-loss throughput / bare ceiling**",
    digits: 2,
    goal: `>= 0.80, nothing lost, kept up (2nd half >= ${KEPT_UP})`,
    pass: (r) =>
      r.zl_lost === 0 && r.zl_kept >= KEPT_UP &&
      r.zl_vs_bare >= 0.8 * FEED_SLIP,
  },
  { key: "sat_sent", label: "saturation: feed delivered, trades/s", digits: 0 },
  { key: "sat", label: "**saturation: durable trades/s**", digits: 0 },
  { key: "sat_vs_bare", label: "saturation / bare ceiling", digits: 2 },
  { key: "sat_vs_raw", label: "saturation / raw Cassandra", digits: 2 },
  {
    key: "sat_cpu",
    label: "saturation: app CPU ms per 1k durable trades",
    digits: 1,
  },
  { key: "sat_cpu_vs_bare", label: "app CPU per trade / bare's", digits: 2 },
  { key: "at20k_sent", label: "20,000/s: feed delivered, trades/s", digits: 0 },
  {
    key: "at20k_rss",
    label: "20,000/s: app peak RSS, MiB",
    digits: 0,
    goal: "< 300",
    pass: (r) => r.at20k_rss < 300,
  },
  {
    key: "flood_sent",
    label: "10x flood: feed delivered, trades/s",
    digits: 0,
  },
  {
    key: "flood_rss",
    label: "10x flood: app peak RSS, MiB",
    digits: 0,
    goal: "< 300",
    pass: (r) => r.flood_rss < 300,
  },
  {
    key: "dropped",
    label: "messages dropped and counted by the app (end)",
    digits: 0,
  },
  {
    key: "final_n",
    label: "final candles measured (closed during 5k/10k)",
    digits: 0,
  },
  {
    key: "final_p50",
    label: "final candle after window close p50, ms",
    digits: 0,
  },
  {
    key: "final_max",
    label: "final candle after window close max, ms",
    digits: 0,
    goal: "<= 200",
    pass: (r) => r.final_max <= 200,
  },
];

/**
 * Flattens one run's measurements into {@linkcode FIGURES}' keys.
 *
 * @example
 * ```ts ignore
 * const figures = runFigures({ rawCassandra, rawKafka, bare, tickline });
 * ```
 */
export function runFigures(m: RunMeasurements): RunFigures {
  const t = m.tickline;
  const bare = m.bare.rowsPerSec;
  const zlDurable = t.zeroLoss.written / (t.zeroLoss.to - t.zeroLoss.from) *
    1000;
  const lags = lagSummary(t.finalLags);
  return {
    raw_cassandra: m.rawCassandra,
    raw_kafka_p50: m.rawKafka.p50,
    raw_kafka_p95: m.rawKafka.p95,
    raw_kafka_p99: m.rawKafka.p99,
    bare_sent: m.bare.sentPerSec,
    bare,
    bare_vs_raw: bare / m.rawCassandra,
    bare_cpu: m.bare.cpuMsPer1k,
    first_candle: t.firstCandleSeconds,
    at5k_p50: t.at5k.p50,
    at5k_p95: t.at5k.p95,
    at5k_p99: t.at5k.p99,
    at5k_p95_vs_kafka: t.at5k.p95 / m.rawKafka.p95,
    at5k_lost: t.at5k.lost,
    at10k_p50: t.at10k.p50,
    at10k_p95: t.at10k.p95,
    at10k_p99: t.at10k.p99,
    at10k_lost: t.at10k.lost,
    zl_offered: t.zeroLoss.rate,
    zl_durable: zlDurable,
    zl_lost: t.zeroLoss.lost,
    zl_drain: t.zeroLoss.drainSeconds,
    zl_kept: t.zeroLoss.keptUp,
    zl_p99: t.zeroLoss.p99,
    zl_vs_bare: zlDurable / bare,
    sat_sent: t.saturation.sentPerSec,
    sat: t.saturation.durableInStepPerSec,
    sat_vs_bare: t.saturation.durableInStepPerSec / bare,
    sat_vs_raw: t.saturation.durableInStepPerSec / m.rawCassandra,
    sat_cpu: t.saturation.cpuMsPer1k,
    sat_cpu_vs_bare: t.saturation.cpuMsPer1k / m.bare.cpuMsPer1k,
    at20k_sent: t.at20k.sentPerSec,
    at20k_rss: t.at20k.peakRssMiB,
    flood_sent: t.flood.sentPerSec,
    flood_rss: t.flood.peakRssMiB,
    dropped: t.droppedMessages,
    final_n: t.finalLags.length,
    final_p50: lags.p50,
    final_max: lags.max,
  };
}

function fmt(v: number, digits: number): string {
  if (v === undefined || Number.isNaN(v)) return "-";
  return v.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/**
 * The figures table: each run, min / median / max over the runs that
 * finished (a failed run is `undefined`), and each goal's verdict over them.
 *
 * @example
 * ```ts
 * import { figuresTable } from "./results.ts";
 * console.assert(figuresTable([{ bare: 100 }, undefined]).includes("| 100 | - |"));
 * ```
 */
export function figuresTable(
  runs: readonly (RunFigures | undefined)[],
): string {
  const done = runs.filter((r): r is RunFigures => r !== undefined);
  const head = runs.map((_, i) => `run ${i + 1}`);
  const lines = [
    `| figure | ${head.join(" | ")} | min | median | max | goal | met |`,
    `|---|${head.map(() => "---:|").join("")}---:|---:|---:|---|---|`,
  ];
  for (const f of FIGURES) {
    const values = runs.map((r) => r?.[f.key] ?? NaN);
    const s = spread(values);
    let verdict = "";
    if (f.pass) {
      const passed = done.filter((r) => f.pass!(r)).length;
      verdict = done.length === 0
        ? "not measured"
        : `${
          passed === done.length ? "**met**" : "not met"
        } (${passed}/${done.length} runs)`;
    }
    lines.push(
      `| ${f.label} | ${values.map((v) => fmt(v, f.digits)).join(" | ")} | ${
        fmt(s.min, f.digits)
      } | ${fmt(s.median, f.digits)} | ${fmt(s.max, f.digits)} | ${
        f.goal ?? ""
      } | ${verdict} |`,
    );
  }
  return lines.join("\n");
}

/** The whole results document. */
export function resultsDocument(
  env: BenchEnvironment,
  settings: BenchSettings,
  bareTuning: object,
  runs: readonly (RunFigures | undefined)[],
  notes: readonly string[],
): string {
  const s = settings;
  return `# End-to-end benchmark

Written by \`deno task bench:e2e\` (\`tests/e2e_benchmark.ts\`, helpers in
\`tests/bench/\`); each full run (${FULL_RUN.runs} runs of ${FULL_RUN.stepSeconds} s steps or
more) rewrites this file, quick runs only print unless \`BENCH_WRITE=1\`.
A benchmark, not a test: figures beside ceilings measured in the same run.
${
    s.quick
      ? "\n> **Quick run** (fewer runs or shorter steps than a full run): indicative only.\n"
      : ""
  }
- **Date (UTC):** ${env.dateUtc}
- **Machine:** ${env.cores} cores (${env.cpuModel}), ${
    env.ramGiB.toFixed(1)
  } GiB RAM, Linux ${env.kernel}; Kafka, Cassandra, the app, the
  bare pipeline and the benchmark (with the simulated feed) share it.
- **Versions:** Deno ${env.deno} (V8 ${env.v8}), Kafka ${env.kafka}, Cassandra ${env.cassandra},
  kafkajs ${env.kafkajs}, cassandra-driver ${env.cassandraDriver}
- **Settings:** ${s.runs} run(s); steps of ${s.stepSeconds} s; the app's warm-up
  ${s.warmupSeconds} s at ${WARMUP_RATE}/s (stretched so a window closes in the 5,000/s step),
  the bare pipeline's ${s.bareWarmupSeconds} s; drains bounded at ${s.drainSeconds} s;
  ${
    APP_PARTITIONS * SYMBOLS_PER_PARTITION
  } symbols on ${APP_PARTITIONS} partitions; feed batches every ${FEED_BATCH_MS} ms;
  bare ceiling and saturation offered ${
    s.offered.toLocaleString("en-US")
  }/s; a fresh app process
  and fresh topics per run${
    s.appDenoArgs.length ? ` (app flags: ${s.appDenoArgs.join(" ")})` : ""
  }.
- **Bare pipeline** (\`tests/bench/bare_pipeline.ts\`, its own process): ${
    JSON.stringify(bareTuning)
  }

Each run, in order: raw ceilings; the bare pipeline's step; the app's start
and warm-up; 5,000/s, 10,000/s and 80% of this run's bare ceiling, each
drained (bounded); then 20,000/s, saturation and a flood of 10x the
saturation throughput, not drained. "durable" is the app's
\`tickline_e2e_latency_seconds\` count (rows written to Cassandra); "lost" is
what the feed delivered in the step minus what became durable by the end of
the drain. CPU ms per 1k durable rows is the process's user + system time
over the step: other load on the machine moves it far less than rows/s.

${figuresTable(runs)}
${
    notes.length
      ? `\nNotes:\n\n${notes.map((n) => `- ${n}`).join("\n")}\n`
      : ""
  }`;
}
