/**
 * What scale-out tests need to judge ingest handovers: a recorded feed to
 * replay (the market goes on during a handover, as a real one does), and the
 * handover pauses the instances report, to set beside the gaps the feed saw.
 *
 * @module
 */
import { MarketSimulator } from "../../actors/feed/mod.ts";
import { parseHistogram } from "./prom_text.ts";

/** Options of {@linkcode writeRecording}. */
export interface RecordingOptions {
  symbols: readonly string[];
  trades: number;
  /** Trades per second of replay at `speed`. */
  ratePerSec: number;
  /** Event time runs this much faster than the replay (the feed's `replaySpeed`). */
  speed: number;
  seed: number;
  /** Event time of the first trade. */
  startMs: number;
  /** Trades per line; a line is one feed frame. Default 40. */
  perLine?: number;
}

/**
 * Writes a Finnhub recording (one `{"type":"trade"}` message per line) made
 * by the simulator to a temporary file; returns its path.
 *
 * @example
 * ```ts ignore
 * const path = await writeRecording({ symbols, trades: 100_000, ratePerSec: 2000, speed: 10, seed: 1, startMs });
 * const feed = await startFeedServer({ port: 0, symbols, replayFile: path, replaySpeed: 10, replayRetime: false });
 * ```
 */
export async function writeRecording(
  options: RecordingOptions,
): Promise<string> {
  const perLine = options.perLine ?? 40;
  const sim = new MarketSimulator({ seed: options.seed });
  const lineEventMs = perLine / options.ratePerSec * 1000 * options.speed;
  const lines: string[] = [];
  for (let sent = 0, i = 0; sent < options.trades; i++) {
    const n = Math.min(perLine, options.trades - sent);
    const from = options.startMs + i * lineEventMs;
    const data = sim.nextBatch(options.symbols, n, from, from + lineEventMs);
    // Paced by the line's first trade: keep the frame's times in order.
    data.sort((a, b) => (a.t as number) - (b.t as number));
    lines.push(JSON.stringify({ type: "trade", data }));
    sent += n;
  }
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}

/** An instance's `tickline_ingest_handover_seconds`, read from its metrics. */
export interface HandoverPauses {
  count: number;
  sumSeconds: number;
  /** Upper bound of the longest pause: the least bucket bound holding them all (Infinity when past the last). */
  maxBoundSeconds: number;
}

/**
 * Reads the handover histogram out of a Prometheus text exposition.
 *
 * @example
 * ```ts
 * import { handoverPauses } from "./handover.ts";
 * const text = 'tickline_ingest_handover_seconds_bucket{le="0.5"} 1\ntickline_ingest_handover_seconds_bucket{le="1"} 2\n' +
 *   'tickline_ingest_handover_seconds_bucket{le="+Inf"} 2\ntickline_ingest_handover_seconds_sum 1.1\ntickline_ingest_handover_seconds_count 2\n';
 * console.assert(handoverPauses(text).maxBoundSeconds === 1);
 * ```
 */
export function handoverPauses(metricsText: string): HandoverPauses {
  const { buckets, count, sum } = parseHistogram(
    metricsText,
    "tickline_ingest_handover_seconds",
  );
  const maxBoundSeconds = count === 0
    ? 0
    : buckets.find(([, n]) => n >= count)?.[0] ?? Infinity;
  return { count, sumSeconds: sum, maxBoundSeconds };
}
