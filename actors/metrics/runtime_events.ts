/**
 * Turns the actor runtime's event stream into the `tickline_actor_*` metrics.
 *
 * @module
 */

import type { RuntimeEvent } from "../../runtime/types.ts";
import type { PipelineMetrics } from "./pipeline_metrics.ts";

/** Subscribes a listener to runtime events; returns the unsubscribe function. */
export type RuntimeEventSubscribe = (
  listener: (e: RuntimeEvent) => void,
) => () => void;

/** Options of {@linkcode observeRuntimeEvents}. */
export interface ObserveRuntimeEventsOptions {
  /**
   * Most distinct `kind` label values; further kinds are counted as `other`.
   * A guard for actors spawned without an explicit kind, whose kind defaults
   * to their (possibly per-symbol) name. Default 32.
   */
  maxKinds?: number;
}

/** Label value used once {@linkcode ObserveRuntimeEventsOptions.maxKinds} is reached. */
export const OVERFLOW_KIND = "other";

/**
 * Updates the actor metrics from runtime events until the returned function
 * is called.
 *
 * @example
 * ```ts
 * import { createPipelineMetrics, observeRuntimeEvents } from "./mod.ts";
 * import type { RuntimeEvent } from "../../runtime/types.ts";
 * const listeners = new Set<(e: RuntimeEvent) => void>();
 * const metrics = createPipelineMetrics();
 * const stop = observeRuntimeEvents(metrics, (l) => {
 *   listeners.add(l);
 *   return () => listeners.delete(l);
 * });
 * for (const l of listeners) l({ type: "restarted", path: "/a", kind: "window", error: new Error("x"), delayMs: 0 });
 * stop();
 * ```
 */
export function observeRuntimeEvents(
  metrics: PipelineMetrics,
  subscribe: RuntimeEventSubscribe,
  options: ObserveRuntimeEventsOptions = {},
): () => void {
  const maxKinds = options.maxKinds ?? 32;
  const kinds = new Set<string>();
  const boundedKind = (kind: string): string => {
    if (kinds.has(kind)) return kind;
    if (kinds.size >= maxKinds) return OVERFLOW_KIND;
    kinds.add(kind);
    return kind;
  };

  // The gauge is the max over actors of a kind, so keep each actor's last
  // depth; a stopped actor must stop holding the maximum up.
  const depthByKind = new Map<string, Map<string, number>>();
  const publishDepth = (kind: string) => {
    const depths = depthByKind.get(kind);
    let max = 0;
    for (const d of depths?.values() ?? []) if (d > max) max = d;
    metrics.actorMailboxDepth.set({ kind }, max);
  };
  const pathKind = new Map<string, string>();

  const listener = (e: RuntimeEvent): void => {
    switch (e.type) {
      case "restarted":
        metrics.actorRestarts.inc({ kind: boundedKind(e.kind) });
        break;
      case "failed":
        metrics.actorFailures.inc({ kind: boundedKind(e.kind) });
        break;
      case "dead_letter":
        metrics.actorDeadLetters.inc();
        break;
      case "dropped":
        metrics.actorDropped.inc({ kind: boundedKind(e.kind) });
        break;
      case "handler_duration":
        metrics.actorHandlerDuration.observe(
          { kind: boundedKind(e.kind) },
          e.ms / 1000,
        );
        break;
      case "mailbox_depth": {
        const kind = boundedKind(e.kind);
        let depths = depthByKind.get(kind);
        if (!depths) depthByKind.set(kind, depths = new Map());
        depths.set(e.path, e.depth);
        pathKind.set(e.path, kind);
        publishDepth(kind);
        break;
      }
      case "stopped": {
        const kind = pathKind.get(e.path);
        if (kind !== undefined) {
          pathKind.delete(e.path);
          depthByKind.get(kind)?.delete(e.path);
          publishDepth(kind);
        }
        break;
      }
      // started, escalated and shutdown_timeout have no metric: a failure
      // already counted the error that escalated.
      default:
        break;
    }
  };
  return subscribe(listener);
}
