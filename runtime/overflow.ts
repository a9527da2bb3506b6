/**
 * What happens to a message that does not fit in a full mailbox, per
 * overflow policy: wait for room (`backpressure`, up to `maxWaiting` senders,
 * then reject), evict the oldest, drop the newest, or reject (`fail`). Every drop is counted (`droppedCount`, event
 * `dropped`) and an `ask` that is dropped rejects at once. Off the hot path:
 * only reached when the mailbox is full.
 *
 * @module
 */

import type { Dispatch } from "./dispatch.ts";
import { MailboxFullError, TooManySendersWaitingError } from "./errors.ts";
import { Offer, type Reply } from "./mailbox.ts";
import { messageTypeOf } from "./message_type.ts";

/**
 * Carries out a non-`Accepted` {@linkcode Offer} for `msg`. A promise is
 * what `tell` must return (it waits under `backpressure`, rejects under
 * `fail`); `undefined` means done (`tell` returns its shared resolved one).
 *
 * @example
 * ```ts
 * // Called by Dispatch.tell and Dispatch.ask only.
 * import { overflow } from "./overflow.ts";
 * console.assert(typeof overflow === "function");
 * ```
 */
export function overflow<M>(
  cell: Dispatch<M>,
  r: Offer,
  msg: M,
  reply: Reply | undefined,
): Promise<void> | undefined {
  const mailbox = cell.mailbox;
  if (r === Offer.MustWait) {
    return mailbox.wait(msg, reply);
  }
  if (r === Offer.TooManyWaiting) {
    const error = new TooManySendersWaitingError(
      cell.path,
      mailbox.capacity,
      mailbox.maxWaiting,
    );
    dropped(cell, msg, "too many senders waiting for room");
    if (!reply) return Promise.reject(error);
    reply.reject(error);
    return undefined;
  }
  const policy = mailbox.policy;
  const full = new MailboxFullError(cell.path, mailbox.capacity, policy);
  if (r === Offer.EvictedOldest) {
    const evicted = mailbox.evictedMsg;
    mailbox.evictedReply?.reject(full);
    mailbox.evictedMsg = undefined;
    mailbox.evictedReply = undefined;
    dropped(cell, evicted, "mailbox full");
    cell.wake();
    return undefined;
  }
  // Rejected: drop-newest or fail.
  dropped(cell, msg, "mailbox full");
  reply?.reject(full);
  return policy === "fail" && !reply ? Promise.reject(full) : undefined;
}

function dropped<M>(cell: Dispatch<M>, msg: unknown, why: string): void {
  const { mailbox, events } = cell;
  cell.sys.dropped();
  if (events.wants("dropped")) {
    events.publish({
      type: "dropped",
      path: cell.path,
      kind: cell.kind,
      policy: mailbox.policy,
    });
  }
  cell.log.debug(`message dropped: ${why}`, {
    messageType: messageTypeOf(msg),
    policy: mailbox.policy,
    capacity: mailbox.capacity,
    waiting: mailbox.waiting,
  });
}
