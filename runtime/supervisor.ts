/**
 * Supervision policy, kept free of actor plumbing: default options, the
 * sliding restart window, which siblings a strategy restarts and how a
 * restart type overrides a directive. `fault_handling.ts` applies these.
 *
 * @module
 */

import type {
  ActorRef,
  BackoffOptions,
  Directive,
  RestartType,
  SupervisionStrategy,
  SupervisorOptions,
} from "./types.ts";

/** {@linkcode SupervisorOptions} with every default filled in. */
export interface ResolvedSupervision {
  strategy: SupervisionStrategy;
  maxRestarts: number;
  withinMs: number;
  backoff: BackoffOptions | undefined;
  decide: (error: unknown, child: ActorRef<never>) => Directive;
}

/** Default restart limit: more than 3 restarts ... */
export const DEFAULT_MAX_RESTARTS = 3;
/** ... within 5 s escalates (OTP's defaults are 1 in 5 s; 3 tolerates a flaky sink). */
export const DEFAULT_WITHIN_MS = 5000;

/**
 * Fills in the defaults: one_for_one, 3 restarts in 5000 ms, no back-off,
 * always restart.
 *
 * @example
 * ```ts
 * import { resolveSupervision } from "./supervisor.ts";
 * const s = resolveSupervision({ strategy: "one_for_all" });
 * console.assert(s.maxRestarts === 3 && s.decide(new Error("x"), undefined as never) === "restart");
 * ```
 */
export function resolveSupervision(
  options: SupervisorOptions = {},
): ResolvedSupervision {
  const maxRestarts = options.maxRestarts ?? DEFAULT_MAX_RESTARTS;
  const withinMs = options.withinMs ?? DEFAULT_WITHIN_MS;
  if (!(maxRestarts >= 0) || !(withinMs > 0)) {
    throw new RangeError(
      `supervision needs maxRestarts >= 0 and withinMs > 0, got ${maxRestarts} and ${withinMs}`,
    );
  }
  return {
    strategy: options.strategy ?? "one_for_one",
    maxRestarts,
    withinMs,
    backoff: options.backoff,
    decide: options.decide ?? (() => "restart"),
  };
}

/**
 * Restart intensity: a sliding window over clock time. A counter reset by
 * each successful restart would never escalate a steady crash loop.
 *
 * @example
 * ```ts
 * import { RestartWindow } from "./supervisor.ts";
 * const w = new RestartWindow(2, 1000);
 * console.assert(!w.record(0) && !w.record(10));
 * console.assert(w.record(20));   // third restart within 1 s
 * console.assert(!w.record(1015)); // the ones at 0 and 10 slid out
 * ```
 */
export class RestartWindow {
  #stamps: number[] = [];
  constructor(readonly maxRestarts: number, readonly withinMs: number) {}

  /** Records a restart at `now`; true when that makes more than `maxRestarts` within `withinMs`. */
  record(now: number): boolean {
    const from = now - this.withinMs;
    this.#stamps = this.#stamps.filter((t) => t > from);
    this.#stamps.push(now);
    return this.#stamps.length > this.maxRestarts;
  }

  /** Restarts currently inside the window (as of the last record). */
  get count(): number {
    return this.#stamps.length;
  }
}

/**
 * The children a strategy restarts when `failed` fails, in start order:
 * one_for_one just it, one_for_all all, rest_for_one it and those started
 * after it.
 *
 * @example
 * ```ts
 * import { affectedChildren } from "./supervisor.ts";
 * console.assert(affectedChildren("rest_for_one", ["a", "b", "c"], "b").join() === "b,c");
 * ```
 */
export function affectedChildren<T>(
  strategy: SupervisionStrategy,
  children: readonly T[],
  failed: T,
): T[] {
  switch (strategy) {
    case "one_for_all":
      return [...children];
    case "rest_for_one": {
      const i = children.indexOf(failed);
      return i < 0 ? [failed] : children.slice(i);
    }
    default:
      return [failed];
  }
}

/**
 * A temporary child is never restarted: "restart" becomes "stop".
 *
 * @example
 * ```ts
 * import { effectiveDirective } from "./supervisor.ts";
 * console.assert(effectiveDirective("temporary", "restart") === "stop");
 * console.assert(effectiveDirective("transient", "restart") === "restart");
 * ```
 */
export function effectiveDirective(
  restart: RestartType,
  directive: Directive,
): Directive {
  return restart === "temporary" && directive === "restart"
    ? "stop"
    : directive;
}

/**
 * Whether a child that stopped by itself (stopSelf, idle passivation, no
 * failure) is restarted: only a permanent one, as in OTP.
 *
 * @example
 * ```ts
 * import { restartsOnNormalStop } from "./supervisor.ts";
 * console.assert(restartsOnNormalStop("permanent") && !restartsOnNormalStop("transient"));
 * ```
 */
export function restartsOnNormalStop(restart: RestartType): boolean {
  return restart === "permanent";
}
