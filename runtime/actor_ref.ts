/**
 * The handle user code holds for an actor. It keeps its cell in a private
 * field so nobody can reach around the mailbox; only the runtime gets the
 * cell back (through {@linkcode LocalActorRef.cellOf}), e.g. to watch it.
 * A ref outlives restarts: it names the cell, not an instance.
 *
 * @module
 */

import type { ActorCell } from "./actor_cell.ts";
import type { ActorRef, AskOptions } from "./types.ts";

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
