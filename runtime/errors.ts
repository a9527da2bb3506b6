/**
 * Named errors of the runtime. Every message says which actor (path) and what
 * to do about it, so a log line alone is enough to act on.
 *
 * @module
 */

/**
 * An `ask` got no answer within `timeoutMs`.
 *
 * @example
 * ```ts
 * import { AskTimeoutError } from "./mod.ts";
 * const e = new AskTimeoutError("/app/db", 500, "query");
 * console.assert(e.name === "AskTimeoutError");
 * ```
 */
export class AskTimeoutError extends Error {
  override name = "AskTimeoutError";
  constructor(
    /** Path of the actor that was asked. */
    readonly path: string,
    /** The timeout that elapsed. */
    readonly timeoutMs: number,
    /** Type of the unanswered message. */
    readonly messageType: string,
  ) {
    super(
      `ask to ${path} (message "${messageType}") got no reply within ${timeoutMs} ms; ` +
        `the actor is slow, stuck or backed up: raise timeoutMs or check its mailbox depth`,
    );
  }
}

/**
 * A mailbox with overflow policy `fail` (or a dropped `ask`) had no room.
 *
 * @example
 * ```ts
 * import { MailboxFullError } from "./mod.ts";
 * const e = new MailboxFullError("/app/sink", 100, "fail");
 * console.assert(e.capacity === 100);
 * ```
 */
export class MailboxFullError extends Error {
  override name = "MailboxFullError";
  constructor(
    /** Path of the actor whose mailbox is full. */
    readonly path: string,
    /** Its capacity. */
    readonly capacity: number,
    /** Its overflow policy. */
    readonly policy: string,
  ) {
    super(
      `mailbox of ${path} is full (capacity ${capacity}, overflow "${policy}") and the message was not delivered; ` +
        `slow the sender, raise the capacity or use overflow "backpressure"`,
    );
  }
}

/**
 * Under `backpressure`, `maxWaiting` senders already waited for room, so one
 * more `tell`/`ask` was rejected at once instead of joining an ever longer
 * queue. A {@linkcode MailboxFullError}, so code that handles that handles
 * this too.
 *
 * @example
 * ```ts
 * import { MailboxFullError, TooManySendersWaitingError } from "./mod.ts";
 * const e = new TooManySendersWaitingError("/app/sink", 64, 1024);
 * console.assert(e instanceof MailboxFullError && e.maxWaiting === 1024);
 * ```
 */
export class TooManySendersWaitingError extends MailboxFullError {
  override name = "TooManySendersWaitingError";
  constructor(
    path: string,
    capacity: number,
    /** The bound that was reached. */
    readonly maxWaiting: number,
  ) {
    super(path, capacity, "backpressure");
    this.message =
      `${maxWaiting} senders already waiting for room in ${path} (capacity ${capacity}, overflow "backpressure"), ` +
      `so the message was not delivered; slow the sender down (await each tell) or raise mailbox.maxWaiting`;
  }
}

/**
 * An `ask` (or `spawn`) addressed an actor or system that has stopped.
 *
 * @example
 * ```ts
 * import { ActorStoppedError } from "./mod.ts";
 * const e = new ActorStoppedError("/app/db");
 * console.assert(e.path === "/app/db");
 * ```
 */
export class ActorStoppedError extends Error {
  override name = "ActorStoppedError";
  constructor(
    /** Path of the stopped actor. */
    readonly path: string,
    detail = "the actor has stopped",
  ) {
    super(
      `${path}: ${detail}; the message was not handled. ` +
        `Watch the actor (ctx.watch) to learn when it stops, or look it up again after a restart`,
    );
  }
}

/**
 * An actor's handler, factory or `preStart` threw. Wraps the cause with the
 * actor path and the message type; a supervisor escalating a child failure
 * fails with this error.
 *
 * @example
 * ```ts
 * import { ActorFailedError } from "./mod.ts";
 * const e = new ActorFailedError("/app/db", "query", new Error("boom"));
 * console.assert(e.cause instanceof Error);
 * ```
 */
export class ActorFailedError extends Error {
  override name = "ActorFailedError";
  constructor(
    /** Path of the actor that failed. */
    readonly path: string,
    /** Type of the message being handled (`"preStart"` for start-up). */
    readonly messageType: string,
    cause: unknown,
  ) {
    super(
      `${path} failed handling "${messageType}": ${describe(cause)}; ` +
        `see the cause, and the supervisor's decide() to choose restart, resume, stop or escalate`,
      { cause },
    );
  }
}

/**
 * The root guardian failed (an escalation or restart intensity reached the
 * top), so the whole actor system stopped.
 *
 * @example
 * ```ts
 * import { SystemFailedError } from "./mod.ts";
 * const e = new SystemFailedError("pipeline", new Error("boom"));
 * console.assert(e.system === "pipeline");
 * ```
 */
export class SystemFailedError extends Error {
  override name = "SystemFailedError";
  constructor(
    /** Name of the failed system. */
    readonly system: string,
    cause: unknown,
  ) {
    super(
      `actor system /${system} stopped because its root guardian failed: ${
        describe(cause)
      }; ` +
        `fix the cause or loosen supervision (maxRestarts/withinMs) and restart the process`,
      { cause },
    );
  }
}

/**
 * A supervisor restarted children more than `maxRestarts` times within
 * `withinMs`; it stopped its children and failed itself (escalating).
 *
 * @example
 * ```ts
 * import { RestartIntensityExceededError } from "./mod.ts";
 * const e = new RestartIntensityExceededError("/app", 3, 5000, new Error("x"));
 * console.assert(e.maxRestarts === 3);
 * ```
 */
export class RestartIntensityExceededError extends Error {
  override name = "RestartIntensityExceededError";
  constructor(
    /** Path of the supervisor that gave up. */
    readonly path: string,
    /** Its restart limit. */
    readonly maxRestarts: number,
    /** Its window. */
    readonly withinMs: number,
    cause: unknown,
  ) {
    super(
      `${path} restarted children more than ${maxRestarts} times within ${withinMs} ms and gave up ` +
        `(last failure: ${
          describe(cause)
        }); fix the failing child or raise maxRestarts/withinMs`,
      { cause },
    );
  }
}

/**
 * A spawn used a name that is empty, contains `/`, or is already taken by a
 * running sibling.
 *
 * @example
 * ```ts
 * import { InvalidActorNameError } from "./mod.ts";
 * const e = new InvalidActorNameError("/app", "a/b", "contains '/'");
 * console.assert(e.actorName === "a/b");
 * ```
 */
export class InvalidActorNameError extends Error {
  override name = "InvalidActorNameError";
  constructor(
    /** Path of the parent. */
    readonly parentPath: string,
    /** The rejected name. */
    readonly actorName: string,
    reason: string,
  ) {
    super(
      `cannot spawn "${actorName}" under ${parentPath}: ${reason}; ` +
        `use a unique name without '/' (e.g. add the key: "window-AAPL")`,
    );
  }
}

/**
 * One-line description of any thrown value, for messages and logs.
 *
 * @example
 * ```ts
 * import { describe } from "./errors.ts";
 * console.assert(describe(new TypeError("x")) === "TypeError: x");
 * ```
 */
export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return typeof error === "string"
      ? error
      : JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
