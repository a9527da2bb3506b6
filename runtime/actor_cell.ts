/**
 * One actor in the tree: its identity and state, the router of its system
 * messages, spawning, and the parts that do the rest, each in a file of its
 * own, as Akka splits its ActorCell:
 *
 * | part          | file                | owns                                           |
 * | ------------- | ------------------- | ---------------------------------------------- |
 * | `lifecycle`   | `lifecycle.ts`      | start, restart teardown, stop, abandon         |
 * | (base class)  | `dispatch.ts`       | state, tell/ask, queues, the run loop          |
 * |               | `overflow.ts`       | what a full mailbox does with one more message |
 * | `children`    | `children.ts`       | the children registry and stopping children    |
 * | `faults`      | `fault_handling.ts` | own failures; supervising the children         |
 * | `deathWatch`  | `death_watch.ts`    | watchers, watches, `Terminated`                |
 * | `idle`        | `idle.ts`           | idle passivation                               |
 * | `timers`      | `timers.ts`         | the actor's timers                             |
 * | `ctx`, `ref`  | `context.ts`, `actor_ref.ts` | what user code gets to hold           |
 *
 * Lifecycle and supervision steps run as system messages inside the drain
 * loop, so they can never overlap a handler. The parts read and write this cell's fields
 * directly (no copies, nothing extra on the hot path); nothing outside
 * `runtime/` can reach a cell, since user code only holds refs and contexts.
 *
 * @module
 */

import { LocalActorRef } from "./actor_ref.ts";
import {
  type ParentLink,
  type RestartInfo,
  STOPPING,
  type SysMsg,
  type SystemContext,
} from "./cell_protocol.ts";
import { Children } from "./children.ts";
import { makeContext } from "./context.ts";
import { DeathWatch } from "./death_watch.ts";
import { Dispatch } from "./dispatch.ts";
import { ActorStoppedError } from "./errors.ts";
import { FaultHandling } from "./fault_handling.ts";
import { IdleTimeout } from "./idle.ts";
import { Lifecycle } from "./lifecycle.ts";
import { Mailbox } from "./mailbox.ts";
import { ActorTimers } from "./timers.ts";
import type {
  ActorContext,
  ActorProps,
  ActorRef,
  RestartType,
} from "./types.ts";

/** Defaults of {@linkcode ActorProps}. */
export const DEFAULT_MAILBOX_CAPACITY = 1000;
/** Default time a stopping actor (postStop and its children) gets. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;

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
export class ActorCell<M> extends Dispatch<M> {
  readonly name: string;
  readonly restartType: RestartType;
  readonly shutdownTimeoutMs: number;
  readonly ref: LocalActorRef<M>;
  readonly parent: ParentLink;
  readonly children: Children;
  override readonly faults: FaultHandling;
  readonly deathWatch: DeathWatch<M>;
  readonly idle: IdleTimeout;
  readonly timers: ActorTimers<M>;
  readonly lifecycle: Lifecycle<M>;
  readonly ctx: ActorContext<M>;

  constructor(
    name: string,
    path: string,
    props: ActorProps<M>,
    sys: SystemContext,
    parent: ParentLink,
  ) {
    super(
      path,
      props.kind ?? name,
      new Mailbox<M>(
        props.mailbox?.capacity ?? DEFAULT_MAILBOX_CAPACITY,
        props.mailbox?.overflow ?? "backpressure",
        props.mailbox?.maxWaiting,
      ),
      sys,
    );
    const self = this as unknown as ActorCell<never>;
    this.name = name;
    this.restartType = props.restart ?? "permanent";
    this.shutdownTimeoutMs = props.shutdownTimeoutMs ??
      DEFAULT_SHUTDOWN_TIMEOUT_MS;
    this.parent = parent;
    this.ref = new LocalActorRef(this);
    this.faults = new FaultHandling(self, props.supervision);
    this.children = new Children(self);
    this.deathWatch = new DeathWatch(this);
    this.idle = new IdleTimeout(self);
    this.timers = new ActorTimers<M>(
      this.clock,
      (msg) => this.tellFromTimer(msg),
    );
    this.lifecycle = new Lifecycle(this, props);
    this.ctx = makeContext(this);
  }

  /** True unless stopped (a failed or restarting actor is alive). */
  get alive(): boolean {
    return this.state < STOPPING;
  }

  /** Running children in start order (for tests and the system). */
  get childCells(): ActorCell<never>[] {
    return this.children.cells();
  }

  // ------------------------------------------------------------- requests

  /** Asks the cell to stop (after its current message); resolves when stopped. */
  requestStop(selfStop = false): Promise<void> {
    return this.lifecycle.requestStop(selfStop);
  }

  /** Runs (or re-runs) start-up in the cell's loop; resolves when done, failed or not. */
  requestStart(
    revive: boolean,
    restart: RestartInfo | undefined,
  ): Promise<void> {
    return this.lifecycle.requestStart(revive, restart);
  }

  /** Gives up on a stop that overran its timeout: marks this subtree stopped now. */
  abandon(): void {
    this.lifecycle.abandon();
  }

  /** Creates, registers and starts a child; resolves once its preStart settled. */
  async spawnChild<C>(
    name: string,
    props: ActorProps<C>,
  ): Promise<ActorRef<C>> {
    if (this.state >= STOPPING) {
      throw new ActorStoppedError(
        `${this.path}/${name}`,
        `cannot spawn: parent ${this.path} is stopping`,
      );
    }
    this.children.checkName(name);
    const child = new ActorCell<C>(
      name,
      `${this.path}/${name}`,
      props,
      this.sys,
      this.#asParent(),
    );
    this.children.add(child as unknown as ActorCell<never>);
    await child.requestStart(false, undefined);
    return child.ref;
  }

  /** Stops one child within its shutdown timeout, abandoning it after that. */
  stopChildCell(child: ActorCell<never>): Promise<void> {
    return this.children.stop(child);
  }

  /** How a child reports to this cell: as system messages into its loop. */
  #asParent(): ParentLink {
    return {
      childFailed: (child, error, messageType) =>
        this.enqueueSys({
          t: "childFailed",
          child,
          error,
          messageType,
        }),
      childStopped: (child, selfStop) =>
        this.enqueueSys({ t: "childStopped", child, selfStop }),
    };
  }

  // ----------------------------------------------------- system messages

  /** Handles one system message; called by the run loop only. */
  override async handleSys(m: SysMsg): Promise<void> {
    switch (m.t) {
      case "start":
        await this.lifecycle.start(m.revive, m.restart);
        m.done();
        return;
      case "stop":
        await this.lifecycle.stop(m.selfStop);
        return;
      case "resume":
        this.lifecycle.resume();
        return;
      case "teardown":
        await this.lifecycle.teardown(m.error);
        m.done();
        return;
      case "childFailed":
        await this.faults.onChildFailed(m.child, m.error, m.messageType);
        return;
      case "childStopped":
        await this.faults.onChildStopped(m.child, m.selfStop);
        return;
      case "restartGroup":
        await this.faults.startGroup(m.group, m.info);
        return;
      case "idle":
        this.idle.onTimer();
        return;
    }
  }
}
