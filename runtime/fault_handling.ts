/**
 * Fault handling of one cell, both ways round (as Akka's FaultHandling):
 * reporting its own failure to its supervisor, and, as a supervisor, acting
 * on its children's failures and self-stops: `decide()`, restart types,
 * restart intensity (a sliding window), back-off per child, strategies
 * (`one_for_one`, `one_for_all`, `rest_for_one`) and escalation. The pure
 * policy (defaults, window, which siblings) lives in `supervisor.ts`; this
 * file applies it to cells. It runs inside the supervisor's own loop, as
 * system messages, so it never overlaps its handlers.
 *
 * @module
 */

import type { ActorCell } from "./actor_cell.ts";
import { Backoff } from "./backoff.ts";
import {
  FAILED,
  type RestartInfo,
  STOPPED,
  STOPPING,
} from "./cell_protocol.ts";
import {
  ActorFailedError,
  describe,
  RestartIntensityExceededError,
} from "./errors.ts";
import {
  affectedChildren,
  effectiveDirective,
  type ResolvedSupervision,
  resolveSupervision,
  restartsOnNormalStop,
  RestartWindow,
} from "./supervisor.ts";
import type {
  ActorRef,
  Directive,
  SupervisorOptions,
  TimerId,
} from "./types.ts";

/**
 * Failure reporting and supervision for one cell.
 *
 * @example
 * ```ts
 * // Made by ActorCell only; configure it through ActorProps.supervision.
 * import { FaultHandling } from "./fault_handling.ts";
 * console.assert(typeof FaultHandling === "function");
 * ```
 */
export class FaultHandling {
  readonly #cell: ActorCell<never>;
  readonly #supervision: ResolvedSupervision;
  readonly #window: RestartWindow;
  readonly #backoffs = new WeakMap<ActorCell<never>, Backoff>();
  readonly #restartTimers = new Set<TimerId>();

  constructor(cell: ActorCell<never>, options: SupervisorOptions | undefined) {
    this.#cell = cell;
    this.#supervision = resolveSupervision(options);
    this.#window = new RestartWindow(
      this.#supervision.maxRestarts,
      this.#supervision.withinMs,
    );
  }

  // ------------------------------------------------------- its own failure

  /** Suspends the actor and reports the failure to its supervisor. */
  fail(error: unknown, messageType: string): void {
    const cell = this.#cell;
    if (cell.state >= STOPPING) {
      // Abandoned or stopping: nobody supervises this incarnation any more.
      cell.log.warn("actor failed while stopping", { messageType, error });
      return;
    }
    cell.state = FAILED;
    cell.failure = error;
    if (cell.events.wants("failed")) {
      cell.events.publish({
        type: "failed",
        path: cell.path,
        kind: cell.kind,
        error,
        messageType,
      });
    }
    cell.log.error(
      `actor failed handling "${messageType}": ${describe(error)}`,
      {
        messageType,
        error,
      },
    );
    cell.parent.childFailed(cell, error, messageType);
  }

  #escalate(error: unknown, messageType: string): void {
    const cell = this.#cell;
    if (cell.events.wants("escalated")) {
      cell.events.publish({
        type: "escalated",
        path: cell.path,
        kind: cell.kind,
        error,
      });
    }
    cell.log.error(`escalating to supervisor: ${describe(error)}`, { error });
    cell.state = FAILED;
    cell.failure = error;
    cell.parent.childFailed(cell, error, messageType);
  }

  // ------------------------------------------------- its children's faults

  /** A child failed: apply `decide()` and the child's restart type. */
  async onChildFailed(
    child: ActorCell<never>,
    error: unknown,
    messageType: string,
  ): Promise<void> {
    const cell = this.#cell;
    if (cell.state >= STOPPING || !cell.children.isCurrent(child)) return;
    // Stale: a group restart already replaced the failed incarnation.
    if (child.state !== FAILED) return;
    let directive: Directive;
    try {
      directive = this.#supervision.decide(error, child.ref as ActorRef<never>);
    } catch (e) {
      cell.log.error("decide() threw; escalating", {
        error: e,
        child: child.path,
      });
      directive = "escalate";
    }
    directive = effectiveDirective(child.restartType, directive);
    switch (directive) {
      case "resume":
        child.enqueueSys({ t: "resume" });
        return;
      case "stop":
        cell.log.info(`stopping failed child ${child.path}`, {
          child: child.path,
        });
        await cell.children.stop(child);
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

  /** A child stopped: restart a permanent one that stopped itself, else forget it. */
  async onChildStopped(
    child: ActorCell<never>,
    selfStop: boolean,
  ): Promise<void> {
    const cell = this.#cell;
    if (cell.state >= STOPPING || !cell.children.isCurrent(child)) return;
    if (child.state !== STOPPED) return; // stale: already revived
    if (selfStop && restartsOnNormalStop(child.restartType)) {
      cell.log.info(
        `permanent child ${child.path} stopped by itself; restarting it`,
        {
          child: child.path,
        },
      );
      await this.#restart(child, undefined);
      return;
    }
    cell.children.remove(child);
  }

  /** Starts a restarted group in start order (after its back-off, if any). */
  async startGroup(
    group: ActorCell<never>[],
    info: RestartInfo,
  ): Promise<void> {
    const cell = this.#cell;
    if (cell.state >= STOPPING) return;
    for (const child of group) {
      if (!cell.children.isCurrent(child)) continue;
      await child.requestStart(child.state === STOPPED, info);
    }
  }

  /** Cancels pending back-off restarts (this cell is stopping or restarting). */
  cancelRestarts(): void {
    for (const id of this.#restartTimers) this.#cell.clock.clearTimeout(id);
    this.#restartTimers.clear();
  }

  /** Restart per strategy: count, tear down in reverse, wait the back-off, start in order. */
  async #restart(failed: ActorCell<never>, error: unknown): Promise<void> {
    const cell = this.#cell;
    const now = cell.clock.now();
    if (this.#window.record(now)) {
      const err = new RestartIntensityExceededError(
        cell.path,
        this.#supervision.maxRestarts,
        this.#supervision.withinMs,
        error,
      );
      await cell.children.stopAll();
      this.#escalate(err, "restart-intensity");
      return;
    }
    let backoff = this.#backoffs.get(failed);
    if (!backoff) {
      backoff = new Backoff(this.#supervision.backoff);
      this.#backoffs.set(failed, backoff);
    }
    const delayMs = backoff.next(now);
    const group = affectedChildren(
      this.#supervision.strategy,
      cell.children.cells(),
      failed,
    );
    const restarting: ActorCell<never>[] = [];
    for (const child of [...group].reverse()) {
      if (child === failed) {
        if (child.state !== STOPPED) await this.#teardownChild(child, error);
      } else if (
        child.restartType === "temporary" ||
        (child.state === STOPPED && !restartsOnNormalStop(child.restartType))
      ) {
        // OTP: a temporary sibling is terminated, never restarted.
        await cell.children.stop(child);
        continue;
      } else if (child.state !== STOPPED) {
        await this.#teardownChild(child, error);
      }
      if (cell.children.isCurrent(child)) restarting.unshift(child);
    }
    const info: RestartInfo = { error, delayMs };
    if (delayMs <= 0) {
      await this.startGroup(restarting, info);
      return;
    }
    cell.log.info(
      `restarting ${restarting.map((c) => c.path).join(", ")} in ${delayMs} ms`,
    );
    const id = cell.clock.setTimeout(() => {
      this.#restartTimers.delete(id);
      cell.enqueueSys({ t: "restartGroup", group: restarting, info });
    }, delayMs);
    this.#restartTimers.add(id);
  }

  async #teardownChild(child: ActorCell<never>, error: unknown): Promise<void> {
    const cell = this.#cell;
    const ok = await cell.children.withinShutdownTimeout(
      child,
      child.lifecycle.requestTeardown(error),
    );
    if (!ok) cell.children.remove(child);
  }
}
