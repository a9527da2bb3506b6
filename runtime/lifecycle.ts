/**
 * The lifecycle of one cell, as OTP and Akka run it: start (factory, then
 * `preStart`), restart in two halves (teardown: `preRestart`, timers, watches
 * and children gone; then a fresh start), stop (children in reverse order,
 * then `postStop`, then everything still queued becomes a dead letter and
 * watchers get `Terminated`), and abandon for a stop that overran its
 * timeout. Each step runs as a system message inside the cell's own loop, so
 * it never overlaps a handler; the `request*` methods enqueue them.
 *
 * @module
 */

import type { ActorCell } from "./actor_cell.ts";
import {
  FAILED,
  type RestartInfo,
  RESTARTING,
  RUNNING,
  STOPPED,
  STOPPING,
} from "./cell_protocol.ts";
import { RESOLVED } from "./dispatch.ts";
import type { ActorProps } from "./types.ts";

/**
 * Start, restart, stop and abandon for one cell.
 *
 * @example
 * ```ts
 * // Made by ActorCell only.
 * import { Lifecycle } from "./lifecycle.ts";
 * console.assert(typeof Lifecycle === "function");
 * ```
 */
export class Lifecycle<M> {
  readonly #cell: ActorCell<M>;
  readonly #props: ActorProps<M>;
  #stopPromise: Promise<void> | undefined;
  #stopResolve: (() => void) | undefined;

  constructor(cell: ActorCell<M>, props: ActorProps<M>) {
    this.#cell = cell;
    this.#props = props;
  }

  // ------------------------------------------------------------- requests

  /** Asks the cell to stop (after its current message); resolves when stopped. */
  requestStop(selfStop: boolean): Promise<void> {
    if (this.#cell.state === STOPPED) return RESOLVED;
    if (!this.#stopPromise) {
      this.#stopPromise = new Promise<void>((
        resolve,
      ) => (this.#stopResolve = resolve));
      this.#cell.enqueueSys({ t: "stop", selfStop });
    }
    return this.#stopPromise;
  }

  /** Runs (or re-runs) start-up in the cell's loop; resolves when done, failed or not. */
  requestStart(
    revive: boolean,
    restart: RestartInfo | undefined,
  ): Promise<void> {
    return new Promise<void>((done) =>
      this.#cell.enqueueSys({ t: "start", revive, restart, done })
    );
  }

  /** First half of a restart, run in the cell's loop; resolves when torn down. */
  requestTeardown(error: unknown): Promise<void> {
    return new Promise<void>((done) =>
      this.#cell.enqueueSys({ t: "teardown", error, done })
    );
  }

  // ---------------------------------------------- steps (in the cell's loop)

  /** Builds a fresh instance and runs preStart; a failure here is supervised. */
  async start(
    revive: boolean,
    restart: RestartInfo | undefined,
  ): Promise<void> {
    const cell = this.#cell;
    if (cell.state === STOPPING || (cell.state === STOPPED && !revive)) {
      return;
    }
    if (cell.state === STOPPED) {
      this.#stopPromise = undefined;
      this.#stopResolve = undefined;
    }
    cell.state = RESTARTING;
    cell.failure = undefined;
    try {
      const instance = this.#props.factory(cell.ctx);
      cell.instance = instance;
      if (instance.preStart) await instance.preStart();
    } catch (error) {
      cell.faults.fail(error, "preStart");
      return;
    }
    if (cell.state !== RESTARTING) return;
    cell.state = RUNNING;
    if (restart) {
      if (cell.events.wants("restarted")) {
        cell.events.publish({
          type: "restarted",
          path: cell.path,
          kind: cell.kind,
          error: restart.error,
          delayMs: restart.delayMs,
        });
      }
      cell.log.info("actor restarted", { delayMs: restart.delayMs });
    } else {
      if (cell.events.wants("started")) {
        cell.events.publish({
          type: "started",
          path: cell.path,
          kind: cell.kind,
        });
      }
      cell.log.debug("actor started");
    }
  }

  /** The supervisor chose `resume`: keep the instance, skip the failed message. */
  resume(): void {
    const cell = this.#cell;
    if (cell.state !== FAILED) return;
    cell.state = RUNNING;
    cell.failure = undefined;
    cell.log.info("actor resumed; the failed message was skipped");
  }

  /** First half of a restart: old instance out, its timers, watches and children gone. */
  async teardown(error: unknown): Promise<void> {
    const cell = this.#cell;
    if (cell.state >= STOPPING) return;
    cell.state = RESTARTING;
    this.#cancelOwnTimers();
    cell.deathWatch.unwatchAll();
    const old = cell.instance;
    cell.instance = undefined;
    if (old?.preRestart) {
      try {
        await old.preRestart(error);
      } catch (e) {
        cell.log.error("preRestart threw; restarting anyway", { error: e });
      }
    }
    await cell.children.stopAll();
  }

  /** Stops children (reverse order), runs postStop, then finishes the stop. */
  async stop(selfStop: boolean): Promise<void> {
    const cell = this.#cell;
    if (cell.state >= STOPPING) return;
    const failure = cell.state === FAILED ? cell.failure : undefined;
    cell.state = STOPPING;
    this.#cancelOwnTimers();
    await cell.children.stopAll();
    const instance = cell.instance;
    if (instance?.postStop) {
      try {
        await instance.postStop();
      } catch (error) {
        cell.log.error("postStop threw", { error });
      }
    }
    this.#finishStop(selfStop, failure);
  }

  /** Gives up on a stop that overran its timeout: marks this subtree stopped now. */
  abandon(): void {
    const cell = this.#cell;
    if (cell.state === STOPPED) return;
    cell.state = STOPPING;
    this.#cancelOwnTimers();
    cell.children.abandonAll();
    this.#finishStop(false, undefined);
  }

  #finishStop(selfStop: boolean, failure: unknown): void {
    const cell = this.#cell;
    if (cell.state === STOPPED) return;
    cell.state = STOPPED;
    cell.instance = undefined;
    cell.idleMs = 0;
    cell.close();
    cell.deathWatch.stopped(failure);
    if (cell.events.wants("stopped")) {
      cell.events.publish({
        type: "stopped",
        path: cell.path,
        kind: cell.kind,
      });
    }
    cell.log.debug("actor stopped");
    this.#stopResolve?.();
    cell.parent.childStopped(cell as unknown as ActorCell<never>, selfStop);
  }

  #cancelOwnTimers(): void {
    const cell = this.#cell;
    cell.timers.cancelAll();
    cell.idle.disable();
    cell.faults.cancelRestarts();
  }
}
