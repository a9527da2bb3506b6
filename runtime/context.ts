/**
 * The {@linkcode ActorContext} an actor's factory receives: its own ref,
 * clock, logger and timers, and the operations on its children, death watch
 * and idle timeout. Built once per cell and shared by every incarnation, so a
 * context captured before a restart keeps working after it.
 *
 * @module
 */

import type { ActorCell } from "./actor_cell.ts";
import { LocalActorRef } from "./actor_ref.ts";
import type {
  ActorContext,
  ActorProps,
  ActorRef,
  Terminated,
  TimerScheduler,
} from "./types.ts";

/**
 * The context of `cell`, a thin facade over its parts.
 *
 * @example
 * ```ts
 * // Made by ActorCell only; actors receive it in `factory(ctx)`.
 * import { makeContext } from "./context.ts";
 * console.assert(typeof makeContext === "function");
 * ```
 */
export function makeContext<M>(cell: ActorCell<M>): ActorContext<M> {
  return {
    self: cell.ref,
    path: cell.path,
    clock: cell.clock,
    log: cell.log,
    timers: cell.timers as TimerScheduler<M>,
    spawn: <C>(name: string, props: ActorProps<C>) =>
      cell.spawnChild(name, props),
    child: <C>(name: string) => {
      const c = cell.children.get(name);
      return c && c.alive ? (c.ref as unknown as ActorRef<C>) : undefined;
    },
    children: () =>
      cell.children.cells().filter((c) => c.alive).map((c) => c.name),
    stopChild: async (name: string) => {
      const c = cell.children.get(name);
      if (c) await cell.stopChildCell(c);
    },
    watch: <T>(ref: ActorRef<T>, toMessage: (t: Terminated) => M) => {
      cell.deathWatch.watch(cellOrThrow(ref, "watch"), toMessage);
    },
    unwatch: <T>(ref: ActorRef<T>) => {
      cell.deathWatch.unwatch(cellOrThrow(ref, "unwatch"));
    },
    setIdleTimeout: (ms: number) => cell.idle.set(ms),
    stopSelf: () => void cell.requestStop(true),
  };
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
