/**
 * The reply side of an `ask`: one object per ask that travels with the
 * message through the mailbox and is settled exactly once, whichever comes
 * first of the handler's value, its failure, a drop, the actor stopping, or
 * the timeout. Keeping the timer inside it means every path that settles it
 * also clears the timer, so no ask leaks one.
 *
 * @module
 */

import { AskTimeoutError } from "./errors.ts";
import type { Reply } from "./mailbox.ts";
import { messageTypeOf } from "./message_type.ts";
import type { Clock, TimerId } from "./types.ts";

/**
 * Settles an `ask` once: by the handler, its failure, a drop, or the timeout.
 *
 * @example
 * ```ts
 * import { AskReply } from "./ask_reply.ts";
 * import { ManualClock } from "./clock.ts";
 * const clock = new ManualClock();
 * const answer = new Promise((resolve, reject) =>
 *   new AskReply(resolve, reject, clock, "/app/a", "get", 100).resolve(42)
 * );
 * console.assert((await answer) === 42);
 * ```
 */
export class AskReply implements Reply {
  #resolve: (v: unknown) => void;
  #reject: (e: unknown) => void;
  #clock: Clock;
  #timer: TimerId;
  #settled = false;

  constructor(
    resolve: (v: unknown) => void,
    reject: (e: unknown) => void,
    clock: Clock,
    path: string,
    msg: unknown,
    timeoutMs: number,
  ) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#clock = clock;
    this.#timer = clock.setTimeout(() => {
      if (this.#settled) return;
      this.#settled = true;
      reject(new AskTimeoutError(path, timeoutMs, messageTypeOf(msg)));
    }, timeoutMs);
  }

  /** Answers the ask (ignored once settled). */
  resolve(value: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#clock.clearTimeout(this.#timer);
    this.#resolve(value);
  }

  /** Fails the ask (ignored once settled). */
  reject(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#clock.clearTimeout(this.#timer);
    this.#reject(error);
  }
}
