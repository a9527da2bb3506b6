/**
 * Death watch of one cell: whom it watches and who watches it. When a cell
 * stops, each watcher gets its `Terminated` (mapped to its own message type)
 * ahead of its queued user messages but through `receive`, as in Akka. A
 * restart is not a stop: watchers hear nothing, and the watches the restarted
 * actor itself made are dropped (it re-watches in `preStart`).
 *
 * @module
 */

import type { ActorCell } from "./actor_cell.ts";
import { STOPPED, STOPPING } from "./cell_protocol.ts";
import type { Terminated } from "./types.ts";

/**
 * Both directions of watching for one cell. Kept on each side so a stop can
 * notify watchers and a stopping watcher can unregister itself, both without
 * searching.
 *
 * @example
 * ```ts
 * // Made by ActorCell only; actors use ctx.watch / ctx.unwatch.
 * import { DeathWatch } from "./death_watch.ts";
 * console.assert(typeof DeathWatch === "function");
 * ```
 */
export class DeathWatch<M> {
  readonly #cell: ActorCell<M>;
  /** Who watches this cell, with how to turn `Terminated` into their message. */
  readonly watchers = new Map<ActorCell<never>, (t: Terminated) => unknown>();
  /** Whom this cell watches. */
  readonly watching = new Set<ActorCell<never>>();

  constructor(cell: ActorCell<M>) {
    this.#cell = cell;
  }

  /** Starts watching `target`; an already stopped target is reported at once. */
  watch(target: ActorCell<never>, toMessage: (t: Terminated) => unknown): void {
    const me = this.#cell as unknown as ActorCell<never>;
    if (target === me) return;
    if (target.state === STOPPED) {
      this.deliverTerminated(
        { type: "terminated", path: target.path },
        toMessage,
      );
      return;
    }
    target.deathWatch.watchers.set(me, toMessage);
    this.watching.add(target);
  }

  /** Stops watching `target`. */
  unwatch(target: ActorCell<never>): void {
    target.deathWatch.watchers.delete(
      this.#cell as unknown as ActorCell<never>,
    );
    this.watching.delete(target);
  }

  /** Drops every watch this cell made (on restart and stop). */
  unwatchAll(): void {
    const me = this.#cell as unknown as ActorCell<never>;
    for (const target of this.watching) target.deathWatch.watchers.delete(me);
    this.watching.clear();
  }

  /** This cell stopped: drop its own watches and tell its watchers. */
  stopped(failure: unknown): void {
    const cell = this.#cell;
    this.unwatchAll();
    const terminated: Terminated = failure === undefined
      ? { type: "terminated", path: cell.path }
      : { type: "terminated", path: cell.path, error: failure };
    const watchers = [...this.watchers];
    this.watchers.clear();
    const me = cell as unknown as ActorCell<never>;
    for (const [watcher, toMessage] of watchers) {
      watcher.deathWatch.watching.delete(me);
      watcher.deathWatch.deliverTerminated(terminated, toMessage);
    }
  }

  /** Maps `t` to this cell's message type and queues it ahead of user messages. */
  deliverTerminated(
    t: Terminated,
    toMessage: (t: Terminated) => unknown,
  ): void {
    const cell = this.#cell;
    if (cell.state >= STOPPING) return;
    let msg: M;
    try {
      msg = toMessage(t) as M;
    } catch (error) {
      cell.log.error("watch toMessage threw; Terminated not delivered", {
        error,
        watched: t.path,
      });
      return;
    }
    cell.enqueuePriority(msg);
  }
}
