/**
 * The children of one cell: the registry by name (in start order), name
 * checks for spawning, and stopping children in reverse start order, each
 * within its own shutdown timeout after which it is abandoned. Deciding what
 * to do when a child fails or stops lives in `fault_handling.ts`.
 *
 * @module
 */

import type { ActorCell } from "./actor_cell.ts";
import { InvalidActorNameError } from "./errors.ts";
import type { TimerId } from "./types.ts";

/**
 * Registry of a cell's children. A Map keeps insertion order, which is the
 * start order strategies and shutdown rely on.
 *
 * @example
 * ```ts
 * // Made by ActorCell only.
 * import { Children } from "./children.ts";
 * console.assert(typeof Children === "function");
 * ```
 */
export class Children {
  readonly #cell: ActorCell<never>;
  readonly #byName = new Map<string, ActorCell<never>>();

  constructor(cell: ActorCell<never>) {
    this.#cell = cell;
  }

  /** All registered children (running, failed or awaiting restart), in start order. */
  cells(): ActorCell<never>[] {
    return [...this.#byName.values()];
  }

  /** The child registered under `name`. */
  get(name: string): ActorCell<never> | undefined {
    return this.#byName.get(name);
  }

  /** True when `child` is still the registered incarnation under its name. */
  isCurrent(child: ActorCell<never>): boolean {
    return this.#byName.get(child.name) === child;
  }

  /** Throws {@linkcode InvalidActorNameError} unless `name` can be spawned. */
  checkName(name: string): void {
    if (name === "" || name.includes("/")) {
      throw new InvalidActorNameError(
        this.#cell.path,
        name,
        "a name must be non-empty and contain no '/'",
      );
    }
    if (this.#byName.has(name)) {
      throw new InvalidActorNameError(
        this.#cell.path,
        name,
        "a running sibling already has this name",
      );
    }
  }

  /** Registers a new child (last in start order). */
  add(child: ActorCell<never>): void {
    this.#byName.set(child.name, child);
  }

  /** Forgets `child` if it is still the registered incarnation. */
  remove(child: ActorCell<never>): void {
    if (this.isCurrent(child)) this.#byName.delete(child.name);
  }

  /** Stops one child within its shutdown timeout, abandoning it after that. */
  async stop(child: ActorCell<never>): Promise<void> {
    this.remove(child);
    await this.withinShutdownTimeout(child, child.requestStop());
  }

  /** Stops every child in reverse start order. */
  async stopAll(): Promise<void> {
    for (const child of this.cells().reverse()) {
      await this.stop(child);
    }
  }

  /** Marks every child subtree stopped now (reverse start order) and forgets them. */
  abandonAll(): void {
    for (const child of this.cells().reverse()) child.abandon();
    this.#byName.clear();
  }

  /**
   * Waits for `done` up to the child's shutdown timeout; past it, reports
   * `shutdown_timeout`, abandons the child and resolves false.
   */
  async withinShutdownTimeout(
    child: ActorCell<never>,
    done: Promise<void>,
  ): Promise<boolean> {
    const cell = this.#cell;
    let timer: TimerId | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = cell.clock.setTimeout(
        () => resolve(true),
        child.shutdownTimeoutMs,
      );
    });
    const ok = await Promise.race([done.then(() => false), timedOut]);
    cell.clock.clearTimeout(timer!);
    if (!ok) return true;
    if (cell.events.wants("shutdown_timeout")) {
      cell.events.publish({
        type: "shutdown_timeout",
        path: child.path,
        kind: child.kind,
      });
    }
    cell.log.warn(
      `child ${child.path} did not stop within ${child.shutdownTimeoutMs} ms; abandoned`,
      {
        child: child.path,
      },
    );
    child.abandon();
    return false;
  }
}
