/**
 * Tickline's actor runtime: supervised actors with bounded mailboxes,
 * back-pressure, restart intensity with back-off, death watch, idle
 * passivation and deterministic time. No I/O, no dependencies.
 *
 * @example
 * ```ts
 * import { ActorSystem, silentLogger } from "./mod.ts";
 * const system = new ActorSystem("app", { logger: silentLogger() });
 * const echo = await system.spawn<string>("echo", { factory: () => ({ receive: (m) => m }) });
 * console.assert((await echo.ask("hi", { timeoutMs: 100 })) === "hi");
 * await system.shutdown();
 * ```
 *
 * @module
 */

export type * from "./types.ts";
export { ActorSystem, DEFAULT_THROUGHPUT } from "./system.ts";
export { Backoff, backoffCeiling } from "./backoff.ts";
export { ManualClock, type ManualClockOptions, RealClock } from "./clock.ts";
export {
  ActorFailedError,
  ActorStoppedError,
  AskTimeoutError,
  InvalidActorNameError,
  MailboxFullError,
  RestartIntensityExceededError,
  SystemFailedError,
  TooManySendersWaitingError,
} from "./errors.ts";
export {
  consoleLogger,
  type LogLevel,
  silentLogger,
  withFields,
} from "./logger.ts";
export {
  type EventListener,
  EventStream,
  type RuntimeEventType,
  type SubscribeOptions,
} from "./events.ts";
export {
  DEFAULT_MAILBOX_CAPACITY,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
} from "./actor_cell.ts";
export { LocalActorRef } from "./actor_ref.ts";
export { DEFAULT_MAX_WAITING } from "./mailbox.ts";
export { messageTypeOf } from "./message_type.ts";
