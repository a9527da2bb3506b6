/**
 * Helpers shared by the runtime's tests (not exported from mod.ts).
 *
 * @module
 */

import { ManualClock } from "./clock.ts";
import { silentLogger } from "./logger.ts";
import { ActorSystem } from "./system.ts";
import type { ActorSystemOptions, Clock, RuntimeEvent } from "./types.ts";

/** A system on a ManualClock that records every event. */
export interface Harness {
  clock: ManualClock;
  system: ActorSystem;
  events: RuntimeEvent[];
  /** Events of one type (narrowed). */
  of<T extends RuntimeEvent["type"]>(
    type: T,
  ): Extract<RuntimeEvent, { type: T }>[];
}

/**
 * Builds a {@linkcode Harness}.
 *
 * @example
 * ```ts
 * import { harness } from "./test_util.ts";
 * const h = harness();
 * await h.system.shutdown();
 * ```
 */
export function harness(options: ActorSystemOptions = {}): Harness {
  const clock = new ManualClock();
  const system = new ActorSystem("t", {
    clock,
    logger: silentLogger(),
    ...options,
  });
  const events: RuntimeEvent[] = [];
  system.events.subscribe((e) => events.push(e));
  return {
    clock,
    system,
    events,
    of: <T extends RuntimeEvent["type"]>(type: T) =>
      events.filter((e) => e.type === type) as Extract<
        RuntimeEvent,
        { type: T }
      >[],
  };
}

/** A promise with its resolve/reject exposed. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * Creates a {@linkcode Deferred}.
 *
 * @example
 * ```ts
 * import { deferred } from "./test_util.ts";
 * const d = deferred<number>();
 * d.resolve(1);
 * console.assert((await d.promise) === 1);
 * ```
 */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Resolves after `ms` on `clock`.
 *
 * @example
 * ```ts
 * import { ManualClock } from "./clock.ts";
 * import { sleep } from "./test_util.ts";
 * const clock = new ManualClock();
 * const done = sleep(clock, 10);
 * await clock.advance(10);
 * await done;
 * ```
 */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
