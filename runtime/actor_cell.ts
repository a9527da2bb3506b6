/**
 * The engine of one actor: its mailbox, the single drain loop that runs
 * handlers one at a time, its lifecycle, and its job as supervisor of its
 * children. Everything that touches the actor instance runs inside the drain
 * loop, so lifecycle steps can never overlap a handler.
 *
 * @module
 */

import { Backoff } from "./backoff.ts";
import {
  ActorFailedError,
  ActorStoppedError,
  AskTimeoutError,
  describe,
  InvalidActorNameError,
  MailboxFullError,
  RestartIntensityExceededError,
} from "./errors.ts";
import type { EventStream } from "./events.ts";
import { withFields } from "./logger.ts";
import { Mailbox, Offer, type Reply } from "./mailbox.ts";
import {
  affectedChildren,
  effectiveDirective,
  type ResolvedSupervision,
  resolveSupervision,
  restartsOnNormalStop,
  RestartWindow,
} from "./supervisor.ts";
import { ActorTimers } from "./timers.ts";
import type {
  Actor,
  ActorContext,
  ActorProps,
  ActorRef,
  AskOptions,
  Clock,
  Directive,
  Logger,
  RestartType,
  Terminated,
  TimerId,
  TimerScheduler,
} from "./types.ts";

/** Defaults of {@linkcode ActorProps}. */
export const DEFAULT_MAILBOX_CAPACITY = 1000;
/** Default time a stopping actor (postStop and its children) gets. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;

/** What every cell of one system shares (no globals: two systems never mix). */
export interface SystemContext {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: EventStream;
  readonly throughput: number;
  /** Counts and reports a message that could not be delivered. */
  deadLetter(path: string, msg: unknown): void;
  /** Counts a message dropped by an overflow policy. */
  dropped(): void;
}

/** How a cell reports to whoever supervises it (a parent cell or the system). */
export interface ParentLink {
  childFailed(
    child: ActorCell<never>,
    error: unknown,
    messageType: string,
  ): void;
  /** `selfStop`: stopped by stopSelf or idle passivation, not by its supervisor. */
  childStopped(child: ActorCell<never>, selfStop: boolean): void;
}

const NEW = 0;
const RUNNING = 1;
const FAILED = 2;
const RESTARTING = 3;
const STOPPING = 4;
const STOPPED = 5;
type State = 0 | 1 | 2 | 3 | 4 | 5;

interface RestartInfo {
  error: unknown;
  delayMs: number;
}

type SysMsg =
  | {
    t: "start";
    revive: boolean;
    restart: RestartInfo | undefined;
    done: () => void;
  }
  | { t: "stop"; selfStop: boolean }
  | { t: "resume" }
  | { t: "teardown"; error: unknown; done: () => void }
  | {
    t: "childFailed";
    child: ActorCell<never>;
    error: unknown;
    messageType: string;
  }
  | { t: "childStopped"; child: ActorCell<never>; selfStop: boolean }
  | { t: "restartGroup"; group: ActorCell<never>[]; info: RestartInfo }
  | { t: "idle" };

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * `msg.type` when it is a string, else the constructor name, else `typeof`.
 *
 * @example
 * ```ts
 * import { messageTypeOf } from "./actor_cell.ts";
 * console.assert(messageTypeOf({ type: "trade" }) === "trade");
 * console.assert(messageTypeOf(new Map()) === "Map");
 * console.assert(messageTypeOf(42) === "number");
 * ```
 */
export function messageTypeOf(msg: unknown): string {
  if (msg !== null && typeof msg === "object") {
    const type = (msg as { type?: unknown }).type;
    if (typeof type === "string") return type;
    return (msg as object).constructor?.name ?? "Object";
  }
  return typeof msg;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}

/** Settles an `ask` once: by the handler, its failure, a drop, or the timeout. */
class AskReply implements Reply {
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

  resolve(value: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#clock.clearTimeout(this.#timer);
    this.#resolve(value);
  }

  reject(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#clock.clearTimeout(this.#timer);
    this.#reject(error);
  }
}

/**
 * The handle given out for a cell. Holds the cell privately so user code
 * cannot reach around the mailbox.
 *
 * @example
 * ```ts
 * import { ActorSystem, LocalActorRef, silentLogger } from "./mod.ts";
 * const system = new ActorSystem("demo", { logger: silentLogger() });
 * const ref = await system.spawn("echo", { factory: () => ({ receive: (m: string) => m }) });
 * console.assert(ref instanceof LocalActorRef && ref.alive);
 * await system.shutdown();
 * ```
 */
export class LocalActorRef<M> implements ActorRef<M> {
  readonly #cell: ActorCell<M>;

  /** @internal Made by the runtime only. */
  constructor(cell: ActorCell<M>) {
    this.#cell = cell;
  }

  /** @internal The cell behind a runtime-made ref, else undefined. */
  static cellOf<T>(ref: ActorRef<T>): ActorCell<T> | undefined {
    return #cell in ref
      ? (ref as unknown as LocalActorRef<T>).#cell
      : undefined;
  }

  /** Hierarchical path. */
  get path(): string {
    return this.#cell.path;
  }

  /** Last path segment. */
  get name(): string {
    return this.#cell.name;
  }

  /** True unless stopped. */
  get alive(): boolean {
    return this.#cell.alive;
  }

  /** User messages queued right now. */
  get depth(): number {
    return this.#cell.mailbox.size;
  }

  /** See {@linkcode ActorRef.tell}. */
  tell(msg: M): Promise<void> {
    return this.#cell.tell(msg);
  }

  /** See {@linkcode ActorRef.ask}. */
  ask<R = unknown>(msg: M, options: AskOptions): Promise<R> {
    return this.#cell.ask(msg, options.timeoutMs) as Promise<R>;
  }

  /** The path, for logs. */
  toString(): string {
    return `ActorRef(${this.#cell.path})`;
  }
}

/**
 * One actor in the tree. Internal: user code only sees
 * {@linkcode ActorRef} and {@linkcode ActorContext}.
 *
 * @example
 * ```ts
 * // Cells are created by ActorSystem.spawn and ActorContext.spawn only.
 * import { ActorCell } from "./actor_cell.ts";
 * console.assert(typeof ActorCell === "function");
 * ```
 */
export class ActorCell<M> {
  readonly name: string;
  readonly path: string;
  readonly kind: string;
  readonly restartType: RestartType;
  readonly shutdownTimeoutMs: number;
  readonly mailbox: Mailbox<M>;
  readonly ref: LocalActorRef<M>;
  readonly log: Logger;

  #props: ActorProps<M>;
  #sys: SystemContext;
  #clock: Clock;
  #events: EventStream;
  #parent: ParentLink;
  #state: State = NEW;
  #instance: Actor<M> | undefined;
  #ctx: ActorContext<M>;
  #timers: ActorTimers<M>;

  #sysQ: (SysMsg | undefined)[] = [];
  #sysHead = 0;
  #priority: M[] = [];
  #draining = false;
  #burst = 0;
  #lastDepth = 0;
  #failure: unknown = undefined;
  #stopPromise: Promise<void> | undefined;
  #stopResolve: (() => void) | undefined;

  #idleMs = 0;
  #idleTimer: TimerId | undefined;
  #lastActivity = 0;

  // As a supervisor:
  #children = new Map<string, ActorCell<never>>();
  #supervision: ResolvedSupervision;
  #window: RestartWindow;
  #backoffs = new WeakMap<ActorCell<never>, Backoff>();
  #restartTimers = new Set<TimerId>();

  // Death watch: who watches me (watcher -> toMessage), whom I watch.
  #watchers = new Map<ActorCell<never>, (t: Terminated) => unknown>();
  #watching = new Set<ActorCell<never>>();

  constructor(
    name: string,
    path: string,
    props: ActorProps<M>,
    sys: SystemContext,
    parent: ParentLink,
  ) {
    this.name = name;
    this.path = path;
    this.kind = props.kind ?? name;
    this.restartType = props.restart ?? "permanent";
    this.shutdownTimeoutMs = props.shutdownTimeoutMs ??
      DEFAULT_SHUTDOWN_TIMEOUT_MS;
    this.#props = props;
    this.#sys = sys;
    this.#clock = sys.clock;
    this.#events = sys.events;
    this.#parent = parent;
    this.mailbox = new Mailbox<M>(
      props.mailbox?.capacity ?? DEFAULT_MAILBOX_CAPACITY,
      props.mailbox?.overflow ?? "backpressure",
    );
    this.ref = new LocalActorRef(this);
    this.log = withFields(sys.logger, { path });
    this.#supervision = resolveSupervision(props.supervision);
    this.#window = new RestartWindow(
      this.#supervision.maxRestarts,
      this.#supervision.withinMs,
    );
    this.#timers = new ActorTimers<M>(
      this.#clock,
      (msg) => this.#tellFromTimer(msg),
    );
    this.#ctx = this.#makeContext();
  }

  /** True unless stopped (a failed or restarting actor is alive). */
  get alive(): boolean {
    return this.#state < STOPPING;
  }

  /** Running children in start order (for tests and the system). */
  get childCells(): ActorCell<never>[] {
    return [...this.#children.values()];
  }

  // ---------------------------------------------------------------- sending

  /** Enqueues a user message (see {@linkcode ActorRef.tell}). */
  tell(msg: M): Promise<void> {
    if (this.#state >= STOPPING) {
      this.#sys.deadLetter(this.path, msg);
      return RESOLVED;
    }
    const r = this.mailbox.offer(msg, undefined);
    if (r === Offer.Accepted) {
      if (this.#state === RUNNING && !this.#draining) this.#schedule();
      return RESOLVED;
    }
    return this.#overflow(r, msg, undefined);
  }

  /** Sends a message expecting a reply (see {@linkcode ActorRef.ask}). */
  ask(msg: M, timeoutMs: number): Promise<unknown> {
    if (!(timeoutMs > 0)) {
      return Promise.reject(
        new RangeError(
          `ask to ${this.path} needs timeoutMs > 0, got ${timeoutMs}`,
        ),
      );
    }
    if (this.#state >= STOPPING) {
      this.#sys.deadLetter(this.path, msg);
      return Promise.reject(new ActorStoppedError(this.path));
    }
    return new Promise<unknown>((resolve, reject) => {
      const reply = new AskReply(
        resolve,
        reject,
        this.#clock,
        this.path,
        msg,
        timeoutMs,
      );
      const r = this.mailbox.offer(msg, reply);
      if (r === Offer.Accepted) {
        if (this.#state === RUNNING && !this.#draining) this.#schedule();
      } else {
        // The ask's own promise carries the outcome; the tell-style one is not needed.
        void this.#overflow(r, msg, reply).catch(() => {});
      }
    });
  }

  #overflow(r: Offer, msg: M, reply: Reply | undefined): Promise<void> {
    if (r === Offer.MustWait) {
      return this.mailbox.wait(msg, reply);
    }
    const policy = this.mailbox.policy;
    const full = new MailboxFullError(this.path, this.mailbox.capacity, policy);
    if (r === Offer.EvictedOldest) {
      const evicted = this.mailbox.evictedMsg;
      this.mailbox.evictedReply?.reject(full);
      this.mailbox.evictedMsg = undefined;
      this.mailbox.evictedReply = undefined;
      this.#dropped(evicted);
      if (this.#state === RUNNING && !this.#draining) this.#schedule();
      return RESOLVED;
    }
    // Rejected: drop-newest or fail.
    this.#dropped(msg);
    reply?.reject(full);
    return policy === "fail" && !reply ? Promise.reject(full) : RESOLVED;
  }

  #dropped(msg: unknown): void {
    this.#sys.dropped();
    if (this.#events.wants("dropped")) {
      this.#events.publish({
        type: "dropped",
        path: this.path,
        kind: this.kind,
        policy: this.mailbox.policy,
      });
    }
    this.log.debug("message dropped: mailbox full", {
      messageType: messageTypeOf(msg),
      policy: this.mailbox.policy,
      capacity: this.mailbox.capacity,
    });
  }

  #tellFromTimer(msg: M): Promise<void> | undefined {
    const p = this.tell(msg);
    if (p === RESOLVED) return undefined;
    // A timer has nobody to report a rejection to; the drop is already counted.
    return p.catch(() => {});
  }

  // ---------------------------------------------------------- system queue

  #enqueueSys(m: SysMsg): void {
    this.#sysQ.push(m);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#draining) return;
    this.#draining = true;
    // A microtask, not inline: the sender's call must not run our handler.
    queueMicrotask(this.#resume);
  }

  #resume = (): void => this.#run();
  #afterAsync = (): void => {
    // A slow async handler may hold the loop for long: report depth per message then.
    this.#reportDepth();
    if (++this.#burst >= this.#sys.throughput) this.#yieldThenRun();
    else this.#run();
  };
  #loopCrashed = (error: unknown): void => {
    // Handlers are caught in #invoke; reaching here is a runtime bug.
    this.#draining = false;
    this.log.error("internal runtime error in drain loop", { error });
  };

  #yieldThenRun(): void {
    this.#burst = 0;
    this.#reportDepth();
    // A synchronous burst would starve sockets and timers: give way.
    const y = this.#clock.yield ? this.#clock.yield() : RESOLVED;
    y.then(this.#resume, this.#loopCrashed);
  }

  /**
   * The one loop per actor: system messages first, then one user message at a
   * time. A plain function rather than an async one so synchronous handlers
   * cost no promise; it parks on a `.then` whenever something must be awaited
   * and `#draining` stays true meanwhile, so no second loop can start.
   */
  #run(): void {
    const throughput = this.#sys.throughput;
    try {
      for (;;) {
        if (this.#sysHead < this.#sysQ.length) {
          const m = this.#sysQ[this.#sysHead]!;
          this.#sysQ[this.#sysHead++] = undefined;
          if (this.#sysHead === this.#sysQ.length) {
            this.#sysQ = [];
            this.#sysHead = 0;
          }
          this.#handleSys(m).then(this.#resume, this.#loopCrashed);
          return;
        }
        if (this.#state !== RUNNING) break;
        let msg: M;
        let reply: Reply | undefined;
        if (this.#priority.length > 0) {
          msg = this.#priority.shift()!;
          reply = undefined;
        } else if (this.mailbox.size > 0) {
          msg = this.mailbox.shift()!;
          reply = this.mailbox.takenReply;
        } else {
          break;
        }
        const pending = this.#invoke(msg, reply);
        if (pending !== undefined) {
          pending.then(this.#afterAsync, this.#loopCrashed);
          return;
        }
        if (++this.#burst >= throughput) {
          this.#yieldThenRun();
          return;
        }
      }
    } catch (error) {
      this.#loopCrashed(error);
      return;
    }
    this.#draining = false;
    this.#reportDepth();
  }

  #reportDepth(): void {
    const depth = this.mailbox.size;
    if (depth === this.#lastDepth) return;
    this.#lastDepth = depth;
    if (this.#events.wants("mailbox_depth")) {
      this.#events.publish({
        type: "mailbox_depth",
        path: this.path,
        kind: this.kind,
        depth,
      });
    }
  }

  // ------------------------------------------------------------- handling

  #invoke(msg: M, reply: Reply | undefined): Promise<void> | undefined {
    const timed = this.#events.wants("handler_duration");
    const t0 = timed ? this.#clock.now() : 0;
    let out: unknown;
    try {
      out = this.#instance!.receive(msg);
    } catch (error) {
      this.#handlerFailed(error, msg, reply);
      return undefined;
    }
    // `return ref.tell(x)` with room to spare returns the shared resolved
    // promise: nothing to wait for, so stay on the synchronous path.
    if (out === RESOLVED) out = undefined;
    else if (isThenable(out)) return this.#settle(out, msg, reply, t0, timed);
    this.#handled(out, msg, reply, t0, timed);
    return undefined;
  }

  async #settle(
    out: PromiseLike<unknown>,
    msg: M,
    reply: Reply | undefined,
    t0: number,
    timed: boolean,
  ): Promise<void> {
    let value: unknown;
    try {
      value = await out;
    } catch (error) {
      this.#handlerFailed(error, msg, reply);
      return;
    }
    this.#handled(value, msg, reply, t0, timed);
  }

  #handled(
    value: unknown,
    msg: M,
    reply: Reply | undefined,
    t0: number,
    timed: boolean,
  ): void {
    reply?.resolve(value);
    if (timed) {
      this.#events.publish({
        type: "handler_duration",
        path: this.path,
        kind: this.kind,
        messageType: messageTypeOf(msg),
        ms: this.#clock.now() - t0,
      });
    }
    if (this.#idleMs > 0) this.#lastActivity = this.#clock.now();
  }

  #handlerFailed(error: unknown, msg: M, reply: Reply | undefined): void {
    reply?.reject(error);
    this.#fail(error, messageTypeOf(msg));
  }

  /** Suspends the actor and reports the failure to its supervisor. */
  #fail(error: unknown, messageType: string): void {
    if (this.#state >= STOPPING) {
      // Abandoned or stopping: nobody supervises this incarnation any more.
      this.log.warn("actor failed while stopping", { messageType, error });
      return;
    }
    this.#state = FAILED;
    this.#failure = error;
    if (this.#events.wants("failed")) {
      this.#events.publish({
        type: "failed",
        path: this.path,
        kind: this.kind,
        error,
        messageType,
      });
    }
    this.log.error(
      `actor failed handling "${messageType}": ${describe(error)}`,
      {
        messageType,
        error,
      },
    );
    this.#parent.childFailed(
      this as unknown as ActorCell<never>,
      error,
      messageType,
    );
  }

  // -------------------------------------------------------- system messages

  async #handleSys(m: SysMsg): Promise<void> {
    switch (m.t) {
      case "start":
        await this.#start(m.revive, m.restart);
        m.done();
        return;
      case "stop":
        await this.#stop(m.selfStop);
        return;
      case "resume":
        if (this.#state === FAILED) {
          this.#state = RUNNING;
          this.#failure = undefined;
          this.log.info("actor resumed; the failed message was skipped");
        }
        return;
      case "teardown":
        await this.#teardown(m.error);
        m.done();
        return;
      case "childFailed":
        await this.#onChildFailed(m.child, m.error, m.messageType);
        return;
      case "childStopped":
        await this.#onChildStopped(m.child, m.selfStop);
        return;
      case "restartGroup":
        await this.#startGroup(m.group, m.info);
        return;
      case "idle":
        this.#onIdleTimer();
        return;
    }
  }

  /** Builds a fresh instance and runs preStart; a failure here is supervised. */
  async #start(
    revive: boolean,
    restart: RestartInfo | undefined,
  ): Promise<void> {
    if (this.#state === STOPPING || (this.#state === STOPPED && !revive)) {
      return;
    }
    if (this.#state === STOPPED) {
      this.#stopPromise = undefined;
      this.#stopResolve = undefined;
    }
    this.#state = RESTARTING;
    this.#failure = undefined;
    try {
      const instance = this.#props.factory(this.#ctx);
      this.#instance = instance;
      if (instance.preStart) await instance.preStart();
    } catch (error) {
      this.#fail(error, "preStart");
      return;
    }
    if (this.#state !== RESTARTING) return;
    this.#state = RUNNING;
    if (restart) {
      if (this.#events.wants("restarted")) {
        this.#events.publish({
          type: "restarted",
          path: this.path,
          kind: this.kind,
          error: restart.error,
          delayMs: restart.delayMs,
        });
      }
      this.log.info("actor restarted", { delayMs: restart.delayMs });
    } else {
      if (this.#events.wants("started")) {
        this.#events.publish({
          type: "started",
          path: this.path,
          kind: this.kind,
        });
      }
      this.log.debug("actor started");
    }
  }

  /** First half of a restart: old instance out, its timers, watches and children gone. */
  async #teardown(error: unknown): Promise<void> {
    if (this.#state >= STOPPING) return;
    this.#state = RESTARTING;
    this.#cancelOwnTimers();
    this.#unwatchAll();
    const old = this.#instance;
    this.#instance = undefined;
    if (old?.preRestart) {
      try {
        await old.preRestart(error);
      } catch (e) {
        this.log.error("preRestart threw; restarting anyway", { error: e });
      }
    }
    await this.#stopAllChildren();
  }

  async #stop(selfStop: boolean): Promise<void> {
    if (this.#state >= STOPPING) return;
    const failure = this.#state === FAILED ? this.#failure : undefined;
    this.#state = STOPPING;
    this.#cancelOwnTimers();
    await this.#stopAllChildren();
    const instance = this.#instance;
    if (instance?.postStop) {
      try {
        await instance.postStop();
      } catch (error) {
        this.log.error("postStop threw", { error });
      }
    }
    this.#finishStop(selfStop, failure);
  }

  /** Gives up on a stop that overran its timeout: marks this subtree stopped now. */
  abandon(): void {
    if (this.#state === STOPPED) return;
    this.#state = STOPPING;
    this.#cancelOwnTimers();
    for (const child of [...this.#children.values()].reverse()) child.abandon();
    this.#children.clear();
    this.#finishStop(false, undefined);
  }

  #finishStop(selfStop: boolean, failure: unknown): void {
    if (this.#state === STOPPED) return;
    this.#state = STOPPED;
    this.#instance = undefined;
    this.#idleMs = 0;
    this.mailbox.close((msg, reply) => {
      this.#sys.deadLetter(this.path, msg);
      reply?.reject(
        new ActorStoppedError(
          this.path,
          "the actor stopped before handling it",
        ),
      );
    });
    for (const msg of this.#priority) this.#sys.deadLetter(this.path, msg);
    this.#priority = [];
    this.#reportDepth();
    this.#unwatchAll();
    const terminated: Terminated = failure === undefined
      ? { type: "terminated", path: this.path }
      : { type: "terminated", path: this.path, error: failure };
    const watchers = [...this.#watchers];
    this.#watchers.clear();
    for (const [watcher, toMessage] of watchers) {
      watcher.#watching.delete(this as unknown as ActorCell<never>);
      watcher.#deliverTerminated(terminated, toMessage);
    }
    if (this.#events.wants("stopped")) {
      this.#events.publish({
        type: "stopped",
        path: this.path,
        kind: this.kind,
      });
    }
    this.log.debug("actor stopped");
    this.#stopResolve?.();
    this.#parent.childStopped(this as unknown as ActorCell<never>, selfStop);
  }

  /** Asks the cell to stop (after its current message); resolves when stopped. */
  requestStop(selfStop = false): Promise<void> {
    if (this.#state === STOPPED) return RESOLVED;
    if (!this.#stopPromise) {
      this.#stopPromise = new Promise<void>((
        resolve,
      ) => (this.#stopResolve = resolve));
      this.#enqueueSys({ t: "stop", selfStop });
    }
    return this.#stopPromise;
  }

  /** Runs (or re-runs) start-up in the cell's loop; resolves when done, failed or not. */
  requestStart(
    revive: boolean,
    restart: RestartInfo | undefined,
  ): Promise<void> {
    return new Promise<void>((done) =>
      this.#enqueueSys({ t: "start", revive, restart, done })
    );
  }

  #requestTeardown(error: unknown): Promise<void> {
    return new Promise<void>((done) =>
      this.#enqueueSys({ t: "teardown", error, done })
    );
  }

  #cancelOwnTimers(): void {
    this.#timers.cancelAll();
    this.#clearIdleTimer();
    this.#idleMs = 0;
    for (const id of this.#restartTimers) this.#clock.clearTimeout(id);
    this.#restartTimers.clear();
  }

  // ------------------------------------------------------------ children

  /** Creates, registers and starts a child; resolves once its preStart settled. */
  async spawnChild<C>(
    name: string,
    props: ActorProps<C>,
  ): Promise<ActorRef<C>> {
    if (this.#state >= STOPPING) {
      throw new ActorStoppedError(
        `${this.path}/${name}`,
        `cannot spawn: parent ${this.path} is stopping`,
      );
    }
    if (name === "" || name.includes("/")) {
      throw new InvalidActorNameError(
        this.path,
        name,
        "a name must be non-empty and contain no '/'",
      );
    }
    if (this.#children.has(name)) {
      throw new InvalidActorNameError(
        this.path,
        name,
        "a running sibling already has this name",
      );
    }
    const child = new ActorCell<C>(
      name,
      `${this.path}/${name}`,
      props,
      this.#sys,
      this.#asParent(),
    );
    this.#children.set(name, child as unknown as ActorCell<never>);
    await child.requestStart(false, undefined);
    return child.ref;
  }

  #asParent(): ParentLink {
    return {
      childFailed: (child, error, messageType) =>
        this.#enqueueSys({ t: "childFailed", child, error, messageType }),
      childStopped: (child, selfStop) =>
        this.#enqueueSys({ t: "childStopped", child, selfStop }),
    };
  }

  /** Stops one child within its shutdown timeout, abandoning it after that. */
  async stopChildCell(child: ActorCell<never>): Promise<void> {
    if (this.#children.get(child.name) === child) {
      this.#children.delete(child.name);
    }
    await this.#withinShutdownTimeout(child, child.requestStop());
  }

  async #withinShutdownTimeout(
    child: ActorCell<never>,
    done: Promise<void>,
  ): Promise<boolean> {
    let timer: TimerId | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = this.#clock.setTimeout(
        () => resolve(true),
        child.shutdownTimeoutMs,
      );
    });
    const ok = await Promise.race([done.then(() => false), timedOut]);
    this.#clock.clearTimeout(timer!);
    if (!ok) return true;
    if (this.#events.wants("shutdown_timeout")) {
      this.#events.publish({
        type: "shutdown_timeout",
        path: child.path,
        kind: child.kind,
      });
    }
    this.log.warn(
      `child ${child.path} did not stop within ${child.shutdownTimeoutMs} ms; abandoned`,
      {
        child: child.path,
      },
    );
    child.abandon();
    return false;
  }

  async #stopAllChildren(): Promise<void> {
    for (const child of [...this.#children.values()].reverse()) {
      await this.stopChildCell(child);
    }
  }

  async #onChildFailed(
    child: ActorCell<never>,
    error: unknown,
    messageType: string,
  ): Promise<void> {
    if (this.#state >= STOPPING || this.#children.get(child.name) !== child) {
      return;
    }
    // Stale: a group restart already replaced the failed incarnation.
    if (child.#state !== FAILED) return;
    let directive: Directive;
    try {
      directive = this.#supervision.decide(error, child.ref as ActorRef<never>);
    } catch (e) {
      this.log.error("decide() threw; escalating", {
        error: e,
        child: child.path,
      });
      directive = "escalate";
    }
    directive = effectiveDirective(child.restartType, directive);
    switch (directive) {
      case "resume":
        child.#enqueueSys({ t: "resume" });
        return;
      case "stop":
        this.log.info(`stopping failed child ${child.path}`, {
          child: child.path,
        });
        await this.stopChildCell(child);
        return;
      case "escalate":
        this.#escalate(
          new ActorFailedError(child.path, messageType, error),
          messageType,
        );
        return;
      default:
        await this.#restart(child, error);
    }
  }

  async #onChildStopped(
    child: ActorCell<never>,
    selfStop: boolean,
  ): Promise<void> {
    if (this.#state >= STOPPING || this.#children.get(child.name) !== child) {
      return;
    }
    if (child.#state !== STOPPED) return; // stale: already revived
    if (selfStop && restartsOnNormalStop(child.restartType)) {
      this.log.info(
        `permanent child ${child.path} stopped by itself; restarting it`,
        {
          child: child.path,
        },
      );
      await this.#restart(child, undefined);
      return;
    }
    this.#children.delete(child.name);
  }

  #escalate(error: unknown, messageType: string): void {
    if (this.#events.wants("escalated")) {
      this.#events.publish({
        type: "escalated",
        path: this.path,
        kind: this.kind,
        error,
      });
    }
    this.log.error(`escalating to supervisor: ${describe(error)}`, { error });
    this.#state = FAILED;
    this.#failure = error;
    this.#parent.childFailed(
      this as unknown as ActorCell<never>,
      error,
      messageType,
    );
  }

  /** Restart per strategy: count, tear down in reverse, wait the back-off, start in order. */
  async #restart(failed: ActorCell<never>, error: unknown): Promise<void> {
    const now = this.#clock.now();
    if (this.#window.record(now)) {
      const err = new RestartIntensityExceededError(
        this.path,
        this.#supervision.maxRestarts,
        this.#supervision.withinMs,
        error,
      );
      await this.#stopAllChildren();
      this.#escalate(err, "restart-intensity");
      return;
    }
    let backoff = this.#backoffs.get(failed);
    if (!backoff) {
      backoff = new Backoff(this.#supervision.backoff);
      this.#backoffs.set(failed, backoff);
    }
    const delayMs = backoff.next(now);
    const group = affectedChildren(this.#supervision.strategy, [
      ...this.#children.values(),
    ], failed);
    const restarting: ActorCell<never>[] = [];
    for (const cell of [...group].reverse()) {
      if (cell === failed) {
        if (cell.#state !== STOPPED) await this.#teardownChild(cell, error);
      } else if (
        cell.restartType === "temporary" ||
        (cell.#state === STOPPED && !restartsOnNormalStop(cell.restartType))
      ) {
        // OTP: a temporary sibling is terminated, never restarted.
        await this.stopChildCell(cell);
        continue;
      } else if (cell.#state !== STOPPED) {
        await this.#teardownChild(cell, error);
      }
      if (this.#children.get(cell.name) === cell) restarting.unshift(cell);
    }
    const info: RestartInfo = { error, delayMs };
    if (delayMs <= 0) {
      await this.#startGroup(restarting, info);
      return;
    }
    this.log.info(
      `restarting ${restarting.map((c) => c.path).join(", ")} in ${delayMs} ms`,
    );
    const id = this.#clock.setTimeout(() => {
      this.#restartTimers.delete(id);
      this.#enqueueSys({ t: "restartGroup", group: restarting, info });
    }, delayMs);
    this.#restartTimers.add(id);
  }

  async #teardownChild(child: ActorCell<never>, error: unknown): Promise<void> {
    const ok = await this.#withinShutdownTimeout(
      child,
      child.#requestTeardown(error),
    );
    if (!ok && this.#children.get(child.name) === child) {
      this.#children.delete(child.name);
    }
  }

  async #startGroup(
    group: ActorCell<never>[],
    info: RestartInfo,
  ): Promise<void> {
    if (this.#state >= STOPPING) return;
    for (const cell of group) {
      if (this.#children.get(cell.name) !== cell) continue;
      await cell.requestStart(cell.#state === STOPPED, info);
    }
  }

  // ------------------------------------------------------------ death watch

  #watch(
    target: ActorCell<never>,
    toMessage: (t: Terminated) => unknown,
  ): void {
    const me = this as unknown as ActorCell<never>;
    if (target === me) return;
    if (target.#state === STOPPED) {
      this.#deliverTerminated(
        { type: "terminated", path: target.path },
        toMessage,
      );
      return;
    }
    target.#watchers.set(me, toMessage);
    this.#watching.add(target);
  }

  #unwatch(target: ActorCell<never>): void {
    target.#watchers.delete(this as unknown as ActorCell<never>);
    this.#watching.delete(target);
  }

  #unwatchAll(): void {
    for (const target of this.#watching) {
      target.#watchers.delete(this as unknown as ActorCell<never>);
    }
    this.#watching.clear();
  }

  #deliverTerminated(
    t: Terminated,
    toMessage: (t: Terminated) => unknown,
  ): void {
    if (this.#state >= STOPPING) return;
    let msg: M;
    try {
      msg = toMessage(t) as M;
    } catch (error) {
      this.log.error("watch toMessage threw; Terminated not delivered", {
        error,
        watched: t.path,
      });
      return;
    }
    // Ahead of user messages, like a system message, but handled by receive().
    this.#priority.push(msg);
    if (this.#state === RUNNING) this.#schedule();
  }

  // ------------------------------------------------------- idle passivation

  #setIdleTimeout(ms: number): void {
    this.#clearIdleTimer();
    this.#idleMs = ms > 0 ? ms : 0;
    if (this.#idleMs === 0) return;
    if (this.restartType === "permanent") {
      this.log.warn(
        "idle timeout on a permanent actor: its supervisor will restart it after passivation; " +
          'use restart: "transient" or "temporary" for passivation',
      );
    }
    this.#lastActivity = this.#clock.now();
    this.#armIdle(this.#idleMs);
  }

  #armIdle(ms: number): void {
    this.#idleTimer = this.#clock.setTimeout(() => {
      this.#idleTimer = undefined;
      this.#enqueueSys({ t: "idle" });
    }, ms);
  }

  #clearIdleTimer(): void {
    if (this.#idleTimer === undefined) return;
    this.#clock.clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #onIdleTimer(): void {
    if (this.#idleMs === 0 || this.#idleTimer !== undefined) return;
    // Re-arm rather than reset the timer per message: one timer per idle period, not per message.
    const idleFor = this.#clock.now() - this.#lastActivity;
    if (
      this.#state !== RUNNING || this.mailbox.size > 0 ||
      this.#priority.length > 0
    ) {
      this.#armIdle(this.#idleMs);
    } else if (idleFor < this.#idleMs) {
      this.#armIdle(this.#idleMs - idleFor);
    } else {
      this.log.info(`passivating after ${this.#idleMs} ms idle`);
      void this.requestStop(true);
    }
  }

  // ------------------------------------------------------------- context

  #makeContext(): ActorContext<M> {
    // deno-lint-ignore no-this-alias
    const cell = this;
    return {
      self: this.ref,
      path: this.path,
      clock: this.#clock,
      log: this.log,
      timers: this.#timers as TimerScheduler<M>,
      spawn: <C>(name: string, props: ActorProps<C>) =>
        cell.spawnChild(name, props),
      child: <C>(name: string) => {
        const c = cell.#children.get(name);
        return c && c.alive ? (c.ref as unknown as ActorRef<C>) : undefined;
      },
      children: () =>
        [...cell.#children.values()].filter((c) => c.alive).map((c) => c.name),
      stopChild: async (name: string) => {
        const c = cell.#children.get(name);
        if (c) await cell.stopChildCell(c);
      },
      watch: <T>(ref: ActorRef<T>, toMessage: (t: Terminated) => M) => {
        cell.#watch(cellOrThrow(ref, "watch"), toMessage);
      },
      unwatch: <T>(ref: ActorRef<T>) => {
        cell.#unwatch(cellOrThrow(ref, "unwatch"));
      },
      setIdleTimeout: (ms: number) => cell.#setIdleTimeout(ms),
      stopSelf: () => void cell.requestStop(true),
    };
  }
}

function cellOrThrow<T>(ref: ActorRef<T>, what: string): ActorCell<never> {
  const cell = LocalActorRef.cellOf(ref);
  if (!cell) {
    throw new TypeError(
      `${what}(${ref.path}): only refs made by an ActorSystem can be watched`,
    );
  }
  return cell as unknown as ActorCell<never>;
}
