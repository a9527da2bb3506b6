/**
 * The two clocks: {@linkcode RealClock} for production (the only code in the
 * runtime that touches the wall clock or real timers) and
 * {@linkcode ManualClock} for deterministic tests.
 *
 * @module
 */

import type { Clock, TimerId } from "./types.ts";

// Deno 2 provides `setImmediate` as a global; look it up without pulling in Node types.
const immediate =
  (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;

/**
 * Wall-clock time and real timers.
 *
 * @example
 * ```ts
 * import { RealClock } from "./mod.ts";
 * const clock = new RealClock();
 * const id = clock.setTimeout(() => console.log("late"), 1000);
 * clock.clearTimeout(id);
 * await clock.yield();
 * ```
 */
export class RealClock implements Clock {
  /** Milliseconds since the UNIX epoch. */
  now(): number {
    return Date.now();
  }

  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerId {
    // Deno returns a number; the cast only silences the Node typings Deno also loads.
    return setTimeout(fn, ms) as unknown as TimerId;
  }

  /** Cancels a timer; unknown ids are ignored. */
  clearTimeout(id: TimerId): void {
    clearTimeout(id);
  }

  /**
   * Resolves after one macrotask turn. `setImmediate` rather than
   * `setTimeout(0)`: Deno clamps a zero timeout to about a millisecond (two
   * orders of magnitude slower), while `setImmediate` still lets pending I/O
   * callbacks (sockets) run first.
   */
  yield(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (immediate) immediate(resolve);
      else setTimeout(resolve, 0);
    });
  }
}

interface ManualTimer {
  id: TimerId;
  at: number;
  seq: number;
  fn: () => void;
}

/** Options of {@linkcode ManualClock}. */
export interface ManualClockOptions {
  /** Initial `now()`; default 0. */
  start?: number;
  /**
   * Microtask turns {@linkcode ManualClock.settle} waits; enough for a
   * handful of awaited handlers and their drain loops to finish. Default 500.
   */
  settleTurns?: number;
}

/**
 * Virtual time for tests: nothing happens until {@linkcode ManualClock.advance}.
 * Uses no real timers, so it never leaks one.
 *
 * @example
 * ```ts
 * import { ManualClock } from "./mod.ts";
 * const clock = new ManualClock();
 * let fired = 0;
 * clock.setTimeout(() => fired++, 100);
 * await clock.advance(99);
 * console.assert(fired === 0);
 * await clock.advance(1);
 * console.assert(fired === 1 && clock.now() === 100);
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #settleTurns: number;
  #nextId = 1;
  #seq = 0;
  #timers = new Map<TimerId, ManualTimer>();

  constructor(options: ManualClockOptions = {}) {
    this.#now = options.start ?? 0;
    this.#settleTurns = options.settleTurns ?? 500;
  }

  /** Current virtual time in ms. */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` at `now() + ms` (negative treated as 0). */
  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.#nextId++;
    this.#timers.set(id, {
      id,
      at: this.#now + Math.max(0, ms),
      seq: this.#seq++,
      fn,
    });
    return id;
  }

  /** Cancels a timer; unknown ids are ignored. */
  clearTimeout(id: TimerId): void {
    this.#timers.delete(id);
  }

  /** Resolves on the next microtask: virtual time has no event loop to give way to. */
  yield(): Promise<void> {
    return Promise.resolve();
  }

  /** Number of timers scheduled and not yet fired or cancelled. */
  pendingTimers(): number {
    return this.#timers.size;
  }

  /**
   * Lets pending microtasks (awaited handlers, drain loops) run, without
   * moving time.
   */
  async settle(): Promise<void> {
    for (let i = 0; i < this.#settleTurns; i++) await null;
  }

  /**
   * Moves time forward by `ms`, firing due timers one at a time in time order
   * (ties in scheduling order) and settling microtasks after each, so timers
   * scheduled by a fired timer's consequences also fire if due.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + Math.max(0, ms);
    await this.settle();
    for (;;) {
      const next = this.#earliestDue(target);
      if (next === undefined) break;
      this.#timers.delete(next.id);
      this.#now = next.at;
      next.fn();
      await this.settle();
    }
    this.#now = target;
    await this.settle();
  }

  #earliestDue(target: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.#timers.values()) {
      if (t.at > target) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) {
        best = t;
      }
    }
    return best;
  }
}
