/**
 * The bounded user-message queue of one actor: a growable ring buffer (no
 * per-message allocation) plus a FIFO of senders waiting for room under
 * `backpressure`. Only the hot path lives here; what to do with a dropped or
 * rejected message is the caller's business.
 *
 * @module
 */

import type { OverflowPolicy } from "./types.ts";

/** How a pending `ask` is answered. */
export interface Reply {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Outcomes of {@linkcode Mailbox.offer} (plain numbers: no enum, no allocation).
 *
 * - `Accepted`: enqueued.
 * - `EvictedOldest`: enqueued after evicting the oldest message (see `evicted*`).
 * - `Rejected`: not enqueued, full under `drop-newest` or `fail`.
 * - `MustWait`: full under `backpressure`, call {@linkcode Mailbox.wait}.
 * - `TooManyWaiting`: full under `backpressure` and `maxWaiting` senders
 *   already wait; not enqueued.
 *
 * @example
 * ```ts
 * import { Mailbox, Offer } from "./mailbox.ts";
 * console.assert(new Mailbox<number>(1).offer(1, undefined) === Offer.Accepted);
 * ```
 */
export const Offer = {
  Accepted: 0,
  EvictedOldest: 1,
  Rejected: 2,
  MustWait: 3,
  TooManyWaiting: 4,
} as const;
/** One of the {@linkcode Offer} values. */
export type Offer = typeof Offer[keyof typeof Offer];

interface Waiter<M> {
  msg: M;
  reply: Reply | undefined;
  resume: () => void;
}

const INITIAL_SLOTS = 16;

/**
 * Default bound on senders waiting for room under `backpressure`. Fixed rather
 * than tied to `capacity`: capacity sizes the batch a consumer works through,
 * while this bounds fan-in. A sender that awaits each `tell` counts once, so
 * only senders that fire without awaiting get near it; past it the waiting
 * list is a leak that hides a slow consumer (waiting senders also hold their
 * messages), so it is better reported than grown. 1024 fire-and-forget
 * senders at once is more than any stage of the pipeline has.
 */
export const DEFAULT_MAX_WAITING = 1024;

/**
 * A bounded FIFO of messages with optional ask replies.
 *
 * @example
 * ```ts
 * import { Mailbox, Offer } from "./mailbox.ts";
 * const box = new Mailbox<string>(2, "drop-newest");
 * box.offer("a", undefined);
 * box.offer("b", undefined);
 * console.assert(box.offer("c", undefined) === Offer.Rejected);
 * console.assert(box.shift() === "a");
 * ```
 */
export class Mailbox<M> {
  readonly capacity: number;
  readonly policy: OverflowPolicy;
  /** Most senders that may wait for room (`backpressure` only). */
  readonly maxWaiting: number;
  /** Reply of the message last returned by {@linkcode shift}. */
  takenReply: Reply | undefined = undefined;
  /** The message evicted by the last `EvictedOldest` offer. */
  evictedMsg: M | undefined = undefined;
  /** Its reply. */
  evictedReply: Reply | undefined = undefined;

  #msgs: (M | undefined)[];
  #replies: (Reply | undefined)[];
  #head = 0;
  #size = 0;
  #waiters: Waiter<M>[] = [];
  #waitHead = 0;

  constructor(
    capacity: number,
    policy: OverflowPolicy = "backpressure",
    maxWaiting: number = DEFAULT_MAX_WAITING,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `mailbox capacity must be an integer >= 1, got ${capacity}`,
      );
    }
    if (
      !(maxWaiting >= 0) ||
      !(Number.isInteger(maxWaiting) || maxWaiting === Infinity)
    ) {
      throw new RangeError(
        `mailbox maxWaiting must be an integer >= 0 or Infinity, got ${maxWaiting}`,
      );
    }
    this.capacity = capacity;
    this.policy = policy;
    this.maxWaiting = maxWaiting;
    const slots = Math.min(capacity, INITIAL_SLOTS);
    this.#msgs = new Array(slots);
    this.#replies = new Array(slots);
  }

  /** Messages queued (not counting waiting senders). */
  get size(): number {
    return this.#size;
  }

  /** Senders waiting for room under `backpressure`. */
  get waiting(): number {
    return this.#waiters.length - this.#waitHead;
  }

  /** Tries to enqueue; see {@linkcode Offer} for what the caller must do next. */
  offer(msg: M, reply: Reply | undefined): Offer {
    // Waiting senders go first, so a newcomer must queue behind them.
    if (this.#size < this.capacity && this.waiting === 0) {
      this.#push(msg, reply);
      return Offer.Accepted;
    }
    switch (this.policy) {
      case "backpressure":
        return this.waiting < this.maxWaiting
          ? Offer.MustWait
          : Offer.TooManyWaiting;
      case "drop-oldest":
        this.evictedMsg = this.shift();
        this.evictedReply = this.takenReply;
        this.takenReply = undefined;
        this.#push(msg, reply);
        return Offer.EvictedOldest;
      default:
        return Offer.Rejected;
    }
  }

  /**
   * Queues a sender behind earlier waiters. The promise resolves once the
   * message is in the mailbox, or once {@linkcode close} hands it back.
   */
  wait(msg: M, reply: Reply | undefined): Promise<void> {
    return new Promise<void>((resume) => {
      this.#waiters.push({ msg, reply, resume });
    });
  }

  /** Removes the oldest message (its reply goes to `takenReply`); moves a waiter in. */
  shift(): M | undefined {
    if (this.#size === 0) {
      this.takenReply = undefined;
      return undefined;
    }
    const i = this.#head;
    const msg = this.#msgs[i];
    this.takenReply = this.#replies[i];
    this.#msgs[i] = undefined;
    this.#replies[i] = undefined;
    this.#head = i + 1 === this.#msgs.length ? 0 : i + 1;
    this.#size--;
    if (this.#waitHead < this.#waiters.length) this.#admitWaiter();
    return msg;
  }

  /**
   * Empties the mailbox and the waiting senders (oldest first) into `sink`,
   * resolving the waiters' promises: used when the actor stops.
   */
  close(sink: (msg: M, reply: Reply | undefined) => void): void {
    while (this.#size > 0) {
      const msg = this.#msgs[this.#head] as M;
      const reply = this.#replies[this.#head];
      this.#msgs[this.#head] = undefined;
      this.#replies[this.#head] = undefined;
      this.#head = this.#head + 1 === this.#msgs.length ? 0 : this.#head + 1;
      this.#size--;
      sink(msg, reply);
    }
    const waiters = this.#waiters.slice(this.#waitHead);
    this.#waiters = [];
    this.#waitHead = 0;
    for (const w of waiters) {
      sink(w.msg, w.reply);
      w.resume();
    }
  }

  #admitWaiter(): void {
    const w = this.#waiters[this.#waitHead];
    this.#waiters[this.#waitHead++] = undefined as unknown as Waiter<M>;
    if (this.#waitHead === this.#waiters.length) {
      this.#waiters = [];
      this.#waitHead = 0;
    } else if (
      this.#waitHead > 1024 && this.#waitHead * 2 > this.#waiters.length
    ) {
      this.#waiters = this.#waiters.slice(this.#waitHead);
      this.#waitHead = 0;
    }
    this.#push(w.msg, w.reply);
    w.resume();
  }

  #push(msg: M, reply: Reply | undefined): void {
    let len = this.#msgs.length;
    if (this.#size === len) {
      this.#grow(Math.min(this.capacity, len * 2));
      len = this.#msgs.length;
    }
    let tail = this.#head + this.#size;
    if (tail >= len) tail -= len;
    this.#msgs[tail] = msg;
    this.#replies[tail] = reply;
    this.#size++;
  }

  #grow(slots: number): void {
    const msgs = new Array<M | undefined>(slots);
    const replies = new Array<Reply | undefined>(slots);
    const len = this.#msgs.length;
    for (let k = 0; k < this.#size; k++) {
      const j = (this.#head + k) % len;
      msgs[k] = this.#msgs[j];
      replies[k] = this.#replies[j];
    }
    this.#msgs = msgs;
    this.#replies = replies;
    this.#head = 0;
  }
}
