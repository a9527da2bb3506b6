/**
 * The page's pipeline-health strip, read from the app's own Prometheus
 * registry (read-only): feed connected, trades per second, consumer lag,
 * actor restarts, and whether the page's store reader is connected.
 *
 * @module
 */
import type { PipelineMetrics } from "../metrics/mod.ts";

/** One reading of the health strip. */
export interface HealthSnapshot {
  feedConnected: boolean;
  /** Trades received per second over the last few seconds. */
  tradesPerSec: number;
  /** Records behind, summed over partitions. */
  consumerLag: number;
  /** Actor restarts since start, all kinds. */
  restarts: number;
  /** Whether the page can read Cassandra. */
  storeUp: boolean;
}

interface Sample {
  at: number;
  total: number;
}

async function sumOf(
  metric: { get(): Promise<{ values: { value: number }[] }> },
): Promise<number> {
  const { values } = await metric.get();
  return values.reduce((s, v) => s + v.value, 0);
}

/**
 * Reads {@linkcode HealthSnapshot}s; the trade rate is the increase of
 * `tickline_trades_received_total` over a sliding window of samples.
 *
 * @example
 * ```ts
 * import { createPipelineMetrics } from "../metrics/mod.ts";
 * import { HealthProbe } from "./health.ts";
 * const probe = new HealthProbe(createPipelineMetrics(), () => Date.now(), () => true);
 * const h = await probe.read();
 * console.assert(h.feedConnected === false);
 * ```
 */
export class HealthProbe {
  #samples: Sample[] = [];

  /**
   * @param metrics the app's metrics
   * @param now the clock
   * @param storeUp whether the store reader is connected
   * @param windowMs how far back the trade rate looks
   */
  constructor(
    private readonly metrics: PipelineMetrics,
    private readonly now: () => number,
    private readonly storeUp: () => boolean,
    private readonly windowMs = 5_000,
  ) {}

  /** Reads the metrics now. */
  async read(): Promise<HealthSnapshot> {
    const m = this.metrics;
    const [connected, total, lag, restarts] = await Promise.all([
      sumOf(m.feedConnected),
      sumOf(m.tradesReceived),
      sumOf(m.consumerLag),
      sumOf(m.actorRestarts),
    ]);
    const at = this.now();
    const samples = this.#samples;
    const last = samples.at(-1);
    // Keep samples at least 250 ms apart so many open pages share a window.
    if (!last || at - last.at >= 250) samples.push({ at, total });
    while (samples.length > 2 && at - samples[1].at >= this.windowMs) {
      samples.shift();
    }
    const first = samples[0];
    const seconds = (at - first.at) / 1000;
    const tradesPerSec = seconds > 0 ? (total - first.total) / seconds : 0;
    return {
      feedConnected: connected >= 1,
      tradesPerSec: Math.max(0, Math.round(tradesPerSec * 10) / 10),
      consumerLag: lag,
      restarts,
      storeUp: this.storeUp(),
    };
  }
}
