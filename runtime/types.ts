/**
 * The runtime's public contract: the types every actor, supervisor and
 * adapter is written against. Implementation lives in the sibling modules.
 *
 * @module
 */

/** Opaque handle returned by {@linkcode Clock.setTimeout}. */
export type TimerId = number;

/**
 * The one source of time for the runtime. Nothing else in `runtime/` reads
 * the wall clock or schedules timers, so a {@linkcode ManualClock} makes every
 * timeout, back-off and passivation deterministic in tests.
 *
 * @example
 * ```ts
 * import { RealClock } from "./mod.ts";
 * const clock = new RealClock();
 * const id = clock.setTimeout(() => {}, 10);
 * clock.clearTimeout(id);
 * ```
 */
export interface Clock {
  /** Milliseconds since the UNIX epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerId;
  /** Cancels a timer; unknown ids are ignored. */
  clearTimeout(id: TimerId): void;
  /**
   * Resolves after a macrotask turn so sockets and timers get to run. A
   * mailbox drain loop calls it after `throughput` messages. Optional: when
   * missing the runtime falls back to a microtask yield (which does NOT let
   * I/O run). `RealClock` uses `setImmediate`; `ManualClock` resolves at once.
   */
  yield?(): Promise<void>;
}

/** Structured logger; `fields` always carries the actor `path` when logged by the runtime. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** What a full mailbox does with one more message. */
export type OverflowPolicy =
  | "backpressure"
  | "drop-oldest"
  | "drop-newest"
  | "fail";

/** Mailbox settings of one actor. */
export interface MailboxOptions {
  /** Maximum number of user messages held; at least 1. */
  capacity: number;
  /** Defaults to `"backpressure"`. */
  overflow?: OverflowPolicy;
  /**
   * Under `backpressure`: how many senders may wait for room at once. One
   * more `tell`/`ask` rejects at once with `TooManySendersWaitingError`
   * (counted as `dropped`). Default `DEFAULT_MAX_WAITING` (1024); an integer
   * >= 0, or `Infinity` for no bound.
   */
  maxWaiting?: number;
}

/** OTP restart types: when a stopped or failed child is restarted. */
export type RestartType = "permanent" | "transient" | "temporary";

/** OTP strategies: which siblings restart with a failed child. */
export type SupervisionStrategy =
  | "one_for_one"
  | "one_for_all"
  | "rest_for_one";

/** What a supervisor does with a child's failure. */
export type Directive = "restart" | "resume" | "stop" | "escalate";

/** Exponential back-off with full jitter between restarts. */
export interface BackoffOptions {
  /** First delay ceiling in ms (0 = restart at once). */
  minMs: number;
  /** Largest delay ceiling in ms. */
  maxMs: number;
  /** After this many ms without a failure the back-off starts again from `minMs`. */
  resetAfterMs: number;
  /** Source of randomness in [0, 1); defaults to `Math.random`. Inject for tests. */
  random?: () => number;
}

/** How a parent supervises its children. */
export interface SupervisorOptions {
  strategy?: SupervisionStrategy; // default "one_for_one"
  /** More than `maxRestarts` restarts within `withinMs` escalates. Default 3 in 5000 ms. */
  maxRestarts?: number;
  withinMs?: number;
  backoff?: BackoffOptions; // default: no delay
  /** Chooses what to do with a child's failure. Default: "restart". */
  decide?: (error: unknown, child: ActorRef<never>) => Directive;
}

/** Everything needed to start (and restart) an actor. */
export interface ActorProps<M> {
  /** Builds a fresh instance on every start and restart. */
  factory: (ctx: ActorContext<M>) => Actor<M>;
  mailbox?: MailboxOptions; // default { capacity: 1000, overflow: "backpressure" }
  restart?: RestartType; // default "permanent"
  /** How long `postStop` and children may take to stop before being abandoned. Default 5000 ms. */
  shutdownTimeoutMs?: number;
  /** How this actor supervises its own children. */
  supervision?: SupervisorOptions;
  /** A label for metrics (bounded cardinality), e.g. "window"; defaults to the name. */
  kind?: string;
}

/**
 * An actor: one message type, handled one message at a time. Async handlers
 * are awaited before the next message is taken.
 */
export interface Actor<M> {
  preStart?(): void | Promise<void>;
  /** The value returned (or resolved) answers an `ask`. Throwing fails the actor. */
  receive(msg: M): unknown | Promise<unknown>;
  preRestart?(error: unknown): void | Promise<void>;
  postStop?(): void | Promise<void>;
}

/** Delivered when a watched actor stops. */
export interface Terminated {
  readonly type: "terminated";
  readonly path: string;
  /** Set when the actor stopped because it failed. */
  readonly error?: unknown;
}

/** Options of {@linkcode ActorRef.ask}. */
export interface AskOptions {
  timeoutMs: number;
}

/** The only way to talk to an actor. */
export interface ActorRef<M> {
  /** Hierarchical path, e.g. `/pipeline/partition-2/window-AAPL`. */
  readonly path: string;
  /** The last path segment. */
  readonly name: string;
  /**
   * Enqueues `msg`. Resolves when enqueued; under `backpressure` that waits
   * for room. Rejects with `MailboxFullError` under `fail`. A message to a
   * stopped actor becomes a dead letter and resolves.
   */
  tell(msg: M): Promise<void>;
  /**
   * Sends `msg` and resolves with what the handler returns for it. Rejects
   * with `AskTimeoutError` after `timeoutMs`, or with the handler's error.
   */
  ask<R = unknown>(msg: M, options: AskOptions): Promise<R>;
  /** True while the actor is running (not stopped). */
  readonly alive: boolean;
  /**
   * User messages queued right now (excluding senders waiting for room).
   * Always set on refs made by the runtime; optional so test doubles need not.
   */
  readonly depth?: number;
}

/** Timers owned by one actor: cancelled when it stops or restarts. */
export interface TimerScheduler<M> {
  /** Sends `msg` to self once after `ms`; replaces a timer with the same key. */
  startSingle(key: string, msg: M, ms: number): void;
  /** Sends `msg` to self every `ms`; replaces a timer with the same key. */
  startPeriodic(key: string, msg: M, ms: number): void;
  cancel(key: string): void;
  isActive(key: string): boolean;
}

/** What an actor can do to itself and its children. */
export interface ActorContext<M> {
  readonly self: ActorRef<M>;
  readonly path: string;
  readonly clock: Clock;
  /** Logger that adds `path` to every line. */
  readonly log: Logger;
  readonly timers: TimerScheduler<M>;
  /** Starts a child (static or dynamic). Children start in spawn order. Names are unique per parent. */
  spawn<C>(name: string, props: ActorProps<C>): Promise<ActorRef<C>>;
  /** A running child by name. */
  child<C = unknown>(name: string): ActorRef<C> | undefined;
  /** Names of running children, in start order. */
  children(): string[];
  /** Stops a child (and its subtree) and waits for it. */
  stopChild(name: string): Promise<void>;
  /** Delivers `toMessage(terminated)` to self when `ref` stops. */
  watch<T>(ref: ActorRef<T>, toMessage: (t: Terminated) => M): void;
  unwatch<T>(ref: ActorRef<T>): void;
  /** Stops self after `ms` without a user message (idle passivation); 0 disables. */
  setIdleTimeout(ms: number): void;
  /** Stops self after the current message. */
  stopSelf(): void;
}

/** Typed events for observability; adapters outside `runtime/` turn them into metrics. */
export type RuntimeEvent =
  | { type: "started"; path: string; kind: string }
  | { type: "stopped"; path: string; kind: string }
  | {
    type: "restarted";
    path: string;
    kind: string;
    error: unknown;
    delayMs: number;
  }
  | {
    type: "failed";
    path: string;
    kind: string;
    error: unknown;
    messageType: string;
  }
  | { type: "escalated"; path: string; kind: string; error: unknown }
  | { type: "dead_letter"; path: string; messageType: string }
  | { type: "dropped"; path: string; kind: string; policy: OverflowPolicy }
  | {
    type: "mailbox_depth";
    path: string;
    kind: string;
    depth: number;
    /** Senders waiting for room under `backpressure` (set by the runtime). */
    waiting?: number;
  }
  | {
    type: "handler_duration";
    path: string;
    kind: string;
    messageType: string;
    ms: number;
  }
  | { type: "shutdown_timeout"; path: string; kind: string };

/** Settings of an {@linkcode ActorSystem}. */
export interface ActorSystemOptions {
  clock?: Clock; // default RealClock
  logger?: Logger; // default: console at info
  /** Supervision of the top-level actors; the root failing stops the system. */
  supervision?: SupervisorOptions;
  /** Messages handled before yielding to the event loop. Default 64. */
  throughput?: number;
}
