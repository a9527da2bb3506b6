/**
 * Idle passivation of one cell (Akka's receive timeout, nact's
 * shutdownAfter): after `ms` without handling a user message the actor stops
 * itself. One timer per idle period, re-armed when it fires early, rather
 * than one reset per message: the run loop only stamps `lastActivity`.
 *
 * @module
 */

import type { ActorCell } from "./actor_cell.ts";
import { RUNNING } from "./cell_protocol.ts";
import type { TimerId } from "./types.ts";

/**
 * The idle timeout of one cell. The timeout and the activity stamp are the
 * cell's `idleMs` and `lastActivity` fields (the run loop stamps them per
 * message); this class owns the timer and the decision to passivate.
 *
 * @example
 * ```ts
 * // Made by ActorCell only; actors use ctx.setIdleTimeout(ms).
 * import { IdleTimeout } from "./idle.ts";
 * console.assert(typeof IdleTimeout === "function");
 * ```
 */
export class IdleTimeout {
  readonly #cell: ActorCell<never>;
  #timer: TimerId | undefined;

  constructor(cell: ActorCell<never>) {
    this.#cell = cell;
  }

  /** Sets (or with 0 disables) the timeout, counting from now. */
  set(ms: number): void {
    const cell = this.#cell;
    this.clearTimer();
    cell.idleMs = ms > 0 ? ms : 0;
    if (cell.idleMs === 0) return;
    if (cell.restartType === "permanent") {
      cell.log.warn(
        "idle timeout on a permanent actor: its supervisor will restart it after passivation; " +
          'use restart: "transient" or "temporary" for passivation',
      );
    }
    cell.lastActivity = cell.clock.now();
    this.#arm(cell.idleMs);
  }

  /** Cancels the pending timer, if any (the timeout stays set). */
  clearTimer(): void {
    if (this.#timer === undefined) return;
    this.#cell.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Cancels the timer and turns the timeout off (stop, restart). */
  disable(): void {
    this.clearTimer();
    this.#cell.idleMs = 0;
  }

  /** The timer fired (as a system message): passivate, or re-arm for the rest. */
  onTimer(): void {
    const cell = this.#cell;
    const ms = cell.idleMs;
    if (ms === 0 || this.#timer !== undefined) return;
    const idleFor = cell.clock.now() - cell.lastActivity;
    if (cell.state !== RUNNING || cell.hasQueued) {
      this.#arm(ms);
    } else if (idleFor < ms) {
      this.#arm(ms - idleFor);
    } else {
      cell.log.info(`passivating after ${ms} ms idle`);
      void cell.requestStop(true);
    }
  }

  #arm(ms: number): void {
    this.#timer = this.#cell.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#cell.enqueueSys({ t: "idle" });
    }, ms);
  }
}
