/**
 * Per-actor timers ({@linkcode TimerScheduler}): keyed, replaceable, and all
 * cancelled together when the actor stops or restarts.
 *
 * @module
 */

import type { Clock, TimerId, TimerScheduler } from "./types.ts";

/**
 * Delivers a timer's message to its actor; returns a promise while the
 * message waits for mailbox room, `undefined` when it was enqueued at once.
 */
export type TimerDelivery<M> = (msg: M) => Promise<void> | undefined;

/**
 * Timers of one actor, scheduled on the system clock. A periodic tick is
 * skipped while the previous tick of the same key still waits for mailbox
 * room, so a stuck actor cannot pile up timer messages.
 *
 * @example
 * ```ts
 * import { ActorTimers } from "./timers.ts";
 * import { ManualClock } from "./clock.ts";
 * const clock = new ManualClock();
 * const got: string[] = [];
 * const timers = new ActorTimers<string>(clock, (m) => { got.push(m); return undefined; });
 * timers.startPeriodic("tick", "tick", 10);
 * await clock.advance(30);
 * timers.cancelAll();
 * console.assert(got.length === 3);
 * ```
 */
export class ActorTimers<M> implements TimerScheduler<M> {
  #clock: Clock;
  #deliver: TimerDelivery<M>;
  #active = new Map<string, TimerId>();
  #waiting = new Set<string>();

  constructor(clock: Clock, deliver: TimerDelivery<M>) {
    this.#clock = clock;
    this.#deliver = deliver;
  }

  /** Sends `msg` to self once after `ms`; replaces a timer with the same key. */
  startSingle(key: string, msg: M, ms: number): void {
    this.cancel(key);
    const id = this.#clock.setTimeout(() => {
      this.#active.delete(key);
      this.#send(key, msg);
    }, ms);
    this.#active.set(key, id);
  }

  /** Sends `msg` to self every `ms` (> 0); replaces a timer with the same key. */
  startPeriodic(key: string, msg: M, ms: number): void {
    if (!(ms > 0)) {
      throw new RangeError(
        `periodic timer "${key}" needs an interval > 0 ms, got ${ms}`,
      );
    }
    this.cancel(key);
    const tick = () => {
      this.#active.set(key, this.#clock.setTimeout(tick, ms));
      if (!this.#waiting.has(key)) this.#send(key, msg);
    };
    this.#active.set(key, this.#clock.setTimeout(tick, ms));
  }

  /** Cancels the timer `key`, if any. */
  cancel(key: string): void {
    const id = this.#active.get(key);
    if (id === undefined) return;
    this.#clock.clearTimeout(id);
    this.#active.delete(key);
  }

  /** True while timer `key` is scheduled. */
  isActive(key: string): boolean {
    return this.#active.has(key);
  }

  /** Cancels every timer (actor stopping or restarting). */
  cancelAll(): void {
    for (const id of this.#active.values()) this.#clock.clearTimeout(id);
    this.#active.clear();
  }

  #send(key: string, msg: M): void {
    const pending = this.#deliver(msg);
    if (!pending) return;
    this.#waiting.add(key);
    pending.then(
      () => this.#waiting.delete(key),
      () => this.#waiting.delete(key),
    );
  }
}
