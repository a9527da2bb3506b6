/**
 * The trade store's events mapped to metrics and to a health verdict, in
 * one place: a failed write that will be retried means Cassandra is
 * unavailable until the next write succeeds.
 *
 * @module
 */
import type { StoreEvent } from "../cassandra/mod.ts";
import type { PipelineMetrics } from "./pipeline_metrics.ts";

/** Turns store events into metrics and remembers whether the store answers. */
export interface StoreObserver {
  observe(event: StoreEvent): void;
  /** False from a failed write until the next successful one. */
  available(): boolean;
}

/**
 * Creates the observer to pass to the store as `observe`.
 *
 * @example
 * ```ts
 * import { createPipelineMetrics, observeStoreEvents } from "./mod.ts";
 * const store = observeStoreEvents(createPipelineMetrics());
 * store.observe({ type: "error", table: "trades_v2", error: "NoHostAvailable", transient: true });
 * console.assert(!store.available());
 * ```
 */
export function observeStoreEvents(metrics: PipelineMetrics): StoreObserver {
  let available = true;
  return {
    observe(event) {
      const labels = { table: event.table };
      switch (event.type) {
        case "batch":
          available = true;
          metrics.writeDuration.observe(labels, event.seconds);
          metrics.batchSize.observe(labels, event.rows);
          return;
        case "error":
          if (event.transient) {
            available = false;
            metrics.writeRetries.inc(labels);
          } else {
            metrics.writeErrors.inc(labels);
          }
          return;
      }
    },
    available: () => available,
  };
}
