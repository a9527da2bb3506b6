/**
 * The actor system: the root guardian at `/<name>`, the shared clock,
 * logger and event stream, dead-letter accounting and orderly shutdown.
 *
 * @module
 */

import { ActorCell } from "./actor_cell.ts";
import type { ParentLink, SystemContext } from "./cell_protocol.ts";
import { RealClock } from "./clock.ts";
import { ActorStoppedError, describe, SystemFailedError } from "./errors.ts";
import { EventStream } from "./events.ts";
import { consoleLogger } from "./logger.ts";
import { messageTypeOf } from "./message_type.ts";
import type {
  ActorProps,
  ActorRef,
  ActorSystemOptions,
  Clock,
  Logger,
} from "./types.ts";

/** Default messages handled per burst before the drain loop yields. */
export const DEFAULT_THROUGHPUT = 64;

/**
 * A tree of supervised actors. Top-level actors live at `/<name>/<child>`
 * under a root guardian that supervises them with `options.supervision`;
 * when the root itself fails the system stops and {@linkcode whenTerminated}
 * resolves with a {@linkcode SystemFailedError}.
 *
 * @example
 * ```ts
 * import { ActorSystem, silentLogger } from "./mod.ts";
 * type Msg = { type: "add"; n: number } | { type: "get" };
 * const system = new ActorSystem("demo", { logger: silentLogger() });
 * const counter = await system.spawn<Msg>("counter", {
 *   factory: () => {
 *     let total = 0;
 *     return { receive: (m) => (m.type === "add" ? void (total += m.n) : total) };
 *   },
 * });
 * await counter.tell({ type: "add", n: 2 });
 * console.assert((await counter.ask({ type: "get" }, { timeoutMs: 1000 })) === 2);
 * await system.shutdown();
 * ```
 */
export class ActorSystem {
  /** The system name (first path segment). */
  readonly name: string;
  /** Runtime events; `subscribe` returns an unsubscribe function. */
  readonly events: EventStream;
  /** Resolves once the system has stopped; with `error` when the root failed. */
  readonly whenTerminated: Promise<{ error?: unknown }>;

  #clock: Clock;
  #logger: Logger;
  #root: ActorCell<never>;
  #rootStarted: Promise<void>;
  #deadLetters = 0;
  #dropped = 0;
  #terminated = false;
  #shutdown: Promise<void> | undefined;
  #resolveTerminated!: (result: { error?: unknown }) => void;
  #failure: SystemFailedError | undefined;

  constructor(name: string, options: ActorSystemOptions = {}) {
    if (name === "" || name.includes("/")) {
      throw new TypeError(
        `actor system name must be non-empty without '/', got "${name}"`,
      );
    }
    const throughput = options.throughput ?? DEFAULT_THROUGHPUT;
    if (!Number.isInteger(throughput) || throughput < 1) {
      throw new RangeError(
        `throughput must be an integer >= 1, got ${throughput}`,
      );
    }
    this.name = name;
    this.#clock = options.clock ?? new RealClock();
    this.#logger = options.logger ?? consoleLogger("info");
    this.events = new EventStream((error) =>
      this.#logger.error("runtime event listener threw", {
        path: `/${name}`,
        error,
      })
    );
    this.whenTerminated = new Promise((
      resolve,
    ) => (this.#resolveTerminated = resolve));
    const ctx: SystemContext = {
      clock: this.#clock,
      logger: this.#logger,
      events: this.events,
      throughput,
      deadLetter: (path, msg) => this.#deadLetter(path, msg),
      dropped: () => void this.#dropped++,
    };
    const link: ParentLink = {
      childFailed: (_root, error) => this.#rootFailed(error),
      childStopped: () => {},
    };
    this.#root = new ActorCell<never>(
      name,
      `/${name}`,
      {
        factory: () => ({ receive: () => undefined }),
        supervision: options.supervision,
        kind: "root",
        shutdownTimeoutMs: Infinity,
      },
      ctx,
      link,
    );
    this.#rootStarted = this.#root.requestStart(false, undefined);
  }

  /** Messages that could not be delivered (to stopped actors, or queued at stop). */
  get deadLetterCount(): number {
    return this.#deadLetters;
  }

  /**
   * Messages dropped by `drop-oldest` / `drop-newest` / `fail` overflow, and
   * under `backpressure` those rejected because `maxWaiting` senders waited.
   */
  get droppedCount(): number {
    return this.#dropped;
  }

  /** The top-level actors' refs, in start order. */
  get topLevel(): ActorRef<unknown>[] {
    return this.#root.childCells.map((c) => c.ref as ActorRef<unknown>);
  }

  /**
   * Starts a top-level actor at `/<system>/<name>`; resolves once its
   * `preStart` has run (a failing preStart is supervised, not thrown).
   */
  async spawn<M>(name: string, props: ActorProps<M>): Promise<ActorRef<M>> {
    if (this.#shutdown) {
      throw new ActorStoppedError(
        `/${this.name}/${name}`,
        `cannot spawn: system /${this.name} is shut down`,
      );
    }
    await this.#rootStarted;
    return this.#root.spawnChild(name, props);
  }

  /**
   * Stops one top-level actor (and its subtree) within its shutdownTimeoutMs;
   * it is not restarted, whatever its restart type. Other refs resolve at once.
   *
   * @example
   * ```ts
   * import { ActorSystem, silentLogger } from "./mod.ts";
   * const system = new ActorSystem("demo", { logger: silentLogger() });
   * const ref = await system.spawn<string>("a", { factory: () => ({ receive() {} }) });
   * await system.stop(ref);
   * console.assert(!ref.alive);
   * await system.shutdown();
   * ```
   */
  async stop(ref: ActorRef<unknown>): Promise<void> {
    const cell = this.#root.childCells.find((c) => c.ref === ref);
    if (cell) await this.#root.stopChildCell(cell);
  }

  /**
   * Stops every top-level actor in reverse start order (each subtree
   * likewise, each within its shutdownTimeoutMs), then resolves
   * {@linkcode whenTerminated}. Calling it again returns the same promise.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      await this.#rootStarted;
      await this.#root.requestStop();
      this.#terminated = true;
      this.#resolveTerminated(this.#failure ? { error: this.#failure } : {});
    })();
    return this.#shutdown;
  }

  /** True once shutdown has finished. */
  get terminated(): boolean {
    return this.#terminated;
  }

  #rootFailed(error: unknown): void {
    if (this.#failure) return;
    this.#failure = new SystemFailedError(this.name, error);
    this.#logger.error(
      `actor system stopping: root guardian failed: ${describe(error)}`,
      {
        path: `/${this.name}`,
        error,
      },
    );
    void this.shutdown();
  }

  #deadLetter(path: string, msg: unknown): void {
    this.#deadLetters++;
    const messageType = messageTypeOf(msg);
    if (this.events.wants("dead_letter")) {
      this.events.publish({ type: "dead_letter", path, messageType });
    }
    this.#logger.debug("dead letter", { path, messageType });
  }
}
